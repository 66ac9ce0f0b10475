// Money: deal values as CRMs, spreadsheets and people print them ("$1,234.50",
// "1 234,50 kr", "1.234,50 €", "SEK 12 000"), read into plain numbers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace funnel {

/// Which character separates decimals. `automatic` decides per value, and per column once a
/// value has shown it (see AmountReader).
enum class DecimalMark { automatic, dot, comma };

/// Parses "auto", "." or "dot", "," or "comma"; throws funnel::Error(ExitCode::usage).
DecimalMark parse_decimal_mark(std::string_view text);

struct ParsedAmount {
  enum class Status {
    ok,       ///< value holds a finite, non-negative number
    empty,    ///< blank or a "no value" marker (N/A, NA, -, null, none): no amount
    invalid,  ///< not a number, negative, NaN or infinite: counted, never used
  };
  Status status = Status::empty;
  double value = 0;
  std::string problem;  ///< why invalid, for messages
};

/// Reads amounts of one column. With DecimalMark::automatic, a value with both ',' and '.'
/// (or a separator followed by other than three digits) shows the column's decimal mark,
/// which then holds for the rest of the column; a value that stays ambiguous ("1,234",
/// "1.234") before that is read with the separator as thousands and counted in guessed().
class AmountReader {
 public:
  explicit AmountReader(DecimalMark mark = DecimalMark::automatic);
  ParsedAmount read(std::string_view text);
  /// Values read under a guess because the column had not shown its decimal mark yet.
  std::uint64_t guessed() const;
  /// The mark in force: the given one, or the one the column showed (automatic until then).
  DecimalMark mark() const;

 private:
  DecimalMark given_, learned_;
  std::uint64_t guessed_ = 0;
};

}  // namespace funnel
