// funnel inspect, guessing: see guess.h.
#include "guess.h"

#include "funnel/layouts.h"

#include <algorithm>
#include <bit>

#include <fmt/format.h>

#include "funnel/csv.h"
#include "funnel/diagnostics.h"
#include "funnel/text.h"

namespace funnel::inspecting {
namespace {

constexpr std::uint64_t kMaxTitleLines = 10;  ///< --skip-lines values tried for a title line

/// Stages of `model` that no stage value and no stage date column names: a report under it
/// shows them only as steps every lead passes through on its way, with nobody in them.
std::size_t unnamed_stages(const StageModel& model, const Schema& schema, const std::vector<StageValue>& values) {
  std::vector<bool> named(static_cast<std::size_t>(model.size()), false);
  for (const auto& v : values) {
    StageRef ref = model.resolve(v.value);
    if (ref.index >= 0) named[static_cast<std::size_t>(ref.index)] = true;
  }
  for (const auto& st : schema.stage_times) {
    if (st.stage >= 0) named[static_cast<std::size_t>(st.stage)] = true;
  }
  return static_cast<std::size_t>(std::count(named.begin(), named.end(), false));
}

/// The first word of a column name, lower-cased ("engage" of "engage_date", "Engage Date").
std::string first_word(std::string_view name) {
  std::string word;
  for (char c : name) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum) {
      if (!word.empty()) break;
      continue;
    }
    word += c;
  }
  return lower_ascii(word);
}

bool ids_repeat_in_profile(const Sample& sample, int column) {
  const ColumnProfile& p = sample.profile[static_cast<std::size_t>(column)];
  return p.distinct.size() < p.nonempty;
}

}  // namespace

Match classify(const StageModel& m, const std::string& value, bool with_hint) {
  Match match{m.resolve(value), {}, {}};
  if (match.ref.index != StageRef::unknown || !with_hint) return match;
  // did_you_mean compares normalized spellings, as funnel report's warning does.
  const std::vector<std::string> spellings = m.spellings();
  std::vector<std::string> normalized;
  for (const auto& s : spellings) normalized.push_back(normalize_name(s));
  std::string hint = did_you_mean(normalize_name(value), normalized);
  constexpr std::string_view open = " (did you mean '", close = "'?)";
  if (hint.size() > open.size() + close.size()) {
    std::string spelling = hint.substr(open.size(), hint.size() - open.size() - close.size());
    auto at = std::find(normalized.begin(), normalized.end(), spelling);
    if (at != normalized.end()) {
      match.close = spellings[static_cast<std::size_t>(at - normalized.begin())];
      match.close_ref = m.resolve(*match.close);
    }
  }
  return match;
}

bool looks_lost(std::string_view value) {
  std::string v = lower_ascii(value);
  for (std::string_view word : {"lost", "disqualif", "unqualif", "churn", "reject"}) {
    if (v.find(word) != std::string::npos) return true;
  }
  return false;
}

StageValues guess_stage_values(const Sample& sample) {
  StageValues out;
  for (const auto& [value, rows] : sample.stage_counts) {
    out.values.push_back({value, rows, sample.model.resolve(value), {}, {}, {}, {}});
  }
  std::sort(out.values.begin(), out.values.end(), [](const StageValue& a, const StageValue& b) {
    return a.rows != b.rows ? a.rows > b.rows : a.value < b.value;
  });
  std::size_t hinted = 0;  // a column of free text must not cost a did-you-mean per value
  for (auto& v : out.values) {
    v.maps_to = ref_name(sample.model, v.ref);
    if (v.ref.index != StageRef::unknown) continue;
    out.unknown_rows += v.rows;
    if (hinted++ >= kMaxHinted) continue;
    Match m = classify(sample.model, v.value, true);
    v.close = m.close;
    v.close_ref = m.close_ref;
    if (v.close) v.close_maps_to = ref_name(sample.model, v.close_ref);
  }
  return out;
}

ColumnGuesses guess_columns(const Sample& sample) {
  ColumnGuesses guesses;
  const auto& profile = sample.profile;
  if (profile.empty()) return guesses;
  const ColumnSpec& spec = sample.options.columns;
  std::optional<int> stage, time, id;
  for (std::size_t i = 0; i < profile.size(); ++i) {
    const ColumnProfile& p = profile[i];
    if (p.stages.size() < 2 || p.stage_hits * 2 < p.nonempty) continue;
    if (!stage || p.stages.size() > profile[static_cast<std::size_t>(*stage)].stages.size())
      stage = static_cast<int>(i);
  }
  for (std::size_t i = 0; i < profile.size(); ++i) {
    const ColumnProfile& p = profile[i];
    if (static_cast<int>(i) == stage || !p.timeish()) continue;
    time = static_cast<int>(i);
    break;
  }
  for (int pass = 0; pass < 2 && !id; ++pass) {
    for (std::size_t i = 0; i < profile.size(); ++i) {
      const ColumnProfile& p = profile[i];
      auto column = static_cast<int>(i);
      if (column == stage || column == time || p.nonempty != sample.profiled) continue;
      if (sample.profiled > 1 && p.distinct.size() < 2) continue;
      std::string name = normalize_name(sample.header()[i]);
      bool named = name.find("id") != std::string::npos || name.find("email") != std::string::npos ||
                   name.find("key") != std::string::npos;
      if (pass == 0 && !named) continue;
      id = column;
      break;
    }
  }
  if (spec.id.empty()) guesses.id = id;
  if (spec.stage.empty()) guesses.stage = stage;
  if (spec.time.empty()) guesses.time = time;
  return guesses;
}

std::optional<ColumnTrial> try_guessed_columns(const Sample& sample, const ColumnGuesses& guesses) {
  const std::optional<int>* guess[] = {&guesses.id, &guesses.stage, &guesses.time};
  std::string ColumnSpec::*field[] = {&ColumnSpec::id, &ColumnSpec::stage, &ColumnSpec::time};
  // Fewest flags first; every combination is checked by detect_schema itself.
  for (unsigned size = 1; size <= 3; ++size) {
    for (unsigned mask = 1; mask < 8; ++mask) {
      if (static_cast<unsigned>(std::popcount(mask)) != size) continue;
      ColumnSpec spec = sample.options.columns;
      bool possible = true;
      for (unsigned k = 0; k < 3; ++k) {
        if ((mask & (1U << k)) == 0) continue;
        if (!*guess[k])
          possible = false;
        else
          spec.*field[k] = sample.column_name(**guess[k]);
      }
      if (!possible) continue;
      Schema trial;
      try {
        trial = detect_schema(sample.header(), sample.model, spec, sample.files.front().name);
      } catch (const Error&) {
        continue;
      }
      // A snapshot with repeated ids is an event log whose time column was not found.
      if (trial.shape == Shape::snapshot && guesses.time && (mask & 4U) == 0 && trial.id >= 0 &&
          ids_repeat_in_profile(sample, trial.id)) {
        continue;
      }
      return ColumnTrial{mask, trial.shape};
    }
  }
  return std::nullopt;
}

std::optional<std::string> error_with_id(const Sample& sample, int column) {
  ColumnSpec spec = sample.options.columns;
  spec.id = sample.column_name(column);
  try {
    detect_schema(sample.header(), sample.model, spec, sample.files.front().name);
  } catch (const Error& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

std::vector<int> timeish_columns(const Sample& sample) {
  std::vector<int> out;
  for (std::size_t i = 0; i < sample.profile.size(); ++i) {
    if (sample.profile[i].timeish()) out.push_back(static_cast<int>(i));
  }
  return out;
}

bool header_may_be_title(const Sample& sample) {
  const InspectedFile& f = sample.files.front();
  auto wrong = f.rejected_by_reason.find("wrong field count");
  std::uint64_t n = wrong == f.rejected_by_reason.end() ? 0 : wrong->second;
  return f.header.size() <= 2 || n * 2 > f.rows_read;
}

std::optional<SkipLines> guess_skip_lines(const Sample& sample) {
  const ReportOptions& options = sample.options;
  const InspectedFile& f = sample.files.front();
  for (std::uint64_t n = options.skip_lines + 1; n <= options.skip_lines + kMaxTitleLines; ++n) {
    try {
      RecordReader reader(f.path, nullptr, ReadOptions{options.delimiter, options.encoding, true, n});
      if (reader.header().empty()) return std::nullopt;
      Schema s = detect_schema(reader.header(), sample.model, options.columns, reader.name());
      return SkipLines{n, reader.header(), s.shape};
    } catch (const Error&) {
      continue;
    }
  }
  return std::nullopt;
}

std::optional<int> guess_time_column(const Sample& sample) {
  const Schema& s = *sample.schema;
  const ColumnSpec& columns = sample.options.columns;
  if (s.shape != Shape::snapshot || !columns.shape.empty() || !columns.time.empty()) return std::nullopt;
  if (sample.ids.size() >= sample.rows_with_id || sample.profile.empty()) return std::nullopt;
  std::vector<bool> used(sample.header().size(), false);
  for (int c : {s.id, s.stage, s.time, s.status, s.created, s.closed}) {
    if (c >= 0) used[static_cast<std::size_t>(c)] = true;
  }
  for (const auto& st : s.stage_times) used[static_cast<std::size_t>(st.column)] = true;
  for (std::size_t i = 0; i < sample.profile.size(); ++i) {
    if (used[i] || !sample.profile[i].timeish()) continue;
    ColumnSpec spec = columns;
    spec.time = sample.header()[i];
    try {
      if (detect_schema(sample.header(), sample.model, spec, sample.files.front().name).shape != Shape::long_log)
        continue;
    } catch (const Error&) {
      continue;
    }
    return static_cast<int>(i);
  }
  return std::nullopt;
}

std::optional<PresetGuess> guess_preset(const Sample& sample, const StageValues& values) {
  const ReportOptions& options = sample.options;
  if (!options.stages.stages.empty()) return std::nullopt;
  const Schema& s = *sample.schema;
  std::optional<PresetGuess> best;
  // A preset with more stages that nothing in the export names must know every value to be
  // better: Maven's Prospecting and Won under the salesforce preset leave Engaging unknown
  // and seven stages empty, while a Salesforce export's few stages all name salesforce ones.
  const std::size_t unnamed = unnamed_stages(sample.model, s, values.values);
  std::uint64_t best_unknown = values.unknown_rows;
  std::size_t best_columns = s.stage_times.size();
  for (const auto& name : StageModel::preset_names()) {
    if (name == options.stages.preset) continue;
    StageModelSpec spec = options.stages;
    spec.preset = name;
    try {
      StageModel m = StageModel::build(spec);
      Schema other = detect_schema(sample.header(), m, options.columns, sample.files.front().name);
      if (other.shape != s.shape || other.stage != s.stage) continue;
      std::uint64_t unknown = 0;
      for (const auto& v : values.values) unknown += m.resolve(v.value).index == StageRef::unknown ? v.rows : 0;
      if (unknown > 0 && unnamed_stages(m, other, values.values) > unnamed) continue;
      std::size_t columns = other.stage_times.size();
      if ((unknown < best_unknown && columns >= best_columns) || (unknown <= best_unknown && columns > best_columns)) {
        best_unknown = unknown;
        best_columns = columns;
        best = PresetGuess{name, std::move(m), unknown, columns};
      }
    } catch (const Error&) {
      continue;  // the user's aliases name stages this preset does not have
    }
  }
  return best;
}

std::vector<UnreadDates> guess_unread_dates(const Sample& sample, const StageValues& values) {
  std::vector<UnreadDates> out;
  const Schema& s = *sample.schema;
  // Only where no column says when a deal entered a stage: the current stage is all there is.
  if (s.shape != Shape::snapshot || !s.stage_times.empty() || sample.profile.empty()) return out;
  std::vector<bool> used(sample.header().size(), false);
  for (int c : {s.id, s.stage, s.time, s.status, s.created, s.closed, s.churned, s.probability}) {
    if (c >= 0) used[static_cast<std::size_t>(c)] = true;
  }
  for (const auto& st : s.stage_times) used[static_cast<std::size_t>(st.column)] = true;
  for (int c : s.segments) used[static_cast<std::size_t>(c)] = true;
  for (int c : timeish_columns(sample)) {
    if (used[static_cast<std::size_t>(c)]) continue;
    UnreadDates dates{c, {}};
    // "engage_date" and "Engaging": a column named after a stage value by its first word.
    std::string word = first_word(sample.column_name(c));
    for (const auto& v : values.values) {
      std::string value = lower_ascii(v.value);
      std::size_t common = 0;
      while (common < word.size() && common < value.size() && word[common] == value[common]) ++common;
      if (common >= 5 || (common == word.size() && common >= 3)) {
        dates.value = v.value;
        break;
      }
    }
    out.push_back(std::move(dates));
  }
  return out;
}

std::optional<DateOrderGuess> guess_date_order(const Sample& sample) {
  const InspectedTimeColumn* undecided = nullptr;
  const InspectedTimeColumn* settled = nullptr;
  for (const auto& t : sample.times) {
    if (t.found.ambiguous > 0 && !undecided) undecided = &t.found;
    if (t.found.order != DateOrder::undecided && !settled) settled = &t.found;
  }
  if (!undecided) return std::nullopt;
  DateOrderGuess guess{undecided, {}, {}};
  if (settled) {
    guess.value = settled->order == DateOrder::dmy ? "dmy" : "mdy";
    guess.why = fmt::format("'{}' of the same export is {}", sample.column_name(settled->column),
                            guess.value == "dmy" ? "day first" : "month first");
  } else if (sample.files.front().dialect.delimiter == ';') {
    guess.value = "dmy";
    guess.why = "a guess: semicolon files come from Excel in day-first locales";
  } else {
    guess.value = "mdy";
    guess.why = "a guess: nothing in the data tells";
  }
  return guess;
}

std::string shape_reason(const Sample& sample) {
  if (!sample.options.columns.shape.empty()) return "given with --shape";
  if (auto layout = recognize_layout(sample.header()); layout && !layout->shape.empty()) {
    return "as " + layout->name + " exports are read";
  }
  switch (sample.schema->shape) {
    case Shape::long_log: return "a stage column and a time column: one row per stage entry";
    case Shape::snapshot: return "a stage column and no time column: one row per deal at its current stage";
    case Shape::wide: return "no stage column, date columns named after stages: one row per lead";
  }
  return {};
}

}  // namespace funnel::inspecting
