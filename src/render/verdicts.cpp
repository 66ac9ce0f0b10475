// funnel check's verdicts as text, JUnit XML or JSON.
#include <algorithm>

#include <fmt/format.h>

#include "funnel/check.h"
#include "funnel/diagnostics.h"
#include "funnel/json_writer.h"
#include "funnel/render.h"
#include "funnel/text.h"

namespace funnel {

namespace {

const char* status_text(Verdict::Status s) {
  switch (s) {
    case Verdict::Status::pass: return "pass";
    case Verdict::Status::fail: return "fail";
    case Verdict::Status::skipped: return "skipped";
  }
  return "";
}

}  // namespace

void render_verdicts(const std::vector<Verdict>& verdicts, CheckFormat format, std::ostream& out) {
  std::size_t failed = 0, skipped = 0;
  for (const auto& v : verdicts) {
    failed += v.status == Verdict::Status::fail;
    skipped += v.status == Verdict::Status::skipped;
  }
  switch (format) {
    case CheckFormat::text: {
      std::size_t rule_width = 4, segment_width = 7;
      for (const auto& v : verdicts) {
        rule_width = std::max(rule_width, terminal_safe(v.rule).size());
        segment_width = std::max(segment_width, terminal_safe(v.segment).size());
      }
      for (const auto& v : verdicts) {
        const char* mark = v.status == Verdict::Status::pass   ? "PASS"
                           : v.status == Verdict::Status::fail ? "FAIL"
                                                               : "SKIP";
        out << fmt::format("{}  {:<{}}  {:<{}}  {:>10}  {}\n", mark, terminal_safe(v.rule), rule_width,
                           terminal_safe(v.segment), segment_width, v.value, v.detail);
      }
      out << fmt::format("funnel check: {} of {} checks failed{}\n", failed, verdicts.size(),
                         skipped ? fmt::format(", {} skipped", skipped) : "");
      break;
    }
    case CheckFormat::junit:
      out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
      out << fmt::format("<testsuites name=\"funnel check\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">\n",
                         verdicts.size(), failed, skipped);
      out << fmt::format("  <testsuite name=\"funnel check\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">\n",
                         verdicts.size(), failed, skipped);
      for (const auto& v : verdicts) {
        out << fmt::format("    <testcase classname=\"funnel.{}\" name=\"{}\"", xml_escape(v.segment),
                           xml_escape(v.rule));
        if (v.status == Verdict::Status::pass) {
          out << "/>\n";
          continue;
        }
        out << ">\n";
        if (v.status == Verdict::Status::fail) {
          out << fmt::format("      <failure message=\"{}: {}\">{}</failure>\n", xml_escape(v.rule),
                             xml_escape(v.value), xml_escape(v.detail));
        } else {
          out << fmt::format("      <skipped message=\"{}\"/>\n", xml_escape(v.detail));
        }
        out << "    </testcase>\n";
      }
      out << "  </testsuite>\n</testsuites>\n";
      break;
    case CheckFormat::json: {
      JsonWriter w(out);
      w.begin_object().member("schema_version", kSchemaVersion).member("checks", verdicts.size());
      w.member("failed", failed).member("skipped", skipped).key("results").begin_array(JsonWriter::lines);
      for (const auto& v : verdicts) {
        w.begin_object().member("rule", v.rule).member("segment", v.segment).member("status", status_text(v.status));
        w.member("value", v.value).member("detail", v.detail).end_object();
      }
      w.end_array().end_object().finish();
      break;
    }
  }
}

}  // namespace funnel
