// Rendered text: the report as a terminal table, CSV/TSV, JSON, Markdown, HTML or SVG (charts.h). Renderers
// only format numbers that funnel_table.h computed.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "funnel/json_writer.h"  // JsonWriter, for the JSON renderers
#include "funnel/report.h"

namespace funnel {

/// What --format selects for the tables (each command lists its names: funnel/format.h).
enum class Format { table, csv, tsv, json, markdown, html, svg };

/// Bumped whenever a JSON field is renamed or removed (adding fields keeps it).
inline constexpr int kSchemaVersion = 1;

/// How a terminal table fits: `width` columns (0: no limit, the full layout) and ASCII bars.
struct TextLayout {
  std::size_t width = 0;
  bool ascii = false;
};

void render_table(const Report& report, std::ostream& out, bool color, const TextLayout& layout = {});
void render_delimited(const Report& report, std::ostream& out, char separator);
void render_json(const Report& report, std::ostream& out);
void render_markdown(const Report& report, std::ostream& out);
/// html: render_html without cohorts and trend; svg: the command's default chart (charts.h).
void render(const Report& report, Format format, std::ostream& out, bool color, const TextLayout& layout = {});
/// funnel cohorts: one row per (entry period, stage).
void render_cohorts(const Report& report, Format format, std::ostream& out, bool color);
/// funnel trend: leads entering each stage per period.
void render_trend(const Report& report, Format format, std::ostream& out, bool color);
struct Summary;
/// funnel summary: one row per segment (table, csv, tsv, json, markdown).
void render_summary(const Summary& summary, Format format, std::ostream& out, bool color);

/// A fraction with 6 decimals ("0.500000"); empty when undefined.
std::string format_rate(const std::optional<double>& rate);
/// Days with 4 decimals; empty when there is nothing to measure.
std::string format_days(double days, std::uint64_t count);
/// The names of the CSV columns, in order.
std::string_view csv_header();
/// A rate as a percentage with one decimal ("42.5%"), "-" when undefined.
std::string format_percent(const std::optional<double>& rate);
/// The median of some durations in days with two decimals, "-" when there are none.
std::string format_median_days(const DurationStats& d);
/// "TOFU", "MOFU", "BOFU".
std::string section_label(Section s);
/// Text a spreadsheet would run as a formula (it begins with = + - @, a tab or a CR) with a
/// leading quote mark; other text as it is.
std::string formula_safe(std::string_view text);
/// A text cell for CSV/TSV. Cells that a spreadsheet would run as a formula get a leading
/// quote mark; CSV quotes per RFC 4180; TSV, which cannot quote, turns tabs and breaks to spaces.
std::string text_cell(std::string_view text, char separator);
/// An amount with two decimals and comma thousands ("1,234.50"); "-" when undefined.
std::string format_money(const std::optional<double>& value);
/// The table and Markdown line of a segment's money metrics.
std::string money_line(const Money& m);
/// The table and Markdown line of a segment's retention metrics.
std::string retention_line(const Overall& o);
/// The two lines (no final line break; each under 80 columns) that say the data has no lost
/// evidence (DataQuality::lost_defined is false).
std::string lost_undefined_line();
/// The won leads a segment's sales cycle leaves out, by reason ("1 won before their entry"), or
/// empty when none is.
std::string cycle_left_out(const Overall& o);
/// The table line of a segment's sales cycle (with the won leads left out); empty when no lead
/// is won.
std::string cycle_line(const Overall& o);
/// The table and Markdown line of a segment's spend metrics.
std::string spend_line(const Report& report, const Spend& s);
/// Text from the data made safe for a terminal: control bytes and escapes become '?'.
std::string terminal_safe(std::string_view text);

}  // namespace funnel
