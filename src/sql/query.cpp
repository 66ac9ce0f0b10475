// The funnel report as one SQL query. The steps follow funnel's own pipeline (HACKING.md):
// table rows -> evidence (lead, stage index, time) -> leads (per stage: entered, first
// time) -> paths (entry, furthest stage under the counting mode and window, status) ->
// stage rows (lead x stage, with its durations) -> tallies (per segment and stage) ->
// the report's columns. Every rule is the one in lead_path.cpp and funnel_table.cpp.
#include "funnel/sql.h"

#include <algorithm>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "dialect.h"
#include "funnel/diagnostics.h"
#include "funnel/layouts.h"
#include "funnel/stats.h"
#include "funnel/timestamp.h"

namespace funnel {

using sql::Syntax;

SqlDialect parse_sql_dialect(std::string_view name) {
  if (name == "duckdb") return SqlDialect::duckdb;
  if (name == "postgres" || name == "postgresql") return SqlDialect::postgres;
  if (name == "clickhouse") return SqlDialect::clickhouse;
  throw Error(ExitCode::usage, fmt::format("--dialect must be duckdb, postgres or clickhouse, not '{}'", name));
}

std::string_view sql_dialect_name(SqlDialect dialect) {
  switch (dialect) {
    case SqlDialect::duckdb: return "duckdb";
    case SqlDialect::postgres: return "postgres";
    case SqlDialect::clickhouse: return "clickhouse";
  }
  return "";
}

std::string sql_erfc(std::string_view x) {
  // Below 2: 1 - erf(x), erf(x) = 2x/sqrt(pi) * sum (-1)^n x^2n / (n! (2n+1)), 46 terms by
  // Horner. From 2: exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + (2/2)/(x + ...))), 50 levels.
  // The arguments are clamped so that the branch not taken cannot overflow.
  const std::string small = fmt::format("least({}, 2.0)", x), large = fmt::format("least({}, 30.0)", x);
  double factorial = 1;
  std::vector<double> c;
  for (int n = 0; n <= 45; ++n) {
    if (n > 0) factorial *= n;
    c.push_back((n % 2 == 0 ? 1.0 : -1.0) / (factorial * (2 * n + 1)));
  }
  std::string series = fmt::format("{:.17e}", c[45]);
  for (int n = 44; n >= 0; --n) {
    series = fmt::format("{:.17e} + {} * {} * ({})", c[static_cast<std::size_t>(n)], small, small, series);
  }
  std::string fraction = large;
  for (int j = 50; j >= 1; --j) fraction = fmt::format("{} + {:.1f} / ({})", large, j / 2.0, fraction);
  return fmt::format(
      "CASE WHEN {0} < 2.0 THEN 1.0 - 1.1283791670955126 * {1} * ({2}) "
      "ELSE exp(-{3} * {3}) * 0.5641895835477563 / ({4}) END",
      x, small, series, large, fraction);
}

namespace {

/// One named step of the pipeline: a CTE, or for ClickHouse a subquery pasted where used.
struct Step {
  std::string name, comment, body;
};

class Builder {
 public:
  explicit Builder(const Syntax& d) : d_(d) {}

  /// Adds a step; returns what a FROM clause says to read it.
  void add(std::string name, std::string comment, std::string body) {
    steps_.push_back({std::move(name), std::move(comment), std::move(body)});
  }
  /// How a later step reads step `name`.
  std::string from(const std::string& name) const {
    if (!d_.clickhouse()) return name;
    for (const Step& s : steps_) {
      if (s.name == name) return fmt::format("(\n-- {}: {}\n{}\n) AS {}", s.name, s.comment, indent(s.body), s.name);
    }
    throw Error(ExitCode::internal, fmt::format("sql: no step {}", name));
  }
  /// The WITH clause (not for ClickHouse).
  std::string with() const {
    if (d_.clickhouse() || steps_.empty()) return "";
    std::string out = "WITH\n";
    for (std::size_t i = 0; i < steps_.size(); ++i) {
      const Step& s = steps_[i];
      // PostgreSQL inlines a CTE read once and then computes each cell's expression again
      // wherever the next step names it (the stage spelling once per CASE branch): the cells
      // are computed once instead.
      const bool materialized = d_.postgres() && s.name == "cells";
      out += fmt::format("-- {}: {}\n{} AS {}(\n{}\n){}\n", s.name, s.comment, s.name,
                         materialized ? "MATERIALIZED " : "", indent(s.body), i + 1 < steps_.size() ? "," : "");
    }
    return out;
  }

  static std::string indent(const std::string& text) {
    std::string out = "  ";
    for (char c : text) {
      out += c;
      if (c == '\n') out += "  ";
    }
    return out;
  }

 private:
  const Syntax& d_;
  std::vector<Step> steps_;
};

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

std::string col(int k, std::string_view what) { return fmt::format("{}{}", what, k); }

}  // namespace

std::string compile_sql(const SqlOptions& options) {
  const Syntax d(options.dialect);
  // A preset's first stages the table has no date column for are left out, as funnel report
  // leaves them out of an export with that header (HubSpot's Subscriber).
  StageModelSpec stages = options.stages;
  stages.skip_leading = unused_leading_stages(stages, options.columns, options.spec);
  const StageModel model = StageModel::build(stages);
  if (options.table.empty()) throw Error(ExitCode::usage, "funnel sql needs --table NAME");
  if (options.columns.empty()) {
    throw Error(ExitCode::usage,
                "funnel sql needs --columns: the table's column names, comma separated (as in an export's header)");
  }
  const Schema schema = detect_schema(options.columns, model, options.spec, options.table);
  if (schema.shape == Shape::snapshot) {
    throw Error(ExitCode::usage,
                "funnel sql reads the long shape (id, stage, time) and the wide shape (id, a time per stage), not a "
                "snapshot table: give the table's time column (--time-col) or its stage date columns (--stage-time)");
  }
  const int n = model.size();
  const auto& header = schema.header;
  auto column = [&](int index) { return d.identifier(header[static_cast<std::size_t>(index)]); };
  const bool by = !schema.segments.empty();
  // A dotted name is a schema (or database) and a table: each part quoted on its own.
  std::string table;
  for (std::size_t start = 0;;) {
    const std::size_t dot = options.table.find('.', start);
    if (!table.empty()) table += '.';
    table += d.identifier(
        std::string_view(options.table).substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  const std::string dbl_day = d.to_double("86400");

  Builder b(d);

  // ---- table rows -> evidence
  // Stage spellings by what they mean, normalized as funnel compares them.
  std::map<int, std::vector<std::string>> spellings;
  for (const std::string& s : model.spellings()) {
    const int index = model.resolve(s).index;
    auto& list = spellings[index];
    const std::string literal = d.literal(normalize_name(s));
    if (std::find(list.begin(), list.end(), literal) == list.end()) list.push_back(literal);
  }
  std::vector<std::string> cell_columns = {fmt::format("{} AS cell_id", d.trimmed_text(column(schema.id)))};
  std::vector<std::string> time_columns;
  for (std::size_t i = 0; i < schema.segments.size(); ++i) {
    cell_columns.push_back(fmt::format("{} AS cell_s{}", d.trimmed_text(column(schema.segments[i])), i));
  }
  std::string label = "'(all)'", labelled = d.truth(false);
  if (by) {
    std::vector<std::string> labels, filled;
    for (std::size_t i = 0; i < schema.segments.size(); ++i) {
      labels.push_back(fmt::format("CASE WHEN cell_s{0} = '' THEN '(none)' ELSE cell_s{0} END", i));
      filled.push_back(fmt::format("cell_s{} <> ''", i));
    }
    if (labels.size() == 1) {
      label = labels[0];
    } else if (d.clickhouse()) {
      std::vector<std::string> parts;
      for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i > 0) parts.push_back("' / '");
        parts.push_back(labels[i]);
      }
      label = fmt::format("concat({})", join(parts, ", "));
    } else {
      for (auto& l : labels) l = "(" + l + ")";
      label = join(labels, " || ' / ' || ");
    }
    labelled = "(" + join(filled, " OR ") + ")";
  }
  if (schema.shape == Shape::long_log) {
    cell_columns.push_back(fmt::format("{} AS cell_stage", d.normalized(d.trimmed_text(column(schema.stage)))));
    cell_columns.push_back(fmt::format("{} AS cell_time", d.epoch_seconds(column(schema.time))));
    time_columns.push_back(column(schema.time));
    b.add("cells", "the table's cells as funnel reads them: trimmed text, stage spellings normalized, times in seconds",
          fmt::format("SELECT {}\nFROM {}", join(cell_columns, ",\n       "), table));
    std::vector<std::string> cases;
    for (const auto& [index, list] : spellings) {
      cases.push_back(fmt::format("WHEN cell_stage IN ({}) THEN {}", join(list, ", "), index));
    }
    b.add(
        "evidence",
        "one row per used table row: the lead, the stage index (-1 lost, -3 churned), the time, the row's segment",
        fmt::format("SELECT id, k, t, row_label, row_labelled, t AS row_touch\nFROM (\n  SELECT cell_id AS id, "
                    "cell_time AS t, {} AS row_label, {} AS row_labelled,\n"
                    "         CASE {} ELSE NULL END AS k\n  FROM {}\n) AS rows_read\nWHERE id <> '' AND k IS NOT NULL",
                    label, labelled, join(cases, " "), b.from("cells")));
  } else {
    // Wide: one evidence row per stage date cell; a row's touch time is its earliest stage
    // date that is not a lost value.
    std::vector<std::string> stage_dates;
    for (std::size_t j = 0; j < schema.stage_times.size(); ++j) {
      const auto& st = schema.stage_times[j];
      cell_columns.push_back(fmt::format("{} AS cell_t{}", d.epoch_seconds(column(st.column)), j));
      time_columns.push_back(column(st.column));
      if (st.stage >= 0) stage_dates.push_back(fmt::format("cell_t{}", j));
    }
    const std::string touch = stage_dates.empty() ? d.null_bigint() : d.least_of(stage_dates);
    b.add("cells", "the table's cells as funnel reads them: trimmed text, stage dates in seconds",
          fmt::format("SELECT {}\nFROM {}", join(cell_columns, ",\n       "), table));
    std::vector<std::string> parts;
    for (std::size_t j = 0; j < schema.stage_times.size(); ++j) {
      parts.push_back(
          fmt::format("SELECT cell_id AS id, {} AS k, cell_t{} AS t, {} AS row_label, {} AS row_labelled, {} AS "
                      "row_touch\nFROM {}\n"
                      "WHERE cell_id <> '' AND cell_t{} IS NOT NULL",
                      schema.stage_times[j].stage, j, label, labelled, touch, b.from("cells"), j));
    }
    b.add("evidence", "one row per stage date cell: the lead, the stage index (-1 lost), the time, the row's segment",
          join(parts, "\nUNION ALL\n"));
  }

  // ---- evidence -> leads
  std::vector<std::string> lead_columns = {"id"};
  for (int k = 0; k < n; ++k) {
    lead_columns.push_back(fmt::format("{} > 0 AS {}", d.count_if(fmt::format("k = {}", k)), col(k, "e")));
    lead_columns.push_back(fmt::format("{} AS {}", d.min_if("t", fmt::format("k = {}", k)), col(k, "f")));
  }
  lead_columns.push_back(fmt::format("{} > 0 AS lost", d.count_if("k = -1")));
  lead_columns.push_back(fmt::format("{} AS active", d.max_if("t", "k >= 0")));
  lead_columns.push_back(
      by ? fmt::format("{} AS label", d.first_label("row_label", "row_labelled", "row_touch", options.last_touch))
         : "'(all)' AS label");
  b.add("leads",
        "per lead: for each stage whether it entered it (e) and its first entry time (f); lost evidence; last "
        "activity; its segment",
        fmt::format("SELECT {}\nFROM {}\nGROUP BY id", join(lead_columns, ",\n       "), b.from("evidence")));

  // ---- leads -> paths
  std::vector<std::string> passthrough = {"id", "label", "lost", "active"};
  for (int k = 0; k < n; ++k) {
    passthrough.push_back(col(k, "e"));
    passthrough.push_back(col(k, "f"));
  }
  std::vector<std::string> firsts;
  for (int k = 0; k < n; ++k) firsts.push_back(col(k, "f"));
  const std::string entry = d.least_of(firsts);
  std::string walked;
  if (options.funnel.mode == CountMode::cumulative) {
    walked = "CASE";
    for (int k = n - 1; k >= 0; --k) walked += fmt::format(" WHEN {} THEN {}", col(k, "e"), k);
    walked += " ELSE -1 END";
  } else {
    // The walk stops at a stage not entered, or at one first entered before the last timed
    // stage before it (the latest non-NULL first time so far).
    walked = "CASE WHEN NOT e0 THEN -1";
    for (int k = 1; k < n; ++k) {
      std::vector<std::string> before;
      for (int j = k - 1; j >= 0; --j) before.push_back(col(j, "f"));
      const std::string reference = before.size() == 1 ? before[0] : fmt::format("coalesce({})", join(before, ", "));
      walked += fmt::format(" WHEN NOT {} OR coalesce({} < {}, {}) THEN {}", col(k, "e"), col(k, "f"), reference,
                            d.truth(false), k - 1);
    }
    walked += fmt::format(" ELSE {} END", n - 1);
  }
  std::vector<std::string> any_stage;
  for (int k = 0; k < n; ++k) any_stage.push_back(col(k, "e"));
  b.add("walks",
        fmt::format("per lead with a stage: its entry time and its furthest stage under --count {}",
                    options.funnel.mode == CountMode::ordered ? "ordered" : "cumulative"),
        fmt::format("SELECT {},\n       {} AS entry,\n       {} AS walked\nFROM {}\nWHERE {}", join(passthrough, ", "),
                    entry, walked, b.from("leads"), join(any_stage, " OR ")));
  passthrough.push_back("entry");

  std::string furthest = "walked";
  if (options.funnel.window > 0) {
    // The latest stage up to the walked one entered within the window of the entry time (a
    // stage with no time counts as within); a lead with no known time is not affected.
    furthest = "CASE WHEN entry IS NULL THEN walked";
    for (int k = n - 1; k >= 0; --k) {
      furthest += fmt::format(" WHEN walked >= {0} AND e{0} AND coalesce(f{0} - entry <= {1}, {2}) THEN {0}", k,
                              options.funnel.window, d.truth(true));
    }
    furthest += " ELSE -1 END";
  }
  const std::string as_of = options.funnel.as_of != kNoTime
                                ? std::to_string(options.funnel.as_of)
                                : fmt::format("(SELECT {} FROM {})", d.max_if("t", "k <> -3"), b.from("evidence"));
  std::string counted = "furthest >= 0";
  if (options.funnel.since != kNoTime || options.funnel.until != kNoTime) {
    std::vector<std::string> inside = {"entry IS NOT NULL"};
    if (options.funnel.since != kNoTime) inside.push_back(fmt::format("entry >= {}", options.funnel.since));
    if (options.funnel.until != kNoTime) inside.push_back(fmt::format("entry < {}", options.funnel.until));
    counted += fmt::format(" AND coalesce({}, {})", join(inside, " AND "), d.truth(false));
  }
  std::vector<std::string> path_columns = {"label", "entry", "furthest"};
  for (int k = 0; k < n; ++k) path_columns.push_back(col(k, "f"));
  b.add("paths",
        "per counted lead: its furthest stage (after the window) and status; leads outside --since/--until and "
        "without a furthest stage are left out",
        fmt::format("SELECT {},\n       CASE WHEN furthest = {} THEN 'won' WHEN lost THEN 'lost' "
                    "WHEN coalesce({} - active > {}, {}) THEN 'stalled' ELSE 'open' END AS status\n"
                    "FROM (\n  SELECT {},\n         {} AS furthest\n  FROM {}\n) AS windowed\nWHERE {}",
                    join(path_columns, ", "), n - 1, as_of, options.funnel.stale, d.truth(false),
                    join(passthrough, ", "), furthest, b.from("walks"), counted));

  // ---- paths -> stage rows: one per lead, stage and segment ('(all)' and the lead's own)
  std::string fk = "CASE", fnext = "CASE";
  for (int k = 0; k < n; ++k) {
    fk += fmt::format(" WHEN k = {0} THEN f{0}", k);
    if (k + 1 < n) fnext += fmt::format(" WHEN k = {} THEN f{}", k, k + 1);
  }
  fk += " END";
  fnext += " END";
  const std::string durations =
      "CASE WHEN k <= furthest AND fk IS NOT NULL THEN least(fk - entry, 4294967295) END AS d_entry,\n"
      "       CASE WHEN k < furthest AND fk IS NOT NULL AND fnext IS NOT NULL AND fnext >= fk "
      "THEN least(fnext - fk, 4294967295) END AS d_next";
  if (d.clickhouse()) {
    std::vector<std::string> ks;
    for (int k = 0; k < n; ++k) ks.push_back(std::to_string(k));
    b.add(
        "stage_rows", "one row per counted lead, stage k and segment, with the lead's durations at k (seconds)",
        fmt::format(
            "SELECT arrayJoin([{}]) AS segment, arrayJoin([{}]) AS k, furthest, status,\n"
            "       {} AS fk, {} AS fnext,\n       least(fk - entry, 4294967295) AS entry_gap,\n"
            "       least(fnext - fk, 4294967295) AS next_gap,\n"
            "       if(k <= furthest AND isNotNull(fk), entry_gap, NULL) AS d_entry,\n"
            "       if(k < furthest AND isNotNull(fk) AND isNotNull(fnext) AND fnext >= fk, next_gap, NULL) AS d_next\n"
            "FROM {}",
            by ? "'(all)', label" : "'(all)'", join(ks, ", "), fk, fnext, b.from("paths")));
  } else {
    std::vector<std::string> ks;
    for (int k = 0; k < n; ++k) ks.push_back(fmt::format("({})", k));
    b.add("lead_stages", "one row per counted lead and stage k, with its first entry times at k and k+1",
          fmt::format("SELECT label, k, furthest, status, entry, {} AS fk, {} AS fnext\nFROM paths CROSS JOIN (VALUES "
                      "{}) AS stages(k)",
                      fk, fnext, join(ks, ", ")));
    std::string rows =
        fmt::format("SELECT '(all)' AS segment, k, furthest, status,\n       {}\nFROM lead_stages", durations);
    if (by)
      rows += fmt::format("\nUNION ALL\nSELECT label, k, furthest, status,\n       {}\nFROM lead_stages", durations);
    b.add("stage_rows",
          "each lead stage row under '(all)' and under the lead's segment, with its durations at k (seconds)", rows);
  }

  // ---- stage rows -> tallies
  b.add("tallies", "per segment and stage: the counts, and the durations' count, sum and sorted list",
        fmt::format(
            "SELECT segment, k,\n"
            "       {} AS reached,\n       {} AS reached_before,\n       count(*) AS leads,\n"
            "       {} AS ended_here,\n       {} AS lost_here,\n       {} AS open_here,\n       {} AS stalled_here,\n"
            "       {} AS next_n, {} AS next_sum, {} AS next_list,\n"
            "       {} AS entry_n, {} AS entry_sum, {} AS entry_list\n"
            "FROM {}\nGROUP BY segment, k",
            d.count_if("furthest >= k"), d.count_if("furthest >= k - 1"), d.count_if("furthest = k"),
            d.count_if("furthest = k AND status = 'lost'"), d.count_if("furthest = k AND status = 'open'"),
            d.count_if("furthest = k AND status = 'stalled'"), d.count_if("d_next IS NOT NULL"), d.sum_of("d_next"),
            d.sorted_list("d_next"), d.count_if("d_entry IS NOT NULL"), d.sum_of("d_entry"), d.sorted_list("d_entry"),
            b.from("stage_rows")));

  // ---- tallies -> the report's columns
  auto rank_columns = [&](const std::string& what) {
    // Type 7: h = (m - 1) q in doubles, l = floor(h).
    std::vector<std::string> out;
    for (auto [q, name] : {std::pair{"0.5", "50"}, std::pair{"0.9", "90"}}) {
      const std::string h = fmt::format("{} * {}", d.to_double(what + "_n - 1"), d.to_double(q));
      out.push_back(fmt::format("{} AS {}_h{}", h, what, name));
      out.push_back(fmt::format("CAST(floor({}) AS {}) AS {}_l{}", h, d.clickhouse() ? "Int64" : "BIGINT", what, name));
    }
    return join(out, ",\n       ");
  };
  // With segments each row needs (all)'s counts beside it, for the test against the rest.
  const std::string everyone =
      fmt::format("SELECT k, reached AS all_reached, reached_before AS all_before\nFROM {}\nWHERE segment = '(all)'",
                  b.from("tallies"));
  const std::string rest_columns = by ? ", all_reached, all_before" : "";
  const std::string join_everyone =
      by ? fmt::format("\n{} (\n{}\n) AS everyone USING (k)", d.inner_join(), Builder::indent(everyone)) : "";
  b.add(
      "ranks",
      "each row with the ranks of its quantiles (type 7)" + std::string(by ? " and (all)'s counts beside it" : ""),
      fmt::format("SELECT segment, k, reached, reached_before, leads, ended_here, lost_here, open_here, stalled_here,\n"
                  "       next_n, next_sum, next_list, entry_n, entry_sum, entry_list{},\n"
                  "       {},\n       {}\nFROM {}{}",
                  rest_columns, rank_columns("next"), rank_columns("entry"), b.from("tallies"), join_everyone));

  auto quantile = [&](const std::string& what, const char* name) {
    const std::string h = fmt::format("{}_h{}", what, name), l = fmt::format("{}_l{}", what, name);
    const std::string list = what + "_list", m = what + "_n";
    return fmt::format(
        "CASE WHEN {0} = 0 THEN NULL WHEN {1} + 1 >= {0} THEN {2} / {5}\n"
        "            ELSE ({2} + ({3} - {4}) * {6}) / {5} END",
        m, l, d.to_double(d.element(list, l + " + 1")), h, d.to_double(l), dbl_day,
        d.to_double(fmt::format("{} - {}", d.element(list, l + " + 2"), d.element(list, l + " + 1"))));
  };
  auto mean = [&](const std::string& what) {
    return fmt::format("CASE WHEN {0}_n = 0 THEN NULL ELSE {1} / {2} / {3} END", what, d.to_double(what + "_sum"),
                       d.to_double(what + "_n"), dbl_day);
  };
  std::string stage_name = "CASE", section = "CASE";
  for (int k = 0; k < n; ++k) {
    const Stage& s = model.stages()[static_cast<std::size_t>(k)];
    stage_name += fmt::format(" WHEN k = {} THEN {}", k, d.literal(s.name));
    section += fmt::format(" WHEN k = {} THEN {}", k, d.literal(section_name(s.section)));
  }
  stage_name += " END";
  section += " END";
  const std::string x = d.to_double("reached"), m = d.to_double("reached_before");
  const double z = kZ95, z2 = z * z;
  const std::string p = fmt::format("({} / {})", x, m);
  const std::string den = fmt::format("(1 + {:.17g} / {})", z2, m);
  const std::string centre = fmt::format("(({} + {:.17g} / (2 * {})) / {})", p, z2, m, den);
  const std::string half =
      fmt::format("({:.17g} * sqrt({} * (1 - {}) / {} + {:.17g} / (4 * {} * {})) / {})", z, p, p, m, z2, m, m, den);
  const std::string rest_x = d.to_double("all_reached - reached"), rest_m = d.to_double("all_before - reached_before");
  const std::string pooled = fmt::format("({} / {})", d.to_double("all_reached"), d.to_double("all_before"));
  const std::string z_score = fmt::format("({} / {} - {} / {}) / sqrt({} * (1 - {}) * (1 / {} + 1 / {}))", x, m, rest_x,
                                          rest_m, pooled, pooled, m, rest_m);
  const std::string tested = fmt::format(
      "segment <> '(all)' AND k > 0 AND reached_before > 0 AND all_before - reached_before > 0 AND "
      "{} * least({}, 1 - {}) >= 5",
      d.to_double("least(reached_before, all_before - reached_before)"), pooled, pooled);
  std::vector<std::string> out = {
      d.clickhouse() ? "segment" : "segment AS " + d.identifier("segment"),
      stage_name + " AS " + d.identifier("stage"),
      section + " AS " + d.identifier("section"),
      d.clickhouse() ? "reached" : "reached AS " + d.identifier("reached"),
      fmt::format("CASE WHEN k > 0 AND reached_before > 0 THEN {} / {} END AS {}", x, m,
                  d.identifier("step_conversion")),
      fmt::format("CASE WHEN leads > 0 THEN {} / {} END AS {}", x, d.to_double("leads"),
                  d.identifier("overall_conversion")),
      fmt::format("CASE WHEN k < {} THEN ended_here ELSE 0 END AS {}", n - 1, d.identifier("dropped")),
      fmt::format("CASE WHEN k < {} THEN lost_here ELSE 0 END AS {}", n - 1, d.identifier("lost")),
      fmt::format("CASE WHEN k < {} THEN open_here ELSE 0 END AS {}", n - 1, d.identifier("open")),
      fmt::format("CASE WHEN k < {} THEN stalled_here ELSE 0 END AS {}", n - 1, d.identifier("stalled")),
      fmt::format("{} AS {}", quantile("next", "50"), d.identifier("days_to_next_median")),
      fmt::format("{} AS {}", quantile("next", "90"), d.identifier("days_to_next_p90")),
      fmt::format("{} AS {}", mean("next"), d.identifier("days_to_next_mean")),
      fmt::format("{} AS {}", quantile("entry", "50"), d.identifier("days_from_entry_median")),
      fmt::format("{} AS {}", quantile("entry", "90"), d.identifier("days_from_entry_p90")),
      fmt::format("{} AS {}", mean("entry"), d.identifier("days_from_entry_mean")),
      fmt::format("CASE WHEN k = 0 OR reached_before = 0 THEN NULL WHEN reached = 0 THEN {} ELSE greatest({}, {} - {}) "
                  "END AS {}",
                  d.to_double("0"), d.to_double("0"), centre, half, d.identifier("step_ci_low")),
      fmt::format("CASE WHEN k = 0 OR reached_before = 0 THEN NULL WHEN reached = reached_before THEN {} ELSE "
                  "least({}, {} + {}) END AS {}",
                  d.to_double("1"), d.to_double("1"), centre, half, d.identifier("step_ci_high")),
      "k"};
  if (by)
    out.push_back(
        fmt::format("CASE WHEN {} THEN abs({}) / sqrt({}) END AS z_scaled", tested, z_score, d.to_double("2")));
  b.add("report",
        by ? "the report's columns; z_scaled is |z| / sqrt(2) of the segment's step conversion against the other leads'"
           : "the report's columns",
        fmt::format("SELECT {}\nFROM {}", join(out, ",\n       "), b.from("ranks")));

  std::vector<std::string> final_columns;
  for (std::string_view name :
       {"segment", "stage", "section", "reached", "step_conversion", "overall_conversion", "dropped", "lost", "open",
        "stalled", "days_to_next_median", "days_to_next_p90", "days_to_next_mean", "days_from_entry_median",
        "days_from_entry_p90", "days_from_entry_mean", "step_ci_low", "step_ci_high"}) {
    final_columns.push_back(d.identifier(name));
  }
  // vs_rest_p: erfc(|z| / sqrt 2), the two-sided p-value; without segments there is no test.
  final_columns.push_back(by ? fmt::format("CASE WHEN z_scaled IS NOT NULL THEN {} END AS {}", d.erfc("z_scaled"),
                                           d.identifier("vs_rest_p"))
                             : fmt::format("{} AS {}",
                                           d.clickhouse() ? "CAST(NULL AS Nullable(Float64))" : d.to_double("NULL"),
                                           d.identifier("vs_rest_p")));

  std::string text =
      fmt::format("-- funnel {} sql --dialect {}: funnel report -f csv's columns and rows as one query\n",
                  options.version, sql_dialect_name(options.dialect));
  if (!options.options_text.empty()) text += fmt::format("-- options: {}\n", options.options_text);
  std::vector<std::string> times;
  for (const auto& t : time_columns) times.push_back(t);
  text += fmt::format("-- shape: {}; lead id column: {}; time columns: {}\n", shape_name(schema.shape),
                      column(schema.id), join(times, ", "));
  text += fmt::format("-- stages: {}\n", [&] {
    std::vector<std::string> names;
    for (const Stage& s : model.stages()) names.push_back(fmt::format("{} ({})", s.name, section_name(s.section)));
    return join(names, ", ");
  }());
  text += b.with();
  text += fmt::format("SELECT {}\nFROM {}\nORDER BY {} <> '(all)', {}, k\n", join(final_columns, ",\n       "),
                      b.from("report"), d.identifier("segment"), d.bytewise(d.identifier("segment")));
  // Header comments name columns: a line break in a name would end the comment early.
  for (const auto& name : header) {
    if (name.find_first_of("\r\n") != std::string::npos) {
      throw Error(ExitCode::usage, "funnel sql: a column name holds a line break");
    }
  }
  return text;
}

}  // namespace funnel
