#include "funnel/leads.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "funnel/diagnostics.h"

namespace funnel {
namespace {

std::string time_text(Timestamp t) { return t == kNoTime ? std::string() : format_timestamp(t); }

/// The segment label of a lead, or empty without --by.
std::string_view segment_of(const Report& report, std::uint32_t lead) {
  if (report.labels.empty()) return {};
  std::uint32_t s = report.store->segment(lead);
  return s < report.labels.size() ? std::string_view(report.labels[s]) : std::string_view();
}


struct LeadRow {
  std::uint32_t lead;
  LeadVerdict verdict;
};

bool keep(const Report& report, const LeadFilter& filter, const LeadRow& row) {
  const LeadPath& path = row.verdict.path;
  if (!filter.all && row.verdict.excluded != Exclusion::none) return false;
  if (!filter.stage.empty()) {
    int k = report.model.resolve(filter.stage).index;
    if (path.furthest != k) return false;
  }
  if (!filter.status.empty() && status_name(path.status) != filter.status) return false;
  return true;
}

}  // namespace

void check_filter(const LeadFilter& filter, const StageModel& model) {
  if (!filter.stage.empty() && model.resolve(filter.stage).index < 0) {
    std::vector<std::string> names;
    for (const auto& s : model.stages()) names.push_back(s.name);
    throw Error(ExitCode::usage, fmt::format("--stage: no stage named '{}' (stages: {}){}", filter.stage,
                                             fmt::join(names, ", "), did_you_mean(filter.stage, names)));
  }
  static const std::vector<std::string> statuses{"won", "lost", "open", "stalled"};
  if (!filter.status.empty() && std::find(statuses.begin(), statuses.end(), filter.status) == statuses.end()) {
    throw Error(ExitCode::usage, fmt::format("--status must be won, lost, open or stalled, not '{}'{}", filter.status,
                                             did_you_mean(filter.status, statuses)));
  }
}

void render_leads(const Report& report, const LeadFilter& filter, LeadFormat format, std::ostream& out) {
  const LeadStore& store = *report.store;
  const auto& stages = report.model.stages();
  const bool segmented = !report.labels.empty();
  const char sep = format == LeadFormat::tsv ? '\t' : ',';
  const bool delimited = format == LeadFormat::csv || format == LeadFormat::tsv;
  std::vector<std::string> columns{"lead", "counted", "furthest", "status", "entered_at", "last_activity"};
  if (segmented) columns.insert(columns.begin() + 1, "segment");
  for (const auto& s : stages) columns.push_back(s.name + "_at");
  for (const char* c : {"skipped", "repeats", "regression", "inversion", "lost_row", "beyond_window", "out_of_order"}) {
    columns.emplace_back(c);
  }
  if (delimited) {
    for (std::size_t i = 0; i < columns.size(); ++i)
      out << (i ? std::string(1, sep) : "") << text_cell(columns[i], sep);
    out << '\n';
  }
  // json: one array, a lead per line; jsonl: a document per lead.
  std::optional<JsonWriter> array;
  if (format == LeadFormat::json) {
    array.emplace(out);
    array->begin_array(JsonWriter::lines);
  }
  for (std::uint32_t lead = 0; lead < store.size(); ++lead) {
    LeadRow row{lead, judge_lead(store, lead, report.options, report.tables.as_of)};
    if (!keep(report, filter, row)) continue;
    const LeadPath& path = row.verdict.path;
    std::vector<std::string> skipped;
    for (int k = 0; k < path.furthest; ++k) {
      if (!store.entered(lead, k)) skipped.push_back(stages[static_cast<std::size_t>(k)].name);
    }
    std::string counted =
        row.verdict.excluded == Exclusion::none ? "yes" : std::string(exclusion_name(row.verdict.excluded));
    std::string furthest = path.furthest >= 0 ? stages[static_cast<std::size_t>(path.furthest)].name : "";
    std::string status = row.verdict.excluded == Exclusion::none ? std::string(status_name(path.status)) : "";
    std::vector<std::string> stage_at;
    for (std::size_t k = 0; k < stages.size(); ++k) {
      bool entered = store.entered(lead, static_cast<int>(k));
      Timestamp t = path.first[k];
      stage_at.push_back(!entered ? "" : t == kNoTime ? "unknown" : format_timestamp(t));
    }
    std::string skipped_text = fmt::format("{}", fmt::join(skipped, ";"));
    if (delimited) {
      std::vector<std::string> cells{std::string(store.id(lead))};
      if (segmented) cells.emplace_back(segment_of(report, lead));
      for (auto* c : {&counted, &furthest, &status}) cells.push_back(*c);
      cells.push_back(time_text(path.entry));
      cells.push_back(time_text(store.last_activity(lead)));
      for (auto& t : stage_at) cells.push_back(t);
      cells.push_back(skipped_text);
      cells.push_back(std::to_string(store.repeats(lead)));
      for (bool b : {path.regression, path.inversion, path.lost_evidence, path.beyond_window, path.order_broken}) {
        cells.emplace_back(b ? "true" : "false");
      }
      for (std::size_t i = 0; i < cells.size(); ++i) out << (i ? std::string(1, sep) : "") << text_cell(cells[i], sep);
      out << '\n';
      continue;
    }
    std::optional<JsonWriter> line;
    JsonWriter& w = array ? *array : line.emplace(out);
    w.begin_object().member("lead", store.id(lead));
    if (segmented) w.member("segment", segment_of(report, lead));
    if (row.verdict.excluded == Exclusion::none) {
      w.member("counted", true);
    } else {
      w.member("counted", counted);
    }
    w.key("furthest").string_or_null(furthest).key("status").string_or_null(status);
    w.key("entered_at").string_or_null(time_text(path.entry));
    w.key("last_activity").string_or_null(time_text(store.last_activity(lead)));
    w.key("stages").begin_object();
    for (std::size_t k = 0; k < stages.size(); ++k) w.key(stages[k].name).string_or_null(stage_at[k]);
    w.end_object().key("skipped").begin_array();
    for (const auto& name : skipped) w.string(name);
    w.end_array().member("repeats", store.repeats(lead)).member("regression", path.regression);
    w.member("inversion", path.inversion).member("lost_row", path.lost_evidence);
    w.member("beyond_window", path.beyond_window).member("out_of_order", path.order_broken).end_object();
    if (!array) w.finish();
  }
  if (array) array->end_array().finish();
}

std::string path_text(const Report& report, std::uint32_t lead, const LeadPath& path) {
  const LeadStore& store = *report.store;
  const auto& stages = report.model.stages();
  const int n = static_cast<int>(stages.size());
  Timestamp first[32], last[32];
  store.times(lead, first, last);
  struct Step {
    Timestamp time;
    int stage;
    bool again;
  };
  std::vector<Step> steps;
  // A stage without a time sits where the stage order puts it: at its predecessor's time.
  Timestamp previous = kNoTime;
  for (int k = 0; k < n; ++k) {
    if (!store.entered(lead, k)) continue;
    Timestamp t = first[k] != kNoTime ? first[k] : previous;
    steps.push_back({t, k, false});
    if (first[k] != kNoTime) previous = first[k];
  }
  // A regression: the stage's latest row comes after a later stage was entered.
  for (int j = 0; j < n; ++j) {
    if (!store.entered(lead, j) || last[j] == kNoTime || last[j] == first[j]) continue;
    bool after_later = false;
    for (int k = j + 1; k < n; ++k)
      after_later = after_later || (store.entered(lead, k) && first[k] != kNoTime && first[k] < last[j]);
    if (after_later) steps.push_back({last[j], j, true});
  }
  std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) {
    if (a.time == kNoTime || b.time == kNoTime) return a.time == kNoTime && b.time != kNoTime;
    return a.time < b.time || (a.time == b.time && !a.again && b.again);
  });
  std::string text;
  for (const Step& s : steps) {
    if (!text.empty()) text += " > ";
    text += stages[static_cast<std::size_t>(s.stage)].name;
    if (s.again) text += " (again)";
  }
  if (path.status == LeadStatus::lost) text += " > (lost)";
  return text;
}

void render_paths(const Report& report, std::size_t top, Format format, std::ostream& out) {
  const LeadStore& store = *report.store;
  std::map<std::string, std::uint64_t> counts;
  std::uint64_t total = 0;
  for (std::uint32_t lead = 0; lead < store.size(); ++lead) {
    LeadVerdict v = judge_lead(store, lead, report.options, report.tables.as_of);
    if (v.excluded != Exclusion::none) continue;
    ++counts[path_text(report, lead, v.path)];
    ++total;
  }
  std::vector<std::pair<std::string, std::uint64_t>> rows(counts.begin(), counts.end());
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::uint64_t other = 0, other_paths = 0;
  if (top > 0 && rows.size() > top) {
    for (std::size_t i = top; i < rows.size(); ++i) {
      other += rows[i].second;
      ++other_paths;
    }
    rows.resize(top);
  }
  if (other_paths > 0) rows.emplace_back(fmt::format("(other: {} paths)", other_paths), other);
  auto share = [&](std::uint64_t c) { return static_cast<double>(c) / static_cast<double>(total); };
  switch (format) {
    case Format::html:
    case Format::svg: throw Error(ExitCode::usage, "funnel paths: --format must be table, csv, tsv, json or markdown");
    case Format::csv:
    case Format::tsv: {
      char sep = format == Format::tsv ? '\t' : ',';
      out << "path" << sep << "leads" << sep << "share\n";
      for (const auto& [path, c] : rows)
        out << text_cell(path, sep) << sep << c << sep << fmt::format("{:.6f}", share(c)) << '\n';
      break;
    }
    case Format::json: {
      JsonWriter w(out);
      w.begin_object().member("schema_version", kSchemaVersion).member("leads", total);
      w.key("paths").begin_array(JsonWriter::lines);
      for (const auto& [path, c] : rows)
        w.begin_object().member("path", path).member("leads", c).key("share").fixed(share(c), 6).end_object();
      w.end_array().end_object().finish();
      break;
    }
    case Format::markdown:
      out << "| path | leads | share |\n|---|---:|---:|\n";
      for (const auto& [path, c] : rows)
        out << "| " << terminal_safe(path) << " | " << c << " | " << format_percent(share(c)) << " |\n";
      break;
    case Format::table: {
      std::size_t width = 4;
      for (const auto& row : rows) width = std::max(width, terminal_safe(row.first).size());
      out << fmt::format("{:<{}}  {:>8}  {:>6}\n", "path", width, "leads", "share");
      for (const auto& [path, c] : rows) {
        out << fmt::format("{:<{}}  {:>8}  {:>6}\n", terminal_safe(path), width, c, format_percent(share(c)));
      }
      out << fmt::format("{} leads, {} distinct paths\n", total, counts.size());
      break;
    }
  }
}

void render_explain(const Report& report, std::string_view id, std::ostream& out) {
  const LeadStore& store = *report.store;
  const auto& stages = report.model.stages();
  auto found = store.find(id);
  out << "lead " << terminal_safe(id) << "\n\nrows (" << report.trace.size() << "):\n";
  for (const TraceRow& row : report.trace) {
    out << fmt::format("  {}:{}: {}\n", terminal_safe(row.file), row.line, terminal_safe(row.raw));
    if (!row.reported.empty()) {
      out << "      not used: " << row.reported << '\n';
      continue;
    }
    // The one used row without stage evidence: a churned customer.
    if (row.evidence.empty()) out << "      churned (an outcome after won, for retention; not a stage)\n";
    for (const Evidence& e : row.evidence) {
      std::string what = e.stage >= 0 ? "entered " + stages[static_cast<std::size_t>(e.stage)].name : "lost";
      out << "      " << what
          << (e.implied           ? " (implied by a later stage; time unknown)"
              : e.time == kNoTime ? " (time unknown)"
                                  : " at " + format_timestamp(e.time))
          << '\n';
    }
  }
  if (!found) {
    out << "\nno stage evidence: this id is not a lead in the tables\n";
    return;
  }
  const std::uint32_t lead = *found;
  LeadVerdict v = judge_lead(store, lead, report.options, report.tables.as_of);
  const LeadPath& path = v.path;
  const FunnelOptions& o = report.options;
  out << "\ndecisions:\n";
  Timestamp first[32], last[32];
  store.times(lead, first, last);
  for (std::size_t k = 0; k < stages.size(); ++k) {
    if (!store.entered(lead, static_cast<int>(k))) continue;
    std::string line = fmt::format("  {}: first entered {}", stages[k].name,
                                   first[k] == kNoTime ? "(time unknown)" : format_timestamp(first[k]));
    if (last[k] != kNoTime && last[k] != first[k])
      line += fmt::format("; again at {} (the first time counts)", format_timestamp(last[k]));
    out << line << '\n';
  }
  if (store.repeats(lead) > 0) out << fmt::format("  repeated rows: {} (counted once)\n", store.repeats(lead));
  if (v.excluded != Exclusion::none) {
    out << "  not counted: " << exclusion_name(v.excluded);
    if (v.excluded == Exclusion::outside_period) out << " (its entry is outside --since/--until)";
    if (v.excluded == Exclusion::no_stage) out << " (only lost rows)";
    out << '\n';
    return;
  }
  out << "  path: " << path_text(report, lead, path) << '\n';
  std::vector<std::string> skipped;
  for (int k = 0; k < path.furthest; ++k) {
    if (!store.entered(lead, k)) skipped.push_back(stages[static_cast<std::size_t>(k)].name);
  }
  const std::string& furthest = stages[static_cast<std::size_t>(path.furthest)].name;
  if (o.mode == CountMode::cumulative) {
    out << "  furthest stage: " << furthest << " (cumulative: reaching it counts every earlier stage as reached)\n";
  } else {
    out << "  furthest stage: " << furthest << " (ordered: stages 1.." << path.furthest + 1
        << " entered in time order)";
    out << (path.order_broken ? "; later stages were entered out of order and are not counted" : "") << '\n';
  }
  if (!skipped.empty())
    out << fmt::format("  skipped: {} (counted as reached, and as a skip in data quality)\n", fmt::join(skipped, ", "));
  if (path.regression) out << "  regression: a later row went back to an earlier stage (the first entry times count)\n";
  if (path.inversion) {
    // Name the pairs, and what each leaves out: the same rules as build_tables.
    const int n = static_cast<int>(stages.size());
    for (int j = 0; j < n; ++j) {
      for (int k = j + 1; k < n; ++k) {
        const Timestamp fj = path.first[j], fk = path.first[k];
        if (fj == kNoTime || fk == kNoTime || fk >= fj) continue;
        out << fmt::format("  inversion: {} at {} is before {} at {}{}\n", stages[static_cast<std::size_t>(k)].name,
                           format_timestamp(fk), stages[static_cast<std::size_t>(j)].name, format_timestamp(fj),
                           k == j + 1 && k <= path.furthest ? " (left out of days to next)" : "");
      }
    }
  }
  if (path.beyond_window)
    out << "  beyond --window: a later stage was entered after the conversion window and is not counted\n";
  Timestamp active = store.last_activity(lead);
  std::string status(status_name(path.status));
  switch (path.status) {
    case LeadStatus::won: {
      out << "  status: won (reached " << stages.back().name << ")\n";
      const int won = static_cast<int>(stages.size()) - 1;
      const Timestamp won_at = path.first[won], start = cycle_start(path, won);
      if (won_at == kNoTime) {
        out << "  sales cycle: not measured (no time for " << stages.back().name << ")\n";
      } else if (start == kNoTime) {
        out << "  sales cycle: not measured, no time for a stage before " << stages.back().name
            << " (counted in data quality: won with no time before the last stage)\n";
      } else if (won_at < start) {
        out << fmt::format(
            "  sales cycle: left out, won at {} before its entry at {} (counted in data quality: won before their "
            "entry)\n",
            format_timestamp(won_at), format_timestamp(start));
      } else {
        out << fmt::format("  sales cycle: {:.2f} days{}, from {} to {}\n",
                           static_cast<double>(span(start, won_at, o)) / 86400.0, o.whole_days ? " (whole days)" : "",
                           format_timestamp(start), format_timestamp(won_at));
      }
      break;
    }
    case LeadStatus::lost:
      if (path.lost_by_inactivity) {
        out << fmt::format(
            "  status: lost (--lost-after: last activity {}, {:.1f} days before as-of {}; lost after {:g} "
            "days)\n",
            format_timestamp(active), static_cast<double>(report.tables.as_of - active) / 86400.0,
            format_timestamp(report.tables.as_of), static_cast<double>(o.lost_after) / 86400.0);
      } else {
        out << "  status: lost (a lost row, before reaching " << stages.back().name << ")\n";
      }
      break;
    case LeadStatus::stalled:
    case LeadStatus::open: {
      const Timestamp as_of = report.tables.as_of;
      if (as_of == kNoTime) {
        out << fmt::format("  status: {} (the data has no time, so there is no as-of time and no lead is stalled)\n",
                           status);
      } else if (active == kNoTime) {
        out << fmt::format("  status: {} (no known activity time: a lead with no time is never stalled; as-of {})\n",
                           status, format_timestamp(as_of));
      } else {
        out << fmt::format("  status: {} (last activity {}, {:.1f} days before as-of {}; stalled after {:g} days)\n",
                           status, format_timestamp(active), static_cast<double>(as_of - active) / 86400.0,
                           format_timestamp(as_of), static_cast<double>(o.stale) / 86400.0);
      }
      break;
    }
  }
  if (path.furthest + 1 < static_cast<int>(stages.size())) {
    out << fmt::format("  counted: reached {} of {} stages; dropped after {} ({})\n", path.furthest + 1, stages.size(),
                       furthest, status);
  } else {
    out << "  counted: reached every stage\n";
  }
  if (lead < report.churn.size() && report.churn[lead]) {
    const std::string at = *report.churn[lead] == kNoTime ? "an unknown time" : format_timestamp(*report.churn[lead]);
    if (path.status != LeadStatus::won) {
      out << "  churn: ignored, the lead is not won\n";
    } else if (!churned_by(report.churn[lead], o)) {
      out << fmt::format("  churn: at {}, after --as-of: not counted yet\n", at);
    } else {
      out << fmt::format("  churn: at {}, counted in retention (the lead still counts as won)\n", at);
    }
  }
  if (!report.labels.empty()) out << "  segment: " << terminal_safe(segment_of(report, lead)) << " (first touch)\n";
}

}  // namespace funnel
