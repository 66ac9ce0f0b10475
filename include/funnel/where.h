// --where EXPR: which leads a command counts. One grammar for every command that reads
// leads: comparisons on a lead's attributes (columns), status, amount and dates, stage
// reached, joined with and/or/not and parentheses. Parsing names the character where the
// text stops making sense; evaluation is per lead, on its judged path (funnel_table.h).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "funnel/lead_path.h"
#include "funnel/stage_model.h"
#include "funnel/timestamp.h"

namespace funnel {

/// What --where can ask of one lead.
struct LeadFacts {
  const LeadPath* path = nullptr;  ///< the judged path: status, furthest stage, stage times, entry
  double amount = 0;               ///< --amount: the lead's deal value, NaN when none
  /// The lead's attribute values, indexed as Where::columns() after bind() ("" when empty).
  std::vector<std::string_view> values;
};

class Where {
 public:
  /// A literal time in --tz and --date-format, or nullopt when the text is not one.
  using TimeReaderFn = std::function<std::optional<Timestamp>(std::string_view)>;

  /// Parses the --where texts; several are joined with `and`. Throws Error(ExitCode::usage)
  /// quoting the text and naming the column (1-based character) where it went wrong.
  static Where parse(const std::vector<std::string>& texts, const TimeReaderFn& read_time);

  bool empty() const { return roots_.empty(); }
  /// The lead columns the expressions name, in order of first mention.
  const std::vector<std::string>& columns() const { return columns_; }
  bool uses_amount() const { return uses_amount_; }

  /// Resolves stage names against `model` (a usage error names an unknown stage). Done
  /// again whenever the model is known better (a preset fitted to the header).
  void bind_stages(const StageModel& model);

  /// Whether the lead passes every expression.
  bool matches(const LeadFacts& lead) const;

  struct Node;
  struct Literal {
    std::string text;
    std::optional<double> number;  ///< the text read as a plain number
    Timestamp time = kNoTime;      ///< the text read as a time (date operands)
    std::size_t at = 0;            ///< its 0-based offset in the text
  };

 private:
  std::vector<Node> nodes_;
  std::vector<std::size_t> roots_;  ///< one node per --where text
  std::vector<std::string> columns_;
  bool uses_amount_ = false;
  friend class WhereParser;
  bool eval(std::size_t node, const LeadFacts& lead) const;
};

/// One node of a --where expression.
struct Where::Node {
  enum class Kind { all_of, any_of, negate, compare, in, reached };
  enum class Operand { column, status, amount, entered, entered_stage };
  enum class Op { eq, ne, lt, le, gt, ge };
  Kind kind = Kind::compare;
  std::vector<std::size_t> children;  ///< all_of, any_of, negate
  Operand operand = Operand::column;
  std::size_t column = 0;  ///< Operand::column: index in columns()
  std::string stage;       ///< reached, entered_stage: the stage as written
  int stage_index = -1;    ///< resolved by bind_stages
  Op op = Op::eq;
  std::vector<Literal> values;  ///< compare: one; in: the list
  std::string text;             ///< the whole --where text, for messages
  std::size_t at = 0;           ///< offset of the operand in `text`
};

}  // namespace funnel
