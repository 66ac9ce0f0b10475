#include "funnel/forecast.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "funnel/diagnostics.h"
#include "funnel/probability.h"
#include "funnel/render.h"

namespace funnel {

std::string_view source_name(ProbabilitySource s) {
  switch (s) {
    case ProbabilitySource::column: return "column";
    case ProbabilitySource::config: return "config";
    case ProbabilitySource::measured: return "measured";
    case ProbabilitySource::none: return "none";
  }
  return "none";
}

StageProbabilities parse_stage_probabilities(const std::vector<std::string>& specs, const StageModel& model) {
  StageProbabilities out(static_cast<std::size_t>(model.size()));
  std::vector<std::string> open_stages;
  for (int k = 0; k < model.won(); ++k) open_stages.push_back(model.stages()[static_cast<std::size_t>(k)].name);
  for (const auto& spec : specs) {
    auto eq = spec.rfind('=');
    if (eq == std::string::npos || eq == 0) {
      throw Error(ExitCode::usage,
                  fmt::format("--probability wants STAGE=PROBABILITY like opportunity=60%, not '{}'", spec));
    }
    const std::string name = spec.substr(0, eq);
    const int k = model.resolve(name).index;
    if (k == model.won()) {
      throw Error(ExitCode::usage,
                  fmt::format("--probability {}: '{}' is the won stage; its leads are won, not forecast", spec, name));
    }
    if (k < 0) {
      throw Error(ExitCode::usage,
                  fmt::format("--probability {}: '{}' is not a stage (open leads can be at {}){}", spec, name,
                              fmt::join(open_stages, ", "), did_you_mean(name, open_stages)));
    }
    ParsedProbability p = read_probability(std::string_view(spec).substr(eq + 1));
    if (p.status != ParsedProbability::Status::ok) {
      throw Error(ExitCode::usage,
                  fmt::format("--probability {}: {} (write 60%, 60 or 0.6)", spec,
                              p.status == ParsedProbability::Status::empty ? "no probability" : p.problem));
    }
    auto& slot = out[static_cast<std::size_t>(k)];
    if (slot)
      throw Error(ExitCode::usage, fmt::format("--probability: stage '{}' is given twice",
                                               model.stages()[static_cast<std::size_t>(k)].name));
    slot = p.value;
  }
  return out;
}

std::vector<ForecastRow> build_forecast(const Report& report, const StageProbabilities& configured) {
  const LeadStore& store = *report.store;
  const int n = report.model.size();
  const bool money = !report.amounts.empty();
  const bool own = !report.probabilities.empty();
  // Segment label of each lead: "(all)" always, and its --by label.
  std::vector<std::string> segments{"(all)"};
  std::map<std::string, std::size_t> index{{"(all)", 0}};
  for (const auto& label : report.labels) {
    if (index.emplace(label, segments.size()).second) segments.push_back(label);
  }
  std::sort(segments.begin() + 1, segments.end());
  for (std::size_t i = 0; i < segments.size(); ++i) index[segments[i]] = i;
  struct OpenLead {
    double amount;       // NaN: none
    double probability;  // the lead's own; NaN: none
  };
  struct Cell {
    std::uint64_t closed = 0, won = 0;
    std::vector<OpenLead> open;
  };
  std::vector<std::vector<Cell>> cells(segments.size(), std::vector<Cell>(static_cast<std::size_t>(n)));
  std::vector<double> won_sum(segments.size(), 0);
  std::vector<std::uint64_t> won_count(segments.size(), 0);
  for (std::uint32_t lead = 0; lead < store.size(); ++lead) {
    LeadVerdict v = judge_lead(store, lead, report.options, report.tables.as_of);
    if (v.excluded != Exclusion::none) continue;
    const LeadPath& p = v.path;
    std::vector<std::size_t> in{0};
    if (!report.labels.empty()) in.push_back(index[report.labels[store.segment(lead)]]);
    double amount = money ? report.amounts[lead] : std::nan("");
    for (std::size_t s : in) {
      auto& row = cells[s];
      if (p.status == LeadStatus::won || p.status == LeadStatus::lost) {
        for (int k = 0; k <= p.furthest; ++k) {
          ++row[static_cast<std::size_t>(k)].closed;
          row[static_cast<std::size_t>(k)].won += p.status == LeadStatus::won;
        }
        if (p.status == LeadStatus::won && !std::isnan(amount)) {
          won_sum[s] += amount;
          ++won_count[s];
        }
      } else {
        row[static_cast<std::size_t>(p.furthest)].open.push_back(
            {amount, own ? report.probabilities[lead] : std::nan("")});
      }
    }
  }
  std::vector<ForecastRow> out;
  for (std::size_t s = 0; s < segments.size(); ++s) {
    std::optional<double> average;
    if (won_count[s] > 0) average = won_sum[s] / static_cast<double>(won_count[s]);
    ForecastRow total;
    total.segment = segments[s];
    total.stage = -1;
    for (int k = 0; k + 1 < n; ++k) {
      const Cell& c = cells[s][static_cast<std::size_t>(k)];
      ForecastRow r;
      r.segment = segments[s];
      r.stage = k;
      r.open = c.open.size();
      r.closed = c.closed;
      r.won = c.won;
      if (c.closed > 0) {
        r.measured = static_cast<double>(c.won) / static_cast<double>(c.closed);
        r.interval = wilson(c.won, c.closed);
      }
      if (static_cast<std::size_t>(k) < configured.size() && configured[static_cast<std::size_t>(k)]) {
        r.probability = configured[static_cast<std::size_t>(k)];
        r.source = ProbabilitySource::config;
      } else if (r.measured) {
        r.probability = r.measured;
        r.source = ProbabilitySource::measured;
      }
      // Leads with their own probability count exactly; the rest at the stage's probability.
      std::uint64_t rest = 0;
      double rest_value = 0, exact_revenue = 0;
      for (const OpenLead& lead : c.open) {
        double value = 0;
        if (!std::isnan(lead.amount)) {
          value = lead.amount;
        } else {
          ++r.without_value;
          if (average) value = *average;
        }
        if (!std::isnan(lead.probability)) {
          ++r.own;
          r.expected_wins += lead.probability;
          exact_revenue += lead.probability * value;
        } else {
          ++rest;
          rest_value += value;
        }
      }
      r.expected_revenue = r.revenue_low = r.revenue_high = exact_revenue;
      if (r.probability) {
        r.expected_wins += *r.probability * static_cast<double>(rest);
        r.expected_revenue += *r.probability * rest_value;
        const bool measured = r.source == ProbabilitySource::measured;
        r.revenue_low += (measured ? r.interval->low : *r.probability) * rest_value;
        r.revenue_high += (measured ? r.interval->high : *r.probability) * rest_value;
      }
      total.open += r.open;
      total.own += r.own;
      total.without_value += r.without_value;
      total.expected_wins += r.expected_wins;
      total.expected_revenue += r.expected_revenue;
      total.revenue_low += r.revenue_low;
      total.revenue_high += r.revenue_high;
      out.push_back(r);
    }
    out.push_back(total);
  }
  if (!report.tables.quality.lost_defined) {
    // Won / closed with no lost lead anywhere is won / won: every open lead would be forecast
    // to win. That is no measurement, so it is refused rather than extrapolated.
    std::uint64_t measured = 0;
    for (const ForecastRow& r : out) {
      if (r.segment == "(all)" && r.stage >= 0 && r.source == ProbabilitySource::measured) measured += r.open - r.own;
    }
    if (measured > 0) {
      throw Error(ExitCode::no_data,
                  fmt::format("funnel forecast: no row says a lead was lost (no lost stage value, status or closed "
                              "flag), so a measured win probability would be won / won = 100% and all {} open leads "
                              "would be forecast to win; give --lost VALUE (the value that means lost), --lost-after "
                              "DURATION (no activity that long before the as-of time counts as lost), --probability "
                              "STAGE=P, or a probability column",
                              measured));
    }
  }
  return out;
}

void render_forecast(const Report& report, const std::vector<ForecastRow>& rows, const std::string& format,
                     std::ostream& out) {
  const auto& stages = report.model.stages();
  auto stage_name = [&](int k) { return k < 0 ? std::string("(total)") : stages[static_cast<std::size_t>(k)].name; };
  auto rate = [](const std::optional<double>& x) { return x ? fmt::format("{:.6f}", *x) : std::string(); };
  // The interval belongs to the probability only when that is the measured one.
  auto interval = [](const ForecastRow& r) {
    return r.source == ProbabilitySource::measured ? r.interval : std::nullopt;
  };
  auto source = [](const ForecastRow& r) { return r.stage < 0 ? std::string() : std::string(source_name(r.source)); };
  if (format == "csv") {
    out << "segment,stage,open,closed,won,p_won,p_won_low,p_won_high,p_source,p_measured,own_probability,without_value,"
           "expected_wins,expected_revenue,expected_revenue_low,expected_revenue_high\n";
    for (const auto& r : rows) {
      auto ci = interval(r);
      out << text_cell(r.segment, ',') << ',' << text_cell(stage_name(r.stage), ',') << ',' << r.open << ','
          << (r.stage < 0 ? "" : std::to_string(r.closed)) << ',' << (r.stage < 0 ? "" : std::to_string(r.won)) << ','
          << rate(r.probability) << ',' << rate(ci ? std::optional<double>(ci->low) : std::nullopt) << ','
          << rate(ci ? std::optional<double>(ci->high) : std::nullopt) << ',' << source(r) << ',' << rate(r.measured)
          << ',' << r.own << ',' << r.without_value << ','
          << fmt::format("{:.4f},{:.2f},{:.2f},{:.2f}", r.expected_wins, r.expected_revenue, r.revenue_low,
                         r.revenue_high)
          << '\n';
    }
    return;
  }
  if (format == "json") {
    JsonWriter w(out);
    w.begin_object().member("schema_version", kSchemaVersion);
    w.member("invalid_probabilities", report.input.invalid_probabilities).key("rows").begin_array(JsonWriter::lines);
    for (const auto& r : rows) {
      auto ci = interval(r);
      w.begin_object().member("segment", r.segment);
      if (r.stage < 0) {
        w.key("stage").null();
      } else {
        w.member("stage", stage_name(r.stage));
      }
      w.member("open", r.open).member("closed", r.closed).member("won", r.won).key("p_won").fixed(r.probability, 6);
      if (ci) {
        w.key("p_won_ci").begin_array().fixed(ci->low, 6).fixed(ci->high, 6).end_array();
      } else {
        w.key("p_won_ci").null();
      }
      if (r.stage < 0) {
        w.key("p_source").null();
      } else {
        w.member("p_source", source_name(r.source));
      }
      w.key("p_measured")
          .fixed(r.measured, 6)
          .member("own_probability", r.own)
          .member("without_value", r.without_value);
      w.key("expected_wins").fixed(r.expected_wins, 4).key("expected_revenue").fixed(r.expected_revenue, 2);
      w.key("expected_revenue_ci").begin_array().fixed(r.revenue_low, 2).fixed(r.revenue_high, 2).end_array();
      w.end_object();
    }
    w.end_array().end_object().finish();
    return;
  }
  if (format != "table") {
    throw Error(ExitCode::usage, fmt::format("unknown --format '{}' (table, csv, json){}", format,
                                             did_you_mean(format, {"table", "csv", "json"})));
  }
  std::size_t seg_w = 7, stage_w = 7;
  for (const auto& r : rows) seg_w = std::max(seg_w, terminal_safe(r.segment).size());
  for (const auto& s : stages) stage_w = std::max(stage_w, s.name.size());
  out << fmt::format("{:<{}}  {:<{}}  {:>6}  {:>15}  {:<8}  {:>18}  {:>5}  {:>9}  {:>14}  {:>29}\n", "segment", seg_w,
                     "stage", stage_w, "open", "P(won | stage)", "source", "95% CI", "own p", "exp. wins",
                     "exp. revenue", "95% CI");
  for (const auto& r : rows) {
    auto ci = interval(r);
    std::string p = "-";
    if (r.source == ProbabilitySource::measured)
      p = fmt::format("{} ({}/{})", format_percent(r.probability), r.won, r.closed);
    if (r.source == ProbabilitySource::config) p = format_percent(r.probability);
    std::string from = r.source == ProbabilitySource::none ? "-" : source(r);
    std::string range = ci ? fmt::format("{}-{}", format_percent(ci->low), format_percent(ci->high)) : "-";
    if (r.stage < 0) p = from = range = "";
    out << fmt::format("{:<{}}  {:<{}}  {:>6}  {:>15}  {:<8}  {:>18}  {:>5}  {:>9.2f}  {:>14}  {:>29}\n",
                       terminal_safe(r.segment), seg_w, terminal_safe(stage_name(r.stage)), stage_w, r.open, p, from,
                       range, r.own, r.expected_wins, format_money(r.expected_revenue),
                       format_money(r.revenue_low) + " - " + format_money(r.revenue_high));
  }
  out << "P(won | stage): the stage's --probability (config), else won / closed (won or lost) among leads that "
         "reached\n"
         "the stage (measured); own p: open leads with their own probability in the export, which comes first.\n"
         "Open leads without an amount count at the average won deal; the 95% CI of revenue varies measured\n"
         "probabilities only.\n";
}

}  // namespace funnel
