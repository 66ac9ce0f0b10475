// funnel diff's rows as a table, CSV or JSON.
#include <algorithm>

#include <fmt/format.h>

#include "funnel/check.h"
#include "funnel/diagnostics.h"
#include "funnel/json_writer.h"
#include "funnel/render.h"

namespace funnel {

void render_diff(const std::vector<DiffRow>& rows, double significance, const std::string& format, std::ostream& out) {
  if (format == "csv") {
    out << "segment,stage,reached_a,reached_b,step_conversion_a,step_conversion_b,change_pp,p_value,significant\n";
    for (const DiffRow& r : rows) {
      out << text_cell(r.segment, ',') << ',' << text_cell(r.stage, ',') << ',' << r.reached_a << ',' << r.reached_b
          << ',' << format_rate(r.rate_a) << ',' << format_rate(r.rate_b) << ','
          << (r.change_pp ? fmt::format("{:.4f}", *r.change_pp) : "") << ',' << (r.p ? fmt::format("{:.6f}", *r.p) : "")
          << ',' << (r.significant ? "true" : "false") << '\n';
    }
  } else if (format == "json") {
    JsonWriter w(out);
    w.begin_object().member("schema_version", kSchemaVersion).key("significance").general(significance);
    w.key("stages").begin_array(JsonWriter::lines);
    for (const DiffRow& r : rows) {
      w.begin_object().member("segment", r.segment).member("stage", r.stage);
      w.member("reached_a", r.reached_a).member("reached_b", r.reached_b);
      w.key("step_conversion_a").fixed(r.rate_a, 6).key("step_conversion_b").fixed(r.rate_b, 6);
      w.key("change_pp").fixed(r.change_pp, 4).key("p_value").fixed(r.p, 6).member("significant", r.significant);
      w.end_object();
    }
    w.end_array().end_object().finish();
  } else if (format == "table") {
    std::size_t seg_w = 7, stage_w = 5;
    for (const DiffRow& r : rows) {
      seg_w = std::max(seg_w, terminal_safe(r.segment).size());
      stage_w = std::max(stage_w, terminal_safe(r.stage).size());
    }
    out << fmt::format("{:<{}}  {:<{}}  {:>9}  {:>9}  {:>7}  {:>7}  {:>8}  {:>7}\n", "segment", seg_w, "stage", stage_w,
                       "reached A", "reached B", "step A", "step B", "change", "p");
    for (const DiffRow& r : rows) {
      out << fmt::format("{:<{}}  {:<{}}  {:>9}  {:>9}  {:>7}  {:>7}  {:>8}  {:>7}{}\n", terminal_safe(r.segment),
                         seg_w, terminal_safe(r.stage), stage_w, r.reached_a, r.reached_b, format_percent(r.rate_a),
                         format_percent(r.rate_b), r.change_pp ? fmt::format("{:+.1f}pp", *r.change_pp) : "-",
                         r.p ? fmt::format("{:.3f}", *r.p) : "-", r.significant ? "  *" : "");
    }
    out << fmt::format("* significant at {:g} (two-proportion test on the step conversion)\n", significance);
  } else {
    throw Error(ExitCode::usage, fmt::format("unknown --format '{}' (table, csv, json){}", format,
                                             did_you_mean(format, {"table", "csv", "json"})));
  }
}

}  // namespace funnel
