// funnel check --baseline: each step conversion of a segment against the same step in a
// saved report, allowed to drop by --max-drop (points or relative), optionally only failing
// when the drop is significant (two-proportion test).
#include <cmath>

#include <fmt/format.h>

#include "funnel/check.h"
#include "funnel/diagnostics.h"
#include "funnel/stats.h"

namespace funnel {

std::vector<Verdict> compare_with_baseline(const SegmentFigures& now, const std::vector<std::string>& stages,
                                           const SavedSegment& saved_segment, const std::string& baseline_file,
                                           const MaxDrop& max_drop, const CheckOptions& options) {
  const auto& saved = saved_segment.stages;
  if (saved.size() != stages.size()) {
    throw Error(ExitCode::schema, fmt::format("{}: the baseline has {} stages, this report {}", baseline_file,
                                              saved.size(), stages.size()));
  }
  for (std::size_t k = 0; k < stages.size(); ++k) {
    if (saved[k].name != stages[k]) {
      throw Error(ExitCode::schema, fmt::format("{}: baseline stage {} is '{}', this report's is '{}'", baseline_file,
                                                k + 1, saved[k].name, stages[k]));
    }
  }
  auto percent = [](double rate) { return fmt::format("{:.1f}%", rate * 100); };
  std::vector<Verdict> verdicts;
  for (std::size_t k = 1; k < stages.size(); ++k) {
    std::uint64_t x0 = saved[k].reached, n0 = saved[k - 1].reached;
    std::uint64_t x1 = now.reached[k], n1 = now.reached[k - 1];
    Verdict v{fmt::format("{}->{} vs baseline (max drop {})", stages[k - 1], stages[k], options.max_drop), now.label,
              Verdict::Status::pass, "", ""};
    if (n0 == 0 || n1 == 0) {
      v.value = "-";
      v.detail = "no leads to compare";
      v.status = Verdict::Status::skipped;
      verdicts.push_back(std::move(v));
      continue;
    }
    double p0 = static_cast<double>(x0) / static_cast<double>(n0);
    double p1 = static_cast<double>(x1) / static_cast<double>(n1);
    double drop = p0 - p1;
    double allowed = max_drop.relative ? max_drop.amount * p0 : max_drop.amount;
    v.value = percent(p1);
    double change = (p1 - p0) * 100;
    v.detail = fmt::format("baseline {} ({}/{}), now {}/{}: {:+.1f}pp", percent(p0), x0, n0, x1, n1,
                           std::fabs(change) < 0.05 ? 0.0 : change);
    bool pass = drop <= allowed + 1e-12;
    if (!pass && options.significance > 0) {
      auto z = two_proportion_z(x0, n0, x1, n1);
      double p = z ? upper_p(*z) : 1.0;
      v.detail += fmt::format("; p={:.3f}", p);
      if (p >= options.significance) {
        pass = true;
        v.detail += fmt::format(", not significant at {:g}", options.significance);
      }
    }
    v.status = pass ? Verdict::Status::pass : Verdict::Status::fail;
    verdicts.push_back(std::move(v));
  }
  return verdicts;
}

}  // namespace funnel
