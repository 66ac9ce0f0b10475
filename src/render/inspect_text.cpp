// funnel inspect as text: the files and their columns, the shape, stage values, time
// columns, ids, notes, suggested flags and the command line. Only renders an Inspection.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "funnel/inspection.h"
#include "funnel/render.h"

namespace funnel {
namespace {

constexpr std::size_t kMaxValuesShown = 50;  ///< stage values listed, most rows first
constexpr std::size_t kTextValueWidth = 60;  ///< values are clipped to this many characters

/// Characters on screen of UTF-8 text (continuation bytes do not count).
std::size_t width_of(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

/// Data made safe for a terminal and clipped to `max` characters (at a character boundary).
std::string shown(std::string_view s, std::size_t max = kTextValueWidth) {
  std::string safe = terminal_safe(s);
  if (width_of(safe) <= max) return safe;
  std::size_t chars = 0, i = 0;
  for (; i < safe.size(); ++i) {
    if ((static_cast<unsigned char>(safe[i]) & 0xC0) != 0x80 && ++chars > max - 3) break;
  }
  return safe.substr(0, i) + "...";
}

std::string pad(const std::string& s, std::size_t width) {
  std::size_t w = width_of(s);
  return w >= width ? s : s + std::string(width - w, ' ');
}

std::string role_text(const ColumnRole& r) {
  if (r.role == "stage_time") return "stage time for " + r.stage;
  return r.role;
}

std::optional<std::string> guess_text(const Inspection& in, int column) {
  if (!in.guessing) return {};
  if (in.guessed_id == column) return "looks like the lead id";
  if (in.guessed_stage == column) return "looks like stage values";
  if (in.guessed_time == column) return "looks like times";
  return {};
}

void write_file(std::ostream& out, const Inspection& in, const InspectedFile& f, bool first) {
  std::string extra;
  if (f.rejected > 0) {
    std::vector<std::string> parts;
    for (const auto& [reason, n] : f.rejected_by_reason) parts.push_back(fmt::format("{} {}", n, reason));
    extra += fmt::format(", {} skipped ({})", f.rejected, fmt::join(parts, ", "));
  }
  if (f.blank_lines > 0) extra += ", " + plural(f.blank_lines, "blank line", "blank lines");
  if (f.trailing_delimiters > 0)
    extra += fmt::format(", {} with a trailing delimiter", plural(f.trailing_delimiters, "row", "rows"));
  out << fmt::format("{}{}: {}{}, delimiter {} ({})\n", first ? "" : "\n", shown(f.name, 200),
                     plural(f.rows_read, "row", "rows"), extra, delimiter_name(f.dialect.delimiter),
                     f.dialect.detected ? "detected" : "given");
  if (f.first_rejected) {
    out << fmt::format("  first skipped: line {}: {}\n", f.first_rejected->first, shown(f.first_rejected->second, 200));
  }
  if (!first && f.same_header) {
    out << fmt::format("  columns as in {}\n", shown(in.files.front().name, 200));
    return;
  }
  if (!f.same_header) out << "  header differs from the first file's:\n";
  std::size_t width = 4;
  for (const auto& h : f.header) width = std::max(width, width_of(shown(h)));
  std::size_t digits = std::to_string(f.header.size()).size();
  for (std::size_t i = 0; i < f.header.size(); ++i) {
    std::string role = f.roles[i].role.empty() ? "-" : role_text(f.roles[i]);
    if (first) {
      if (auto g = guess_text(in, static_cast<int>(i))) role += " (" + *g + ")";
    }
    out << fmt::format("  {:>{}}  {}  {}\n", i + 1, digits, pad(shown(f.header[i]), width), terminal_safe(role));
  }
}

void write_values(std::ostream& out, const Inspection& in) {
  const auto& values = in.values;
  std::uint64_t total = 0;
  for (const auto& v : values) total += v.rows;
  out << fmt::format("\nstage values in '{}': {} in {}, {} with an empty stage\n",
                     shown(in.column_name(in.schema->stage)),
                     plural(values.size(), "distinct value", "distinct values"), plural(total, "row", "rows"),
                     plural(in.empty_stages, "row", "rows"));
  if (values.empty()) return;
  std::size_t n = std::min(values.size(), kMaxValuesShown);
  std::size_t width = 5, count_width = 4;
  for (std::size_t i = 0; i < n; ++i) {
    width = std::max(width, width_of(shown(values[i].value)));
    count_width = std::max(count_width, std::to_string(values[i].rows).size());
  }
  out << fmt::format("  {:>{}}  {}  maps to\n", "rows", count_width, pad("value", width));
  for (std::size_t i = 0; i < n; ++i) {
    const StageValue& v = values[i];
    std::string to = v.maps_to;
    if (v.close) to += fmt::format(" (did you mean '{}', {}?)", terminal_safe(*v.close), v.close_maps_to);
    out << fmt::format("  {:>{}}  {}  {}\n", v.rows, count_width, pad(shown(v.value), width), to);
  }
  if (values.size() > n) {
    std::uint64_t rows = 0;
    for (std::size_t i = n; i < values.size(); ++i) rows += values[i].rows;
    out << fmt::format("  ... and {} more {} in {}\n", values.size() - n, values.size() - n == 1 ? "value" : "values",
                       plural(rows, "row", "rows"));
  }
}

void write_times(std::ostream& out, const Inspection& in) {
  out << "\ntime columns:\n";
  for (const auto& t : in.times) {
    std::string role = t.role == "stage_time" ? "stage time for " + t.stage : t.role;
    out << fmt::format("  '{}' ({}): {}, {} readable, {} empty, {} unreadable{}\n", shown(in.column_name(t.column)),
                       terminal_safe(role), plural(t.cells, "cell", "cells"), t.readable, t.empty, t.unreadable,
                       t.ambiguous > 0 ? fmt::format(", {} undecided", t.ambiguous) : "");
    if (t.sample) {
      out << fmt::format("      sample \"{}\"{}\n", shown(*t.sample),
                         t.sample_time ? " read as " + format_timestamp(*t.sample_time) : std::string());
    }
    if (t.settled_by) {
      out << fmt::format("      day/month order: {}, settled by \"{}\" at {}:{}\n",
                         t.order == DateOrder::dmy ? "day first" : "month first", shown(t.settled_by->value),
                         shown(t.settled_by->file, 200), t.settled_by->line);
    } else if (t.ambiguous > 0) {
      out << "      day/month order: undecided (every day and month is 12 or less)\n";
    }
    if (t.first_unreadable) {
      out << fmt::format("      first unreadable: {}:{}: \"{}\": {}\n", shown(t.first_unreadable->file, 200),
                         t.first_unreadable->line, shown(t.first_unreadable->value),
                         terminal_safe(t.first_unreadable->problem));
    }
  }
}

void write_suggestions(std::ostream& out, const Inspection& in) {
  if (in.suggestions.empty()) {
    out << "\nsuggested flags: none\n";
    return;
  }
  out << "\nsuggested flags:\n";
  std::size_t width = 0;
  for (const auto& s : in.suggestions) width = std::max(width, width_of(terminal_safe(s.words)));
  for (const auto& s : in.suggestions) {
    out << "  " << pad(terminal_safe(s.words), width) << "  " << terminal_safe(s.reason) << '\n';
  }
  if (in.suggested_shape && in.guessing) {
    out << fmt::format("  (with these the input reads as {})\n", shape_name(*in.suggested_shape));
  }
}

}  // namespace

void render_inspection_text(const Inspection& in, std::ostream& out) {
  for (std::size_t i = 0; i < in.files.size(); ++i) write_file(out, in, in.files[i], i == 0);
  out << '\n';
  if (in.schema) {
    out << fmt::format("shape: {} ({})\n", shape_name(in.schema->shape), in.shape_reason);
  } else {
    out << "shape: not detected\n";
  }
  if (in.error) out << "error: " << terminal_safe(*in.error) << '\n';
  if (in.schema && in.schema->stage >= 0) write_values(out, in);
  if (!in.times.empty()) write_times(out, in);
  if (in.schema) {
    out << fmt::format("\nlead ids in '{}': {} distinct, {} with an empty id\n", shown(in.column_name(in.schema->id)),
                       in.distinct_ids, plural(in.empty_ids, "row", "rows"));
    const bool long_log = in.schema->shape == Shape::long_log;
    std::vector<std::string> unused;
    if (in.empty_ids > 0) unused.push_back(fmt::format("{} empty lead id", in.empty_ids));
    if (long_log && in.empty_stages > 0) unused.push_back(fmt::format("{} empty stage", in.empty_stages));
    if (long_log && in.unknown_rows > 0) unused.push_back(fmt::format("{} unknown stage", in.unknown_rows));
    if (in.no_stage_date > 0) unused.push_back(fmt::format("{} no stage date", in.no_stage_date));
    if (!unused.empty()) out << fmt::format("rows funnel report will not use: {}\n", fmt::join(unused, ", "));
  }
  if (!in.notes.empty()) {
    out << "\nnotes:\n";
    for (const auto& n : in.notes) out << "  - " << terminal_safe(n) << '\n';
  }
  if (!in.joins.empty()) {
    out << "\njoins (how funnel report reads the files with their own header):\n";
    const std::string& first = in.files.front().name;
    for (const JoinFinding& j : in.joins) {
      std::string line = j.role.empty() ? std::string("not joined as given") : fmt::format("{}: {}", j.role, j.how);
      if (!j.by_name.empty()) line += fmt::format("; shares '{}' by name", j.by_name);
      if (j.matched > 0) {
        line += fmt::format("; by value, {} of the {} distinct '{}' values sampled are '{}' values of {}", j.matched,
                            j.sampled, j.value_column, j.value_first, first);
      } else {
        line += "; no sampled value is in the first file";
      }
      out << "  " << terminal_safe(j.file) << ": " << terminal_safe(line) << '\n';
    }
    if (in.join_error) out << "  error: " << terminal_safe(*in.join_error) << '\n';
  }
  write_suggestions(out, in);
  if (in.layout) out << "\nlayout: " << in.layout->name << ": " << in.layout->description << '\n';
  out << "\ncommand: " << terminal_safe(in.command) << '\n';
}

}  // namespace funnel
