// funnel check and funnel diff: rules and baselines that fail a CI build when the funnel
// gets worse, and what changed between two reports.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "funnel/report.h"
#include "funnel/saved_report.h"

namespace funnel {

/// A rule: "mql->sql >= 25%", "won >= 40", "days sql->customer <= 30", "win_rate > 50%".
struct Rule {
  enum class Metric { conversion, count, days, win_rate };
  enum class Op { ge, gt, le, lt, eq, ne };
  std::string text;
  Metric metric = Metric::count;
  int from = -1, to = -1;           ///< stages of a conversion or days rule; `to` alone for a count
  std::string count_name;           ///< count rules: a stage name, leads, won, lost, open, stalled
  std::string quantile = "median";  ///< days rules: median, p90, mean
  Op op = Op::ge;
  double threshold = 0;  ///< rates as fractions, days in days
};

/// Parses a rule against the model; throws funnel::Error(ExitCode::usage) saying what is wrong.
Rule parse_rule(std::string_view text, const StageModel& model);

/// --max-drop: "5pp" (percentage points) or "10%" (relative to the baseline rate).
struct MaxDrop {
  double amount = 0;
  bool relative = false;
};
MaxDrop parse_max_drop(std::string_view text);

/// Whether `value op threshold` holds.
bool holds(double value, Rule::Op op, double threshold);
/// ">=", ">", ...
const char* op_text(Rule::Op op);

struct CheckOptions {
  std::vector<std::string> rules;
  std::string baseline;  ///< a saved report (JSON or CSV) whose step conversions must not drop
  std::string max_drop = "5pp";
  double significance = 0;      ///< 0: a breach fails; else only a significant one does
  std::uint64_t min_leads = 0;  ///< segments with fewer leads are skipped, not judged
};

/// The outcome of one rule on one segment.
struct Verdict {
  std::string rule;
  std::string segment;
  enum class Status { pass, fail, skipped } status = Status::pass;
  std::string value;   ///< the measured value as text
  std::string detail;  ///< why: counts, interval, the baseline and p-value
};

/// A days rule's measurement on one segment.
struct DaysFigure {
  std::optional<std::uint64_t> count;  ///< leads measured, when known
  std::optional<double> median, p90, mean;
};

/// The numbers the rules of one segment are judged on, from exports or a saved report.
struct SegmentFigures {
  std::string label;
  std::vector<std::uint64_t> reached;  ///< per stage
  std::uint64_t leads = 0, won = 0;
  std::optional<std::uint64_t> lost, open, stalled;
  bool lost_defined = true;                     ///< false: no lost evidence, so no win rate (DataQuality::lost_defined)
  std::vector<std::optional<DaysFigure>> days;  ///< per rule; set for days rules
};

/// Judges `rules` (and the baseline, when given) on each segment, in order. `stages`
/// names the stages of the figures. Throws funnel::Error(ExitCode::schema) when the
/// baseline's stages differ, and ExitCode::usage when a rule needs a number the figures
/// lack (won, lost, open, stalled or a win rate that a CSV report has no column for).
std::vector<Verdict> judge_segments(const std::vector<Rule>& rules, const std::vector<SegmentFigures>& segments,
                                    const std::vector<std::string>& stages, const SavedReport* baseline,
                                    const CheckOptions& options);

/// One segment against its baseline: a verdict per step conversion (pass, fail, or skipped
/// when either side has no leads at the step). Throws funnel::Error(ExitCode::schema) when
/// the stages differ.
std::vector<Verdict> compare_with_baseline(const SegmentFigures& now, const std::vector<std::string>& stages,
                                           const SavedSegment& saved, const std::string& baseline_file,
                                           const MaxDrop& max_drop, const CheckOptions& options);

/// Judges every rule (and the baseline) on every segment of the report.
std::vector<Verdict> run_check(const Report& report, const CheckOptions& options);

enum class CheckFormat { text, junit, json };
void render_verdicts(const std::vector<Verdict>& verdicts, CheckFormat format, std::ostream& out);

/// Judges every rule (and the baseline) on every segment of a saved report (JSON or CSV)
/// instead of on exports: `funnel check --report FILE`. Rules name the report's stages.
/// A days rule works on two adjacent stages only (a report keeps the time to the next
/// stage, not between any two); others are refused with ExitCode::usage.
std::vector<Verdict> run_check(const SavedReport& report, const CheckOptions& options);

/// One line of `funnel diff`: a stage of a segment both reports have.
struct DiffRow {
  std::string segment, stage;
  std::uint64_t reached_a = 0, reached_b = 0;
  std::optional<double> rate_a, rate_b;  ///< step conversions; none at the first stage or from 0
  std::optional<double> change_pp;       ///< (b - a) in percentage points
  std::optional<double> p;               ///< two-sided p-value of the change
  bool significant = false;              ///< p below the significance level
};

/// funnel diff's numbers: stage by stage, for the segments both reports have ("(all)"
/// first, then by label). Throws funnel::Error(ExitCode::schema) when their stages differ.
std::vector<DiffRow> diff_reports(const SavedReport& a, const SavedReport& b, double significance);

/// Renders diff rows as table, csv or json; throws funnel::Error(ExitCode::usage) for another format.
void render_diff(const std::vector<DiffRow>& rows, double significance, const std::string& format, std::ostream& out);

/// funnel diff: stage by stage, reached and step conversion in `a` and `b`, the change in
/// percentage points and its two-sided p-value (two-proportion test).
void render_diff(const SavedReport& a, const SavedReport& b, double significance, const std::string& format,
                 std::ostream& out);

}  // namespace funnel
