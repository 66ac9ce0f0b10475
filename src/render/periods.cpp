// funnel cohorts and funnel trend: one row per period (and stage).
#include <algorithm>

#include <fmt/format.h>

#include "funnel/render.h"
#include "funnel/timestamp.h"

namespace funnel {
namespace {

std::string day_text(std::int64_t day) { return format_timestamp(day * 86400).substr(0, 10); }

void cohorts_table(const Report& report, std::ostream& out, bool markdown) {
  const auto& stages = report.model.stages();
  std::vector<std::string> head{"cohort", "start", "leads"};
  for (std::size_t k = 1; k < stages.size(); ++k) head.push_back(terminal_safe(stages[k].name));
  head.push_back("complete");
  std::vector<std::vector<std::string>> rows;
  for (std::size_t s = 1; s < report.tables.segments.size(); ++s) {
    const SegmentTable& t = report.tables.segments[s];
    const Cohort& c = report.cohorts[s - 1];
    std::vector<std::string> row{c.label, day_text(c.first_day), fmt::format("{}", t.stages[0].reached)};
    for (std::size_t k = 1; k < stages.size(); ++k) {
      row.push_back(fmt::format("{} {}", t.stages[k].reached, format_percent(t.stages[k].overall_conversion)));
    }
    row.push_back(c.complete ? "yes" : "no");
    rows.push_back(std::move(row));
  }
  if (markdown) {
    out << "| " << fmt::format("{}", fmt::join(head, " | ")) << " |\n|";
    for (std::size_t i = 0; i < head.size(); ++i) out << (i < 2 ? "---|" : "--:|");
    out << '\n';
    for (const auto& row : rows) out << "| " << fmt::format("{}", fmt::join(row, " | ")) << " |\n";
    return;
  }
  std::vector<std::size_t> width(head.size());
  for (std::size_t i = 0; i < head.size(); ++i) {
    width[i] = head[i].size();
    for (const auto& row : rows) width[i] = std::max(width[i], row[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      out << (i ? "  " : "")
          << (i < 2 ? fmt::format("{:<{}}", cells[i], width[i]) : fmt::format("{:>{}}", cells[i], width[i]));
    }
    out << '\n';
  };
  line(head);
  for (const auto& row : rows) line(row);
  out << fmt::format(
      "\ncounts and conversion from entry, per {} of entry; a cohort is complete once its period{} "
      "ended by the as-of time {}\n",
      report.every == Period::week ? std::string_view("ISO week") : period_name(report.every),
      report.options.window > 0 ? " plus the window" : "",
      report.tables.as_of == kNoTime ? "-" : format_timestamp(report.tables.as_of));
}

void trend_table(const Report& report, std::ostream& out, bool markdown) {
  const auto& stages = report.model.stages();
  std::vector<std::string> head{"period", "start"};
  for (const auto& st : stages) head.push_back(terminal_safe(st.name));
  if (markdown) {
    out << "| " << fmt::format("{}", fmt::join(head, " | ")) << " |\n|";
    for (std::size_t i = 0; i < head.size(); ++i) out << (i < 2 ? "---|" : "--:|");
    out << '\n';
  }
  std::vector<std::size_t> width(head.size(), 10);
  for (std::size_t i = 0; i < head.size(); ++i) width[i] = std::max(width[i], head[i].size());
  auto line = [&](const std::vector<std::string>& cells) {
    if (markdown) {
      out << "| " << fmt::format("{}", fmt::join(cells, " | ")) << " |\n";
      return;
    }
    for (std::size_t i = 0; i < cells.size(); ++i) {
      out << (i ? "  " : "")
          << (i < 2 ? fmt::format("{:<{}}", cells[i], width[i]) : fmt::format("{:>{}}", cells[i], width[i]));
    }
    out << '\n';
  };
  if (!markdown) line(head);
  const Trend& t = report.trend;
  for (std::size_t p = 0; p < t.periods.size(); ++p) {
    std::vector<std::string> row{t.periods[p], day_text(t.first_days[p])};
    for (auto count : t.entered[p]) row.push_back(fmt::format("{}", count));
    line(row);
  }
}

}  // namespace

void render_cohorts(const Report& report, Format format, std::ostream& out, bool) {
  const auto& stages = report.model.stages();
  switch (format) {
    case Format::table: cohorts_table(report, out, false); return;
    case Format::markdown: cohorts_table(report, out, true); return;
    case Format::html:
    case Format::svg: render(report, format, out, false); return;
    case Format::csv:
    case Format::tsv: {
      char sep = format == Format::csv ? ',' : '\t';
      out << fmt::format(
          "cohort{0}cohort_start{0}complete{0}stage{0}section{0}reached{0}step_conversion{0}"
          "overall_conversion{0}days_from_entry_median\n",
          sep);
      for (std::size_t s = 1; s < report.tables.segments.size(); ++s) {
        const SegmentTable& t = report.tables.segments[s];
        const Cohort& c = report.cohorts[s - 1];
        for (std::size_t k = 0; k < stages.size(); ++k) {
          const StageRow& r = t.stages[k];
          out << fmt::format("{1}{0}{2}{0}{3}{0}{4}{0}{5}{0}{6}{0}{7}{0}{8}{0}{9}\n", sep, c.label,
                             day_text(c.first_day), c.complete ? "true" : "false", stages[k].name,
                             section_name(stages[k].section), r.reached, format_rate(r.step_conversion),
                             format_rate(r.overall_conversion), format_days(r.from_entry.median, r.from_entry.count));
        }
      }
      return;
    }
    case Format::json: {
      JsonWriter w(out);
      w.begin_object(JsonWriter::lines).member("schema_version", kSchemaVersion).member("kind", "cohorts");
      w.member("every", period_name(report.every));
      if (report.tables.as_of == kNoTime) {
        w.key("as_of").null();
      } else {
        w.member("as_of", format_timestamp(report.tables.as_of));
      }
      w.key("cohorts").begin_array(JsonWriter::block);
      for (std::size_t s = 1; s < report.tables.segments.size(); ++s) {
        const SegmentTable& t = report.tables.segments[s];
        const Cohort& c = report.cohorts[s - 1];
        w.begin_object().member("cohort", c.label).member("start", day_text(c.first_day));
        w.member("complete", c.complete).member("leads", t.stages[0].reached).key("stages").begin_array();
        for (std::size_t k = 0; k < stages.size(); ++k) {
          const StageRow& r = t.stages[k];
          w.begin_object().member("stage", stages[k].name).member("reached", r.reached);
          w.key("step_conversion").fixed(r.step_conversion, 6);
          w.key("overall_conversion").fixed(r.overall_conversion, 6).end_object();
        }
        w.end_array().end_object();
      }
      w.end_array().end_object().finish();
      return;
    }
  }
}

void render_trend(const Report& report, Format format, std::ostream& out, bool) {
  const auto& stages = report.model.stages();
  const Trend& t = report.trend;
  switch (format) {
    case Format::table: trend_table(report, out, false); return;
    case Format::markdown: trend_table(report, out, true); return;
    case Format::html:
    case Format::svg: render(report, format, out, false); return;
    case Format::csv:
    case Format::tsv: {
      char sep = format == Format::csv ? ',' : '\t';
      out << fmt::format("period{0}period_start{0}stage{0}section{0}entered\n", sep);
      for (std::size_t p = 0; p < t.periods.size(); ++p) {
        for (std::size_t k = 0; k < stages.size(); ++k) {
          out << fmt::format("{1}{0}{2}{0}{3}{0}{4}{0}{5}\n", sep, t.periods[p], day_text(t.first_days[p]),
                             stages[k].name, section_name(stages[k].section), t.entered[p][k]);
        }
      }
      return;
    }
    case Format::json: {
      JsonWriter w(out);
      w.begin_object(JsonWriter::lines).member("schema_version", kSchemaVersion).member("kind", "trend");
      w.key("periods").begin_array(JsonWriter::block);
      for (std::size_t p = 0; p < t.periods.size(); ++p) {
        w.begin_object().member("period", t.periods[p]).member("start", day_text(t.first_days[p]));
        w.key("entered").begin_object();
        for (std::size_t k = 0; k < stages.size(); ++k) w.member(stages[k].name, t.entered[p][k]);
        w.end_object().end_object();
      }
      w.end_array().end_object().finish();
      return;
    }
  }
}

}  // namespace funnel
