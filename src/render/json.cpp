#include <fmt/format.h>

#include "funnel/render.h"
#include "funnel/timestamp.h"

namespace funnel {

std::string json_quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

namespace {

std::string json_rate(const std::optional<double>& rate) {
  return rate ? fmt::format("{:.6f}", *rate) : "null";
}

std::string json_days(const DurationStats& d) {
  if (d.count == 0) return fmt::format("{{\"count\": 0, \"median\": null, \"p90\": null, \"mean\": null}}");
  return fmt::format("{{\"count\": {}, \"median\": {:.4f}, \"p90\": {:.4f}, \"mean\": {:.4f}}}",
                     d.count, d.median, d.p90, d.mean);
}

std::string json_time(Timestamp t) { return t == kNoTime ? "null" : json_quote(format_timestamp(t)); }

}  // namespace

void render_json(const Report& report, std::ostream& out) {
  const InputCounts& in = report.input;
  const DataQuality& q = report.tables.quality;
  const auto& stages = report.model.stages();
  out << "{\n  \"schema_version\": " << kSchemaVersion << ",\n";
  out << "  \"input\": {\n    \"files\": [";
  for (std::size_t i = 0; i < in.files.size(); ++i) {
    out << (i ? ", " : "") << json_quote(in.files[i] == "-" ? "<stdin>" : in.files[i]);
  }
  out << "],\n    \"shape\": " << json_quote(shape_name(in.shape))
      << ",\n    \"delimiter\": " << json_quote(std::string(1, in.delimiter))
      << ",\n    \"rows_read\": " << in.rows_read << ",\n    \"rows_used\": " << in.rows_used
      << ",\n    \"rows_reported\": " << in.rows_reported << ",\n    \"reported_by_reason\": {";
  bool first = true;
  for (const auto& [reason, count] : in.reported_by_reason) {
    out << (first ? "" : ", ") << json_quote(reason) << ": " << count;
    first = false;
  }
  out << "},\n    \"blank_lines\": " << in.blank_lines << ",\n    \"trailing_delimiters\": " << in.trailing_delimiters
      << ",\n    \"scientific_ids\": " << in.scientific_ids << ",\n    \"dst_gaps\": " << in.dst_gaps
      << ",\n    \"dst_overlaps\": " << in.dst_overlaps << ",\n    \"invalid_amounts\": " << in.invalid_amounts
      << ",\n    \"guessed_amounts\": " << in.guessed_amounts << ",\n    \"lead_ids\": " << in.ids << "\n  },\n";
  out << "  \"options\": {\"count\": "
      << json_quote(report.options.mode == CountMode::ordered ? "ordered" : "cumulative")
      << ", \"stale_days\": " << fmt::format("{:g}", static_cast<double>(report.options.stale) / 86400.0)
      << ", \"as_of\": " << json_time(report.tables.as_of) << ", \"window_days\": "
      << (report.options.window > 0 ? fmt::format("{:g}", static_cast<double>(report.options.window) / 86400.0) : "null")
      << ", \"since\": " << json_time(report.options.since) << ", \"until\": " << json_time(report.options.until)
      << ", \"tz\": " << json_quote(report.zone.name()) << "},\n";
  out << "  \"data_quality\": {\n"
      << "    \"leads_with_skips\": " << q.leads_with_skips << ",\n"
      << "    \"skipped_stages\": " << q.skipped_stages << ",\n"
      << "    \"leads_with_repeats\": " << q.leads_with_repeats << ",\n"
      << "    \"repeated_rows\": " << q.repeated_rows << ",\n"
      << "    \"exact_duplicates\": " << q.exact_duplicates << ",\n"
      << "    \"conflicting_repeats\": " << q.conflicting_repeats << ",\n"
      << "    \"leads_with_regressions\": " << q.leads_with_regressions << ",\n"
      << "    \"leads_with_inversions\": " << q.leads_with_inversions << ",\n"
      << "    \"leads_out_of_order\": " << q.leads_out_of_order << ",\n"
      << "    \"lost_without_stage\": " << q.lost_without_stage << ",\n"
      << "    \"won_and_lost\": " << q.won_and_lost << ",\n"
      << "    \"negative_durations\": " << q.negative_durations << ",\n"
      << "    \"leads_beyond_window\": " << q.leads_beyond_window << ",\n"
      << "    \"leads_outside_period\": " << q.leads_outside_period << "\n  },\n";
  out << "  \"stages\": [";
  for (std::size_t k = 0; k < stages.size(); ++k) {
    out << (k ? ", " : "") << "{\"name\": " << json_quote(stages[k].name)
        << ", \"section\": " << json_quote(section_name(stages[k].section)) << "}";
  }
  out << "],\n  \"segments\": [\n";
  for (std::size_t s = 0; s < report.tables.segments.size(); ++s) {
    const SegmentTable& seg = report.tables.segments[s];
    const Overall& o = seg.overall;
    out << "    {\n      \"segment\": " << json_quote(seg.label) << ",\n";
    out << "      \"overall\": {\"leads\": " << o.leads << ", \"won\": " << o.won
        << ", \"lost\": " << o.lost << ", \"open\": " << o.open << ", \"stalled\": " << o.stalled
        << ", \"win_rate\": " << json_rate(o.win_rate) << ", \"cycle_days\": " << json_days(o.cycle)
        << ", \"cycle_histogram\": [";
    for (std::size_t b = 0; b < kCycleBuckets; ++b) out << (b ? ", " : "") << o.cycle_histogram[b];
    out << "]";
    if (o.money.present) {
      const Money& m = o.money;
      auto num = [](const std::optional<double>& x) { return x ? fmt::format("{:.2f}", *x) : std::string("null"); };
      out << fmt::format(", \"money\": {{\"won_with_amount\": {}, \"won_revenue\": {:.2f}, \"average_deal\": {}, "
                         "\"median_deal\": {}, \"revenue_per_lead\": {}, \"open_opportunities\": {}, "
                         "\"open_pipeline\": {:.2f}, \"sales_velocity_per_day\": {}}}",
                         m.won_with_amount, m.won_revenue, num(m.average_deal), num(m.median_deal), num(m.revenue_per_lead),
                         m.open_opportunities, m.open_pipeline, num(m.sales_velocity));
    }
    if (o.spend.present) {
      const Spend& sp = o.spend;
      auto num = [](const std::optional<double>& x) { return x ? fmt::format("{:.2f}", *x) : std::string("null"); };
      out << fmt::format(", \"spend\": {{\"cost\": {:.2f}, \"cost_per_stage\": [", sp.cost);
      for (std::size_t k = 0; k < sp.per_stage.size(); ++k) out << (k ? ", " : "") << num(sp.per_stage[k]);
      out << fmt::format("], \"cac\": {}, \"roi\": {}}}", num(sp.cac),
                         sp.roi ? fmt::format("{:.6f}", *sp.roi) : std::string("null"));
    }
    if (o.retention.present) {
      const Retention& r = o.retention;
      out << fmt::format(", \"retention\": {{\"churned\": {}, \"churn_rate\": {}, \"ltv_estimate\": {}, "
                         "\"churned_not_won\": {}}}",
                         r.churned, json_rate(r.churn_rate),
                         r.ltv_estimate ? fmt::format("{:.2f}", *r.ltv_estimate) : std::string("null"), r.churned_not_won);
    }
    out << "},\n";
    out << "      \"sections\": [";
    for (std::size_t i = 0; i < seg.sections.size(); ++i) {
      const SectionRow& r = seg.sections[i];
      out << (i ? ", " : "") << "{\"section\": " << json_quote(section_name(r.section))
          << ", \"reached\": " << r.reached << ", \"conversion\": " << json_rate(r.conversion)
          << ", \"overall_conversion\": " << json_rate(r.overall_conversion) << "}";
    }
    out << "],\n      \"stages\": [\n";
    for (std::size_t k = 0; k < stages.size(); ++k) {
      const StageRow& r = seg.stages[k];
      out << "        {\"stage\": " << json_quote(stages[k].name)
          << ", \"section\": " << json_quote(section_name(stages[k].section))
          << ", \"reached\": " << r.reached << ", \"step_conversion\": " << json_rate(r.step_conversion)
          << ", \"overall_conversion\": " << json_rate(r.overall_conversion)
          << ", \"dropped\": " << r.dropped << ", \"lost\": " << r.lost << ", \"open\": " << r.open
          << ", \"stalled\": " << r.stalled << ", \"days_to_next\": " << json_days(r.to_next)
          << ", \"days_from_entry\": " << json_days(r.from_entry) << ", \"step_ci\": "
          << (r.step_ci ? fmt::format("[{:.6f}, {:.6f}]", r.step_ci->low, r.step_ci->high) : "null")
          << ", \"vs_rest_p\": " << (r.vs_rest_p ? fmt::format("{:.6f}", *r.vs_rest_p) : "null") << "}"
          << (k + 1 < stages.size() ? ",\n" : "\n");
    }
    out << "      ]\n    }" << (s + 1 < report.tables.segments.size() ? ",\n" : "\n");
  }
  out << "  ]\n}\n";
}

}  // namespace funnel
