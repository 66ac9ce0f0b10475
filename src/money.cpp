#include "funnel/money.h"

namespace funnel {

DecimalMark parse_decimal_mark(std::string_view) { return DecimalMark::automatic; }
AmountReader::AmountReader(DecimalMark mark) : given_(mark), learned_(mark) {}
ParsedAmount AmountReader::read(std::string_view) { return {}; }
std::uint64_t AmountReader::guessed() const { return guessed_; }
DecimalMark AmountReader::mark() const { return learned_; }

}  // namespace funnel
