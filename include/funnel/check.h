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

namespace funnel {

/// A rule: "mql->sql >= 25%", "won >= 40", "days sql->customer <= 30", "win_rate > 50%".
struct Rule {
  enum class Metric { conversion, count, days, win_rate };
  enum class Op { ge, gt, le, lt, eq, ne };
  std::string text;
  Metric metric = Metric::count;
  int from = -1, to = -1;   ///< stages of a conversion or days rule; `to` alone for a count
  std::string count_name;   ///< count rules: a stage name, leads, won, lost, open, stalled
  std::string quantile = "median";  ///< days rules: median, p90, mean
  Op op = Op::ge;
  double threshold = 0;     ///< rates as fractions, days in days
};

/// Parses a rule against the model; throws funnel::Error(ExitCode::usage) saying what is wrong.
Rule parse_rule(std::string_view text, const StageModel& model);

/// --max-drop: "5pp" (percentage points) or "10%" (relative to the baseline rate).
struct MaxDrop {
  double amount = 0;
  bool relative = false;
};
MaxDrop parse_max_drop(std::string_view text);

struct CheckOptions {
  std::vector<std::string> rules;
  std::string baseline;          ///< a JSON report written by `funnel report -f json`
  std::string max_drop = "5pp";
  double significance = 0;       ///< 0: a breach fails; else only a significant one does
  std::uint64_t min_leads = 0;   ///< segments with fewer leads are skipped, not judged
};

/// The outcome of one rule on one segment.
struct Verdict {
  std::string rule;
  std::string segment;
  enum class Status { pass, fail, skipped } status = Status::pass;
  std::string value;   ///< the measured value as text
  std::string detail;  ///< why: counts, interval, the baseline and p-value
};

/// Judges every rule (and the baseline) on every segment of the report.
std::vector<Verdict> run_check(const Report& report, const CheckOptions& options);

enum class CheckFormat { text, junit, json };
CheckFormat parse_check_format(std::string_view name);
void render_verdicts(const std::vector<Verdict>& verdicts, CheckFormat format, std::ostream& out);

/// A stage of a segment as a JSON report gives it.
struct SavedStage {
  std::string name;
  std::uint64_t reached = 0;
};
/// The segments of a JSON report (label -> stages), read back for baselines and diffs.
using SavedReport = std::map<std::string, std::vector<SavedStage>>;
/// Reads a report written by `funnel report -f json`. Throws funnel::Error naming the file.
SavedReport read_saved_report(const std::string& path);

/// funnel diff: stage by stage, reached and step conversion in `a` and `b`, the change in
/// percentage points and its two-sided p-value (two-proportion test).
void render_diff(const SavedReport& a, const SavedReport& b, double significance, const std::string& format,
                 std::ostream& out);

}  // namespace funnel
