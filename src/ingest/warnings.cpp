#include "warnings.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace funnel::ingest_detail {

void warn_unknown_stages(const EventExtractor& extractor, const StageModel& model, Shape shape,
                         Diagnostics& diagnostics) {
  std::vector<std::string> spellings;
  for (const auto& s : model.spellings()) spellings.push_back(normalize_name(s));
  constexpr std::size_t kShown = 20;  // a line each; the rest summed up in one
  std::size_t shown = 0;
  std::uint64_t more_values = 0, more_rows = 0;
  for (const auto& [value, u] : extractor.unknown_stages()) {
    if (shown == kShown) {
      ++more_values;
      more_rows += u.rows;
      continue;
    }
    ++shown;
    std::string hint = did_you_mean(normalize_name(value), spellings);
    // Only a printable value can be pasted back as an option.
    bool printable = std::all_of(value.begin(), value.end(),
                                 [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != '"' && c != 0x7f; });
    std::string fix =
        printable ? fmt::format("; name it with --alias \"STAGE={}\" or --lost \"{}\"", value, value) : "";
    diagnostics.warn(fmt::format(
        "{}:{}: unknown stage {} in {} row{} ({}){}{}", u.file, u.first_line, quote_cell(value), u.rows,
        u.rows == 1 ? "" : "s",
        shape == Shape::snapshot ? "those deals count at the first stage only" : "rows reported, not counted", fix,
        hint));
  }
  if (more_values > 0) {
    diagnostics.warn(fmt::format(
        "... and {} more unknown stage value{} in {} row{} ({}); funnel inspect lists stage values, most rows first",
        more_values, more_values == 1 ? "" : "s", more_rows, more_rows == 1 ? "" : "s",
        shape == Shape::snapshot ? "counted at the first stage only" : "reported, not counted"));
  }
}

namespace {

/// "a.csv:4, a.csv:9": the lines a warning names.
std::string name_lines(const std::vector<SourceLine>& lines) {
  std::string out;
  for (const auto& l : lines) out += fmt::format("{}{}:{}", out.empty() ? "" : ", ", l.file, l.line);
  return out;
}

/// Time cells read as empty (placeholders, epoch zero): the first lines and a count.
void warn_cells(const EventExtractor::CellNotes& notes, std::string_view what, Diagnostics& diagnostics) {
  if (notes.cells == 0) return;
  std::string lines;
  for (const auto& [line, file] : notes.first) lines += fmt::format("{}{}:{}", lines.empty() ? "" : ", ", file, line);
  const bool one = notes.cells == 1;
  diagnostics.warn(fmt::format("{} time cell{} {} {} read as empty ({}{}); --strict-cells makes {} an error",
                               notes.cells, one ? "" : "s", what, one ? "was" : "were", lines,
                               notes.cells > notes.first.size() ? ", ..." : "", one ? "it" : "them"));
}

}  // namespace

void warn_rows(const LeadData& data, const IngestOptions& options, const EventExtractor& extractor,
               Diagnostics& diagnostics) {
  const InputCounts& input = data.input;
  for (const auto& r : data.first_rejects) {
    diagnostics.warn(fmt::format("{}:{}: skipped: {}", r.file, r.line, r.reason));
  }
  std::uint64_t malformed = 0;
  std::string unused;
  for (const auto& [reason, count] : input.reported_by_reason) {
    if (reason == "empty lead id" || reason == "empty stage" || reason == "no stage date" ||
        reason == "unknown lead id" || reason == "linked to no lead") {
      std::string named;
      if (auto it = input.first_reported.find(reason); it != input.first_reported.end() && !it->second.empty()) {
        named = fmt::format(" ({}{})", name_lines(it->second), count > it->second.size() ? ", ..." : "");
      }
      unused += fmt::format("{}{} {}{}", unused.empty() ? "" : ", ", count, reason, named);
    } else if (reason != "unknown stage") {
      malformed += count;
    }
  }
  if (!unused.empty()) diagnostics.warn(fmt::format("rows not used: {}", unused));
  if (malformed > data.first_rejects.size()) {
    diagnostics.warn(fmt::format("{} records skipped in all (see the JSON's reported_by_reason{})", malformed,
                                 options.rejects.empty() ? ", or write them with --rejects FILE" : ""));
  }
  warn_cells(extractor.placeholders(), "holding a placeholder (NULL, N/A, #N/A, -)", diagnostics);
  warn_cells(extractor.epoch_zeros(), "of 1970-01-01T00:00:00Z (epoch zero, an export's \"no date\")", diagnostics);
  if (input.trailing_delimiters > 0) {
    diagnostics.warn(fmt::format("{} rows end with an extra delimiter ({}{}); the empty last field was dropped",
                                 input.trailing_delimiters, name_lines(input.first_trailing),
                                 input.trailing_delimiters > input.first_trailing.size() ? ", ..." : ""));
  }
  if (input.dst_gaps + input.dst_overlaps > 0) {
    diagnostics.warn(
        fmt::format("{} times fell in a daylight-saving gap (read as after the jump) and {} in "
                    "an overlap (the earlier one taken) in {}",
                    input.dst_gaps, input.dst_overlaps, data.zone.name()));
  }
  if (input.scientific_ids > 0) {
    diagnostics.warn(
        fmt::format("{} rows have a lead id in scientific notation (like 1.23457E+11): Excel "
                    "rounded them, so different leads may have merged; export ids as text",
                    input.scientific_ids));
  }
}

void warn_joins(const InputCounts& input, Diagnostics& diagnostics) {
  auto lines_of = [](const std::string& file, const std::vector<std::uint64_t>& lines) {
    std::vector<SourceLine> named;
    for (std::uint64_t line : lines) named.push_back({file, line});
    return name_lines(named);
  };
  auto more = [](std::uint64_t count, std::size_t named) { return count > named ? ", ..." : ""; };
  for (const LookupFaults& f : input.lookups) {
    if (f.misses > 0) {
      std::vector<std::string> keys;
      for (const auto& k : f.missed_keys) keys.push_back(quote_cell(k));
      diagnostics.warn(fmt::format(
          "{}: no row has the {} of {} row{} ({}{}; {}{}): the --by values looked up there "
          "are (no match)",
          f.file, f.key, f.misses, f.misses == 1 ? "" : "s", name_lines(f.first_misses),
          more(f.misses, f.first_misses.size()), fmt::join(keys, ", "), f.missed_keys.size() == 5 ? ", ..." : ""));
    }
    if (f.duplicates > 0) {
      diagnostics.warn(
          fmt::format("{}: {} row{} a {} an earlier row has ({}{}); one row per key kept "
                      "(--lookup-duplicates)",
                      f.file, f.duplicates, f.duplicates == 1 ? " repeats" : "s repeat", f.key,
                      lines_of(f.file, f.first_duplicates), more(f.duplicates, f.first_duplicates.size())));
    }
    if (f.empty_keys > 0) {
      diagnostics.warn(fmt::format("{}: {} row{} with an empty {} not used ({}{})", f.file, f.empty_keys,
                                   f.empty_keys == 1 ? "" : "s", f.key, lines_of(f.file, f.first_empty),
                                   more(f.empty_keys, f.first_empty.size())));
    }
  }
  if (input.dangling_links > 0) {
    diagnostics.warn(
        fmt::format("{} link cell{} an id no row of the linked file has ({}{}): those leads "
                    "stop where their own rows do",
                    input.dangling_links, input.dangling_links == 1 ? " names" : "s name",
                    name_lines(input.first_dangling), more(input.dangling_links, input.first_dangling.size())));
  }
  if (input.unknown_list_ids > 0) {
    const bool one = input.unknown_list_ids == 1;
    diagnostics.warn(fmt::format(
        "{} {} no lead of the first file ({}{}); each row counts for the ids it lists "
        "that are leads",
        input.unknown_list_ids, one ? "id in a list of lead ids names" : "ids in lists of lead ids name",
        name_lines(input.first_unknown_list_ids), more(input.unknown_list_ids, input.first_unknown_list_ids.size())));
  }
}

void warn_amounts(const InputCounts& input, const std::string& first_invalid, const AmountEvidence& evidence,
                  const std::string& column, Diagnostics& diagnostics) {
  if (input.invalid_amounts > 0) {
    diagnostics.warn(fmt::format("{}; {} amount{} not used (negative, not a number, or not finite)", first_invalid,
                                 input.invalid_amounts, input.invalid_amounts == 1 ? "" : "s"));
  }
  if (input.guessed_amounts == 0) return;
  const std::uint64_t n = evidence.ambiguous;
  std::string named = fmt::format("{}", fmt::join(evidence.first_ambiguous, ", "));
  if (n > evidence.first_ambiguous.size()) named += fmt::format(" and {} more", n - evidence.first_ambiguous.size());
  if (evidence.shown_dot > 0 && evidence.shown_comma > 0) {
    const std::string reading = evidence.mark == DecimalMark::automatic
                                    ? std::string("as thousands (both marks are as common)")
                                    : fmt::format("with '{}' as the decimal mark (the more common)",
                                                  evidence.mark == DecimalMark::dot ? '.' : ',');
    diagnostics.warn(
        fmt::format("column '{}' shows both decimal marks: {} value{} with ',' (first at {}) and {} with "
                    "'.' (first at {}); {} ambiguous value{} ({}) read {}; set --decimal . or , to be sure",
                    column, evidence.shown_comma, evidence.shown_comma == 1 ? "" : "s", evidence.first_comma,
                    evidence.shown_dot, evidence.first_dot, n, n == 1 ? "" : "s", named, reading));
  } else {
    diagnostics.warn(
        fmt::format("column '{}': {} amount{} like 1,234 ({}) read with the separator as thousands: no "
                    "value shows the column's decimal mark; set --decimal . or , to be sure",
                    column, n, n == 1 ? "" : "s", named));
  }
}

void warn_amount_conflicts(const AmountConflicts& conflicts, const std::vector<std::string>& files,
                           const std::string& column, Diagnostics& diagnostics) {
  if (conflicts.count == 0) return;
  std::string named;
  for (const AmountConflict& c : conflicts.first) {
    named += fmt::format("{}{}:{} ({}) over {}:{} ({})", named.empty() ? "" : "; ", files[c.kept.file], c.kept.line,
                         c.kept_value, files[c.other.file], c.other.line, c.other_value);
  }
  const std::uint64_t n = conflicts.count;
  diagnostics.warn(fmt::format("column '{}': {} amount{} differ{} from another of the same lead at the same time, "
                               "both won or neither ({}{}); the larger is kept",
                               column, n, n == 1 ? "" : "s", n == 1 ? "s" : "", named,
                               n > conflicts.first.size() ? "; ..." : ""));
}

void warn_probabilities(const EventExtractor& extractor, Diagnostics& diagnostics) {
  if (extractor.invalid_probabilities() > 0) {
    const std::uint64_t n = extractor.invalid_probabilities();
    diagnostics.warn(fmt::format("{}; {} probabilit{} not used (those leads fall back to their stage's probability)",
                                 extractor.first_invalid_probability(), n, n == 1 ? "y" : "ies"));
  }
}

}  // namespace funnel::ingest_detail
