// funnel check: the rules judged on each segment's figures, which come from the exports
// (run_check(Report)) or from a saved report (run_check(SavedReport), `check --report`).
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "funnel/check.h"
#include "funnel/diagnostics.h"
#include "funnel/stats.h"

namespace funnel {
namespace {

std::string percent(double rate) { return fmt::format("{:.1f}%", rate * 100); }

/// The count a count rule names; throws when the figures do not have it.
std::uint64_t count_of(const Rule& rule, const SegmentFigures& f) {
  if (rule.count_name == "leads") return f.leads;
  if (rule.count_name == "won") return f.won;
  const std::optional<std::uint64_t>* field = rule.count_name == "lost"      ? &f.lost
                                              : rule.count_name == "open"    ? &f.open
                                              : rule.count_name == "stalled" ? &f.stalled
                                                                             : nullptr;
  if (field == nullptr) return f.reached[static_cast<std::size_t>(rule.to)];
  if (!*field) {
    throw Error(ExitCode::usage, fmt::format("--require {}: the saved report has no '{}' column to count from",
                                             quote_cell(rule.text), rule.count_name));
  }
  return **field;
}

Verdict judge_rule(const Rule& rule, std::size_t r, const SegmentFigures& f, const CheckOptions& options) {
  Verdict v{rule.text, f.label, Verdict::Status::pass, "", ""};
  auto skipped = [&](const char* why) {
    v.value = "-";
    v.detail = why;
    v.status = Verdict::Status::skipped;
    return v;
  };
  auto judged = [&](bool pass) {
    v.status = pass ? Verdict::Status::pass : Verdict::Status::fail;
    return v;
  };
  switch (rule.metric) {
    case Rule::Metric::count: {
      std::uint64_t count = count_of(rule, f);
      v.value = std::to_string(count);
      v.detail = fmt::format("{} {} {:g}", count, op_text(rule.op), rule.threshold);
      return judged(holds(static_cast<double>(count), rule.op, rule.threshold));
    }
    case Rule::Metric::conversion:
    case Rule::Metric::win_rate: {
      std::uint64_t x = 0, n = 0;
      if (rule.metric == Rule::Metric::conversion) {
        x = f.reached[static_cast<std::size_t>(rule.to)];
        n = f.reached[static_cast<std::size_t>(rule.from)];
      } else {
        if (!f.lost) {
          throw Error(ExitCode::usage,
                      fmt::format("--require {}: the saved report has no 'lost' column for the win rate",
                                  quote_cell(rule.text)));
        }
        if (!f.lost_defined) return skipped("lost is undefined: no lost evidence in the data (see --lost-after)");
        x = f.won;
        n = f.won + *f.lost;
      }
      if (n == 0) return skipped("no leads to measure");
      double rate = static_cast<double>(x) / static_cast<double>(n);
      auto ci = wilson(x, n);
      v.value = percent(rate);
      v.detail = fmt::format("{}/{}; 95% CI {}-{}", x, n, percent(ci->low), percent(ci->high));
      bool pass = holds(rate, rule.op, rule.threshold);
      if (!pass && options.significance > 0 && rule.threshold > 0 && rule.threshold < 1 && rule.op != Rule::Op::eq &&
          rule.op != Rule::Op::ne) {
        // One-sample test against the threshold: a breach counts only when it is significant.
        double p0 = rule.threshold;
        double z = (rate - p0) / std::sqrt(p0 * (1 - p0) / static_cast<double>(n));
        bool below = rule.op == Rule::Op::ge || rule.op == Rule::Op::gt;
        double p = below ? upper_p(-z) : upper_p(z);
        v.detail += fmt::format("; p={:.3f}", p);
        if (p >= options.significance) {
          pass = true;
          v.detail += fmt::format(", not significant at {:g}", options.significance);
        }
      }
      return judged(pass);
    }
    case Rule::Metric::days: {
      const std::optional<DaysFigure>& d = r < f.days.size() ? f.days[r] : std::nullopt;
      const std::optional<double>* value = !d                        ? nullptr
                                           : rule.quantile == "p90"  ? &d->p90
                                           : rule.quantile == "mean" ? &d->mean
                                                                     : &d->median;
      if (value == nullptr || !*value || (d->count && *d->count == 0)) return skipped("no lead has both times");
      v.value = fmt::format("{:.2f} days", **value);
      v.detail = d->count ? fmt::format("{} of {} leads", rule.quantile, *d->count)
                          : fmt::format("{}, as the saved report gives it", rule.quantile);
      return judged(holds(**value, rule.op, rule.threshold));
    }
  }
  return v;
}

/// A segment's label and counts, from the tables or from a saved report (the same field
/// names), with room for the days of `rules` rules.
template <class Segment>
SegmentFigures counts_of(const Segment& seg, std::size_t rules) {
  SegmentFigures f;
  f.label = seg.label;
  for (const auto& stage : seg.stages) f.reached.push_back(stage.reached);
  f.leads = seg.overall.leads;
  f.won = seg.overall.won;
  f.lost = seg.overall.lost;
  f.open = seg.overall.open;
  f.stalled = seg.overall.stalled;
  if constexpr (requires { seg.overall.lost_defined; }) f.lost_defined = seg.overall.lost_defined;
  f.days.resize(rules);
  return f;
}

}  // namespace

std::vector<Verdict> judge_segments(const std::vector<Rule>& rules, const std::vector<SegmentFigures>& segments,
                                    const std::vector<std::string>& stages, const SavedReport* baseline,
                                    const CheckOptions& options) {
  const MaxDrop max_drop = parse_max_drop(options.max_drop);
  std::vector<Verdict> verdicts;
  for (const SegmentFigures& f : segments) {
    const bool small = f.leads < options.min_leads;
    // A segment under --min-leads is not judged; verdicts already skipped keep their reason.
    auto add = [&](Verdict v) {
      if (small && v.status != Verdict::Status::skipped) {
        v.status = Verdict::Status::skipped;
        v.detail = fmt::format("{} leads, fewer than --min-leads {}", f.leads, options.min_leads);
      }
      verdicts.push_back(std::move(v));
    };
    for (std::size_t r = 0; r < rules.size(); ++r) add(judge_rule(rules[r], r, f, options));
    if (baseline == nullptr) continue;
    const SavedSegment* saved = baseline->find(f.label);
    if (saved == nullptr) continue;
    for (Verdict& v : compare_with_baseline(f, stages, *saved, options.baseline, max_drop, options)) add(std::move(v));
  }
  return verdicts;
}

std::vector<Verdict> run_check(const Report& report, const CheckOptions& options) {
  std::vector<Rule> rules;
  for (const auto& text : options.rules) rules.push_back(parse_rule(text, report.model));
  parse_max_drop(options.max_drop);
  std::optional<SavedReport> baseline;
  if (!options.baseline.empty()) baseline = read_saved_report(options.baseline);
  if (rules.empty() && !baseline) {
    throw Error(ExitCode::usage, "funnel check: nothing to check: give --require RULE or --baseline FILE");
  }
  const LeadStore& store = *report.store;

  // Days rules: durations between their two stages per segment label, in one pass over the leads.
  std::vector<std::map<std::string, std::vector<Duration>, std::less<>>> spans(rules.size());
  if (std::any_of(rules.begin(), rules.end(), [](const Rule& r) { return r.metric == Rule::Metric::days; })) {
    for (std::uint32_t lead = 0; lead < store.size(); ++lead) {
      LeadVerdict v = judge_lead(store, lead, report.options, report.tables.as_of);
      if (v.excluded != Exclusion::none) continue;
      for (std::size_t r = 0; r < rules.size(); ++r) {
        const Rule& rule = rules[r];
        if (rule.metric != Rule::Metric::days || v.path.furthest < rule.to) continue;
        Timestamp a = v.path.first[rule.from], b = v.path.first[rule.to];
        if (a == kNoTime || b == kNoTime || b < a) continue;
        const Duration d = span(a, b, report.options);
        spans[r]["(all)"].push_back(d);
        if (!report.labels.empty()) spans[r][report.labels[store.segment(lead)]].push_back(d);
      }
    }
  }

  std::vector<SegmentFigures> figures;
  for (const SegmentTable& seg : report.tables.segments) {
    SegmentFigures f = counts_of(seg, rules.size());
    f.lost_defined = report.tables.quality.lost_defined;
    for (std::size_t r = 0; r < rules.size(); ++r) {
      if (rules[r].metric != Rule::Metric::days) continue;
      auto it = spans[r].find(seg.label);
      if (it == spans[r].end() || it->second.empty()) continue;
      DurationStats d = duration_stats(it->second);
      f.days[r] = DaysFigure{d.count, d.median, d.p90, d.mean};
    }
    figures.push_back(std::move(f));
  }
  std::vector<std::string> stages;
  for (const auto& stage : report.model.stages()) stages.push_back(stage.name);
  return judge_segments(rules, figures, stages, baseline ? &*baseline : nullptr, options);
}

std::vector<Verdict> run_check(const SavedReport& report, const CheckOptions& options) {
  StageModelSpec spec;
  spec.stages = report.stage_names();
  const StageModel model = StageModel::build(spec);
  std::vector<Rule> rules;
  for (const auto& text : options.rules) {
    Rule rule = parse_rule(text, model);
    if (rule.metric == Rule::Metric::days && rule.to != rule.from + 1) {
      throw Error(
          ExitCode::usage,
          fmt::format("--require {}: a saved report keeps the days from each stage to the next only, so a days "
                      "rule on --report names two adjacent stages (like {}->{})",
                      quote_cell(rule.text), spec.stages[0], spec.stages.size() > 1 ? spec.stages[1] : spec.stages[0]));
    }
    rules.push_back(std::move(rule));
  }
  parse_max_drop(options.max_drop);
  std::optional<SavedReport> baseline;
  if (!options.baseline.empty()) baseline = read_saved_report(options.baseline);
  if (rules.empty() && !baseline) {
    throw Error(ExitCode::usage, "funnel check: nothing to check: give --require RULE or --baseline FILE");
  }
  std::vector<SegmentFigures> figures;
  for (const SavedSegment& seg : report.segments) {
    SegmentFigures f = counts_of(seg, rules.size());
    for (std::size_t r = 0; r < rules.size(); ++r) {
      if (rules[r].metric != Rule::Metric::days) continue;
      const SavedDays& d = seg.stages[static_cast<std::size_t>(rules[r].from)].to_next;
      f.days[r] = DaysFigure{d.count, d.median, d.p90, d.mean};
    }
    figures.push_back(std::move(f));
  }
  return judge_segments(rules, figures, report.stage_names(), baseline ? &*baseline : nullptr, options);
}

}  // namespace funnel
