// Money: deal values as CRMs, spreadsheets and people print them ("$1,234.50",
// "1 234,50 kr", "1.234,50 €", "SEK 12 000"), read into plain numbers.
//
// How an amount is read (AmountReader::read; these rules are the man page's):
// - Blanks around the value (space, tab, NBSP U+00A0, narrow NBSP U+202F, thin space
//   U+2009) are ignored. Nothing left, or one of "-", "—" (em dash), N/A, NA, null, none
//   (any letter case) is no amount: Status::empty.
// - One currency marker may stand before the number and one after it, touching it or
//   with blanks between: a symbol $ € £ ¥ ₹, or a run of 1 to 3 ASCII letters, optionally
//   ending in '.' (USD, SEK, kr, Kr., EUR). Markers are ignored, never checked or converted.
// - The number is digits with single separators between them: '.', ',', apostrophe (' or
//   U+2019), space, NBSP, narrow NBSP, thin space. It may start with '.' or ',' (".5").
//   Scientific notation is read: "1e3", "1.5E+3" (e or E right after the digits); a lone
//   e there without exponent digits is invalid ("1e", "1e-").
//   A Nordic ",-" or ".-" right after the digits means no cents ("100,-" is 100).
// - Negative amounts are invalid ("negative amount"): a leading '-' or U+2212 (before or
//   after the currency marker), a trailing '-' ("100-", "100 kr-"), or the whole value in
//   accounting parentheses ("(100)", "($1,234.50)"). Zero, "-0" included, is 0. A '+'
//   may lead. More than one sign is invalid ("more than one sign": "--5", "(-5)").
// - nan, inf and infinity, any letter case and sign: invalid ("not a finite number").
// - Spaces and apostrophes always group thousands. --decimal . makes '.' the decimal mark
//   and ',' a thousands separator; --decimal , the reverse.
// - --decimal auto, per value: with both ',' and '.', the last one is the decimal mark.
//   A ',' or '.' that occurs more than once groups thousands ("1,234,567", "1.234.567").
//   A single ',' or '.' is the decimal mark when followed by 1, 2 or 4+ digits ("12,50",
//   "0,5"), when the value also has space or apostrophe grouping ("1 234,567"), when the
//   digits before it are none, start with 0 or are more than 3 ("0.500", "1234,567"), or
//   in scientific notation. Otherwise ("1,234", "12.345") it is ambiguous, and the column
//   decides it once every value has been read, so the row order never matters: the
//   column's mark is the one more of its well-formed values show by the rules above (their
//   sign or size aside); values that show a mark are always read by what they show. With
//   that mark as decimal mark an ambiguous value reads 1.234, otherwise 1234. A column
//   where no value shows a mark, or as many show ',' as '.', reads its ambiguous values as
//   thousands (1234), a guess that is warned about with the lines; a column that shows
//   both marks is warned about too, naming the ambiguous values.
// - Thousands groups: 1 to 3 digits (not starting with 0), then groups of exactly 3
//   ("1,234,567"), or Indian: 1 to 2 digits, groups of 2, a last group of 3 ("1,00,000",
//   "12,34,567.50"). One value uses one thousands separator; none after the decimal
//   mark, none in scientific notation; at most one decimal mark.
// - Values of 1e15 or more are invalid ("too large").
// - Other text is invalid: "about 100", "12 apples", "1.2.3", "US$ 5" (two markers).
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
    invalid,  ///< not a number, negative, NaN or infinite, >= 1e15: counted, never used
  };
  Status status = Status::empty;
  double value = 0;                            ///< an ambiguous value read as thousands ("1,234": 1234)
  std::string problem;                         ///< why invalid, for messages
  char ambiguous_separator = 0;                ///< ',' or '.' when ambiguous (settle_amount decides), else 0
  DecimalMark shows = DecimalMark::automatic;  ///< the decimal mark this value shows on its own
};

/// An ambiguous value's reading once its column's mark is known: `thousands` / 1000 when
/// `separator` is that mark, else `thousands`.
double settle_amount(double thousands, char separator, DecimalMark mark);

/// Reads amounts of one column (rules at the top of this file). A value's reading never
/// depends on the values before it: with DecimalMark::automatic a value with both ',' and
/// '.', a repeated separator, or a separator followed by other than three digits shows a
/// decimal mark and is counted as evidence; an ambiguous one ("1,234", "1.234") is read as
/// thousands and marked, to be settled with column_mark() once the column is read.
/// read() allocates only for an invalid value's problem (or a number over 60 digits).
class AmountReader {
 public:
  explicit AmountReader(DecimalMark mark = DecimalMark::automatic);
  ParsedAmount read(std::string_view text);
  /// The column's mark from the values read so far: the given one; else the mark more
  /// values showed; automatic when none showed one or both as often.
  DecimalMark column_mark() const;
  /// Well-formed values that showed this mark on their own.
  std::uint64_t shown(DecimalMark mark) const;
  /// Ambiguous values read (only those read as ok).
  std::uint64_t ambiguous() const { return ambiguous_; }

 private:
  DecimalMark given_;
  std::uint64_t shown_dot_ = 0, shown_comma_ = 0, ambiguous_ = 0;
};

}  // namespace funnel
