#include <fmt/format.h>

#include "funnel/render.h"
#include "funnel/timestamp.h"

namespace funnel {

namespace {

void days(JsonWriter& w, const DurationStats& d) {
  w.begin_object().member("count", d.count);
  if (d.count == 0) {
    w.key("median").null().key("p90").null().key("mean").null();
  } else {
    w.key("median").fixed(d.median, 4).key("p90").fixed(d.p90, 4).key("mean").fixed(d.mean, 4);
  }
  w.end_object();
}

void write_time(JsonWriter& w, Timestamp t) {
  if (t == kNoTime) {
    w.null();
  } else {
    w.string(format_timestamp(t));
  }
}

}  // namespace

namespace {

/// A join's inputs and faults: each file's counts, and each fault with its first lines.
void write_joins(JsonWriter& w, const InputCounts& in) {
  auto lines = [&w](const std::vector<SourceLine>& named) {
    w.begin_array();
    for (const SourceLine& l : named) w.string(fmt::format("{}:{}", l.file, l.line));
    w.end_array();
  };
  auto file_lines = [&lines](const std::string& file, const std::vector<std::uint64_t>& named) {
    std::vector<SourceLine> all;
    for (std::uint64_t line : named) all.push_back({file, line});
    lines(all);
  };
  auto reported = [&in](const char* reason) {
    auto it = in.reported_by_reason.find(reason);
    return it == in.reported_by_reason.end() ? std::uint64_t{0} : it->second;
  };
  auto first_reported = [&in](const char* reason) {
    auto it = in.first_reported.find(reason);
    return it == in.first_reported.end() ? std::vector<SourceLine>{} : it->second;
  };
  w.key("per_file").begin_array(JsonWriter::lines);
  for (const FileCounts& f : in.per_file) {
    w.begin_object().member("file", f.file).member("role", f.role).member("rows_read", f.rows_read);
    w.member("rows_used", f.rows_used).member("rows_reported", f.rows_reported).end_object();
  }
  w.end_array();
  w.key("joins").begin_object(JsonWriter::lines);
  w.member("unknown_lead_ids", reported("unknown lead id"));
  w.key("first_unknown_lead_ids");
  lines(first_reported("unknown lead id"));
  w.member("linked_to_no_lead", reported("linked to no lead"));
  w.key("first_linked_to_no_lead");
  lines(first_reported("linked to no lead"));
  w.member("dangling_links", in.dangling_links);
  w.key("first_dangling_links");
  lines(in.first_dangling);
  w.member("unknown_listed_ids", in.unknown_list_ids);
  w.key("first_unknown_listed_ids");
  lines(in.first_unknown_list_ids);
  w.key("lookups").begin_array(JsonWriter::lines);
  for (const LookupFaults& f : in.lookups) {
    w.begin_object().member("file", f.file).member("key", f.key).member("misses", f.misses);
    w.key("first_misses");
    lines(f.first_misses);
    w.key("missed_keys").begin_array();
    for (const auto& k : f.missed_keys) w.string(k);
    w.end_array();
    w.member("duplicate_keys", f.duplicates);
    w.key("first_duplicate_keys");
    file_lines(f.file, f.first_duplicates);
    w.member("empty_keys", f.empty_keys);
    w.key("first_empty_keys");
    file_lines(f.file, f.first_empty);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

}  // namespace

void render_json(const Report& report, std::ostream& out) {
  const InputCounts& in = report.input;
  const DataQuality& q = report.tables.quality;
  const auto& stages = report.model.stages();
  JsonWriter w(out);
  w.begin_object(JsonWriter::lines).member("schema_version", kSchemaVersion);
  w.key("input").begin_object(JsonWriter::lines);
  w.key("files").begin_array();
  for (const auto& file : in.files) w.string(file == "-" ? "<stdin>" : file);
  w.end_array();
  w.member("shape", shape_name(in.shape)).member("delimiter", std::string(1, in.delimiter));
  w.member("rows_read", in.rows_read).member("rows_used", in.rows_used).member("rows_reported", in.rows_reported);
  w.member("rows_rejected", in.rows_rejected).member("rows_not_used", in.rows_reported - in.rows_rejected);
  w.key("reported_by_reason").begin_object();
  for (const auto& [reason, count] : in.reported_by_reason) w.member(reason, count);
  w.end_object();
  w.member("blank_lines", in.blank_lines).member("trailing_delimiters", in.trailing_delimiters);
  w.member("scientific_ids", in.scientific_ids).member("dst_gaps", in.dst_gaps).member("dst_overlaps", in.dst_overlaps);
  w.member("invalid_amounts", in.invalid_amounts).member("guessed_amounts", in.guessed_amounts);
  w.member("conflicting_amounts", in.conflicting_amounts);
  w.member("lead_ids", in.ids);
  if (in.joined) write_joins(w, in);
  w.end_object();

  w.key("options").begin_object();
  w.member("count", report.options.mode == CountMode::ordered ? "ordered" : "cumulative");
  w.key("stale_days").general(static_cast<double>(report.options.stale) / 86400.0);
  write_time(w.key("as_of"), report.tables.as_of);
  if (report.options.window > 0) {
    w.key("window_days").general(static_cast<double>(report.options.window) / 86400.0);
  } else {
    w.key("window_days").null();
  }
  if (report.options.lost_after > 0) {
    w.key("lost_after_days").general(static_cast<double>(report.options.lost_after) / 86400.0);
  } else {
    w.key("lost_after_days").null();
  }
  w.member("days", report.options.whole_days ? "whole" : "fractional");
  write_time(w.key("since"), report.options.since);
  write_time(w.key("until"), report.options.until);
  w.member("tz", report.zone.name()).end_object();

  w.key("data_quality").begin_object(JsonWriter::lines);
  w.member("leads_with_skips", q.leads_with_skips).member("skipped_stages", q.skipped_stages);
  w.member("leads_with_repeats", q.leads_with_repeats).member("repeated_rows", q.repeated_rows);
  w.member("exact_duplicates", q.exact_duplicates).member("conflicting_repeats", q.conflicting_repeats);
  w.member("leads_with_regressions", q.leads_with_regressions).member("leads_with_inversions", q.leads_with_inversions);
  w.member("leads_out_of_order", q.leads_out_of_order).member("lost_without_stage", q.lost_without_stage);
  w.member("won_and_lost", q.won_and_lost).member("negative_durations", q.negative_durations);
  w.member("leads_beyond_window", q.leads_beyond_window).member("leads_outside_period", q.leads_outside_period);
  w.member("won_without_entry", q.won_without_entry).member("won_before_entry", q.won_before_entry);
  w.member("lost_defined", q.lost_defined).member("lost_by_inactivity", q.lost_by_inactivity);
  if (report.options.where) w.member("leads_left_out_by_where", q.leads_filtered);  // with --where only
  w.end_object();

  w.key("stages").begin_array();
  for (const auto& stage : stages) {
    w.begin_object().member("name", stage.name).member("section", section_name(stage.section)).end_object();
  }
  w.end_array();

  w.key("segments").begin_array(JsonWriter::lines);
  for (const SegmentTable& seg : report.tables.segments) {
    const Overall& o = seg.overall;
    w.begin_object(JsonWriter::lines).member("segment", seg.label);
    w.key("overall").begin_object();
    w.member("leads", o.leads).member("won", o.won).member("lost", o.lost).member("open", o.open);
    w.member("stalled", o.stalled).key("win_rate").fixed(o.win_rate, 6);
    days(w.key("cycle_days"), o.cycle);
    w.key("cycle_histogram").begin_array();
    for (std::size_t b = 0; b < kCycleBuckets; ++b) w.integer(o.cycle_histogram[b]);
    w.end_array();
    if (o.money.present) {
      const Money& m = o.money;
      w.key("money").begin_object().member("won_with_amount", m.won_with_amount);
      w.key("won_revenue").fixed(m.won_revenue, 2).key("average_deal").fixed(m.average_deal, 2);
      w.key("median_deal").fixed(m.median_deal, 2).key("revenue_per_lead").fixed(m.revenue_per_lead, 2);
      w.member("open_opportunities", m.open_opportunities).key("open_pipeline").fixed(m.open_pipeline, 2);
      w.key("sales_velocity_per_day").fixed(m.sales_velocity, 2).end_object();
    }
    if (o.spend.present) {
      const Spend& sp = o.spend;
      w.key("spend").begin_object().key("cost").fixed(sp.cost, 2).key("cost_per_stage").begin_array();
      for (const auto& cost : sp.per_stage) w.fixed(cost, 2);
      w.end_array().key("cac").fixed(sp.cac, 2).key("roi").fixed(sp.roi, 6).end_object();
    }
    if (o.retention.present) {
      const Retention& r = o.retention;
      w.key("retention").begin_object().member("churned", r.churned).key("churn_rate").fixed(r.churn_rate, 6);
      w.key("ltv_estimate").fixed(r.ltv_estimate, 2).member("churned_not_won", r.churned_not_won).end_object();
    }
    w.end_object();
    w.key("sections").begin_array();
    for (const SectionRow& r : seg.sections) {
      w.begin_object().member("section", section_name(r.section)).member("reached", r.reached);
      w.key("conversion").fixed(r.conversion, 6).key("overall_conversion").fixed(r.overall_conversion, 6).end_object();
    }
    w.end_array();
    w.key("stages").begin_array(JsonWriter::lines);
    for (std::size_t k = 0; k < stages.size(); ++k) {
      const StageRow& r = seg.stages[k];
      w.begin_object().member("stage", stages[k].name).member("section", section_name(stages[k].section));
      w.member("reached", r.reached).key("step_conversion").fixed(r.step_conversion, 6);
      w.key("overall_conversion").fixed(r.overall_conversion, 6);
      w.member("dropped", r.dropped).member("lost", r.lost).member("open", r.open).member("stalled", r.stalled);
      days(w.key("days_to_next"), r.to_next);
      days(w.key("days_from_entry"), r.from_entry);
      if (r.step_ci) {
        w.key("step_ci").begin_array().fixed(r.step_ci->low, 6).fixed(r.step_ci->high, 6).end_array();
      } else {
        w.key("step_ci").null();
      }
      w.key("vs_rest_p").fixed(r.vs_rest_p, 6).end_object();
    }
    w.end_array().end_object();
  }
  w.end_array().end_object().finish();
}

}  // namespace funnel
