// Column roles and shapes (detect_schema) and records turned into evidence
// (EventExtractor::extract), on headers and rows given in the test: the default model's
// stages are lead 0, mql 1, sql 2, opportunity 3, customer 4; lost is -1.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "funnel/diagnostics.h"
#include "funnel/events.h"

namespace {

using namespace funnel;
using Header = std::vector<std::string>;

StageModel default_model() { return StageModel::build({}); }

Schema detect(const Header& header, const ColumnSpec& spec = {}) {
  return detect_schema(header, default_model(), spec, "f.csv");
}

/// The message detect_schema throws, and its exit code.
std::pair<std::string, ExitCode> detect_error(const Header& header, const ColumnSpec& spec = {}) {
  try {
    detect(header, spec);
  } catch (const Error& e) {
    return {e.what(), e.code()};
  }
  return {"no error", ExitCode::internal};
}

/// A record whose fields view `cells` (kept alive by the caller).
Record record(const std::vector<std::string>& cells, std::uint64_t line = 2) {
  Record r;
  r.line = line;
  for (const auto& c : cells) r.fields.emplace_back(c);
  return r;
}

/// Evidence as "STAGE@TIME" ("-" for no time), sorted, so the order items were found in does
/// not matter.
std::vector<std::string> items(const RowEvidence& out) {
  std::vector<std::string> v;
  for (const auto& e : out.items) {
    v.push_back(std::to_string(e.stage) + "@" + (e.time == kNoTime ? std::string("-") : format_timestamp(e.time)));
  }
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_SUITE("events") {
  TEST_CASE("detect_schema: a stage and a time column make a long log") {
    Schema s = detect({"lead_id", "stage", "timestamp", "source"});
    CHECK(s.shape == Shape::long_log);
    CHECK(s.id == 0);
    CHECK(s.stage == 1);
    CHECK(s.time == 2);
    CHECK(s.stage_times.empty());
    CHECK(s.segments.empty());
  }

  TEST_CASE("detect_schema: a stage column and no time column make a snapshot with status, created, closed") {
    Schema s = detect({"deal_id", "deal_stage", "status", "close_date", "create_date", "owner"});
    CHECK(s.shape == Shape::snapshot);
    CHECK(s.id == 0);
    CHECK(s.stage == 1);
    CHECK(s.time == -1);
    CHECK(s.status == 2);
    CHECK(s.closed == 3);
    CHECK(s.created == 4);
  }

  TEST_CASE("detect_schema: no stage column and date columns named after stages make a wide export") {
    Schema s = detect({"Record ID", "Became a Lead Date", "mql_at", "lost_at", "owner"});
    CHECK(s.shape == Shape::wide);
    CHECK(s.id == 0);
    CHECK(s.stage == -1);
    REQUIRE(s.stage_times.size() == 3);
    CHECK(s.stage_times[0].column == 1);
    CHECK(s.stage_times[0].stage == 0);
    CHECK(s.stage_times[1].column == 2);
    CHECK(s.stage_times[1].stage == 1);
    CHECK(s.stage_times[2].column == 3);
    CHECK(s.stage_times[2].stage == StageRef::lost);
  }

  TEST_CASE("detect_schema: --shape overrides detection") {
    ColumnSpec snapshot;
    snapshot.shape = "snapshot";
    Schema s = detect({"lead_id", "stage", "timestamp"}, snapshot);
    CHECK(s.shape == Shape::snapshot);
    CHECK(s.time == -1);  // not read in a snapshot

    ColumnSpec wide;
    wide.shape = "wide";
    Schema w = detect({"lead_id", "stage", "mql_at"}, wide);
    CHECK(w.shape == Shape::wide);
    CHECK(w.stage == -1);
    REQUIRE(w.stage_times.size() == 1);
    CHECK(w.stage_times[0].stage == 1);
  }

  TEST_CASE("detect_schema: --stage-time names stage date columns, given ones first") {
    ColumnSpec spec;
    spec.stage_times = {"mql=engage_date", "lost=Lost On"};
    Schema s = detect({"opportunity_id", "deal_stage", "engage_date", "close_date", "Lost On"}, spec);
    CHECK(s.shape == Shape::snapshot);
    CHECK(s.closed == 3);
    REQUIRE(s.stage_times.size() == 2);
    CHECK(s.stage_times[0].column == 2);
    CHECK(s.stage_times[0].stage == 1);
    CHECK(s.stage_times[1].column == 4);
    CHECK(s.stage_times[1].stage == StageRef::lost);

    ColumnSpec churn;
    churn.stage_times = {"churned=Cancelled"};
    Schema c = detect({"lead_id", "mql_at", "Cancelled"}, churn);
    CHECK(c.churned == 2);
    CHECK(c.stage_times.size() == 1);
  }

  TEST_CASE("detect_schema: --stage-time errors") {
    ColumnSpec no_equals;
    no_equals.stage_times = {"mql"};
    auto [m1, c1] = detect_error({"lead_id", "mql_at"}, no_equals);
    CHECK(m1 == "--stage-time wants STAGE=COLUMN, got 'mql'");
    CHECK(c1 == ExitCode::usage);

    ColumnSpec unknown;
    unknown.stage_times = {"engaging=engage_date"};
    auto [m2, c2] = detect_error({"lead_id", "engage_date"}, unknown);
    CHECK(m2.find("--stage-time: 'engaging' is not a stage") == 0);
    CHECK(c2 == ExitCode::usage);

    ColumnSpec missing;
    missing.stage_times = {"mql=mql_date"};
    auto [m3, c3] = detect_error({"lead_id", "mql_at"}, missing);
    CHECK(m3.find("f.csv: --stage-time names column 'mql_date', which is not in the header") == 0);
    CHECK(c3 == ExitCode::schema);

    ColumnSpec on_long;
    on_long.stage_times = {"mql=mql_at"};
    auto [m4, c4] = detect_error({"lead_id", "stage", "timestamp", "mql_at"}, on_long);
    CHECK(m4.find("--stage-time applies to wide and snapshot input; this input is long") == 0);
    CHECK(c4 == ExitCode::usage);
  }

  TEST_CASE("detect_schema: names match normalized, in the order of the name list, not of the columns") {
    Schema s = detect({"Stage", "ID", "Lead-Id", "Date", "TIME STAMP"});
    CHECK(s.id == 2);  // lead_id comes before id in the list
    CHECK(s.stage == 0);
    CHECK(s.time == 4);  // timestamp comes before date in the list
    Schema one = detect({"mql_id", "stage", "date"});
    CHECK(one.id == 0);  // the only column ending in id
    ColumnSpec named;
    named.id = "person";
    named.stage = "PHASE";
    named.time = "when";
    Schema n = detect({"Person", "Phase", "When"}, named);
    CHECK(n.id == 0);
    CHECK(n.stage == 1);
    CHECK(n.time == 2);
    CHECK(n.shape == Shape::long_log);
  }

  TEST_CASE("detect_schema: missing and duplicate columns, with their messages") {
    auto [no_id, c1] = detect_error({"name", "when"});
    CHECK(no_id ==
          "f.csv:1: no lead id column (looked for lead_id, id, deal_id, opportunity_id, contact_id, record_id, "
          "customer_id, user_id, account_id, or one column ending in 'id'); name it with --id COLUMN. Header: name, "
          "when. If the file starts with a title line, skip it with --skip-lines N");
    CHECK(c1 == ExitCode::schema);

    auto [two_ids, c2] = detect_error({"mql_id", "first_contact_date", "landing_page_id", "origin"});
    CHECK(two_ids.find("or one column ending in 'id'; 2 do: mql_id, landing_page_id); name it with --id COLUMN") !=
          std::string::npos);
    CHECK(c2 == ExitCode::schema);

    ColumnSpec long_shape;
    long_shape.shape = "long";
    auto [no_time, c3] = detect_error({"lead_id", "stage"}, long_shape);
    CHECK(no_time.find("f.csv:1: long input needs a time column (looked for timestamp, time, date,") == 0);
    CHECK(no_time.find("name it with --time-col") != std::string::npos);
    auto [no_stage, c4] = detect_error({"lead_id", "timestamp"}, long_shape);
    CHECK(no_stage.find("f.csv:1: long input needs a stage column (looked for stage, stage_name,") == 0);

    ColumnSpec snapshot;
    snapshot.shape = "snapshot";
    auto [no_current, c5] = detect_error({"lead_id", "mql_at"}, snapshot);
    CHECK(no_current == "f.csv:1: snapshot input needs a current-stage column; name it with --stage-col");

    auto [no_shape, c6] = detect_error({"lead_id", "owner"});
    CHECK(no_shape.find("f.csv:1: cannot tell the shape: no stage column") == 0);
    CHECK(no_shape.find("Header: lead_id, owner. Use --stage-col, or --stage-time STAGE=COLUMN") != std::string::npos);

    ColumnSpec wide;
    wide.shape = "wide";
    auto [no_dates, c7] = detect_error({"lead_id", "owner"}, wide);
    CHECK(no_dates.find("f.csv:1: wide input needs stage date columns") == 0);

    ColumnSpec named;
    named.id = "Person";
    auto [not_there, c8] = detect_error({"person_email", "stage", "timestamp"}, named);
    CHECK(not_there.find("f.csv: --id names column 'Person', which is not in the header") == 0);
    CHECK(c8 == ExitCode::schema);

    auto [dup, c9] = detect_error({"lead_id", "stage", "timestamp", "Stage"});
    CHECK(dup == "f.csv:1: columns 2 and 4 are both named 'Stage' and funnel needs that column: rename one");
    // An unused duplicate is fine.
    CHECK(detect({"lead_id", "stage", "timestamp", "note", "note"}).shape == Shape::long_log);
  }

  TEST_CASE("extract: long rows, empty ids and stages, unknown, lost and aliased values") {
    StageModelSpec spec;
    spec.aliases = {"mql=Webinar signup"};
    StageModel model = StageModel::build(spec);
    Schema schema = detect_schema({"lead_id", "stage", "timestamp", "source"}, model, {}, "f.csv");
    EventExtractor x(schema, model, false);
    RowEvidence out;

    std::vector<std::string> row{"L1", " mql ", "2024-01-02", "ads"};
    x.extract(record(row), "f.csv", out);
    CHECK(out.id == "L1");
    CHECK(out.reported.empty());
    CHECK(items(out) == std::vector<std::string>{"1@2024-01-02T00:00:00Z"});
    CHECK(format_timestamp(out.touch) == "2024-01-02T00:00:00Z");

    std::vector<std::string> alias{"L1", "Webinar signup", "2024-01-03", "ads"};
    x.extract(record(alias), "f.csv", out);
    CHECK(items(out) == std::vector<std::string>{"1@2024-01-03T00:00:00Z"});

    std::vector<std::string> lost{"L1", "Closed Lost", "2024-01-04", "ads"};
    x.extract(record(lost), "f.csv", out);
    CHECK(items(out) == std::vector<std::string>{"-1@2024-01-04T00:00:00Z"});

    std::vector<std::string> no_id{"  ", "mql", "2024-01-02", "ads"};
    x.extract(record(no_id), "f.csv", out);
    CHECK(out.reported == "empty lead id");
    CHECK(out.items.empty());

    std::vector<std::string> no_stage{"L2", "", "2024-01-02", "ads"};
    x.extract(record(no_stage), "f.csv", out);
    CHECK(out.reported == "empty stage");

    std::vector<std::string> unknown{"L2", "nurture", "2024-01-02", "ads"};
    x.extract(record(unknown, 7), "f.csv", out);
    CHECK(out.reported == "unknown stage");
    CHECK(out.items.empty());
    x.extract(record(unknown, 9), "f.csv", out);
    REQUIRE(x.unknown_stages().count("nurture") == 1);
    CHECK(x.unknown_stages().at("nurture").rows == 2);
    CHECK(x.unknown_stages().at("nurture").first_line == 7);

    // An empty time cell gives the stage with no time.
    std::vector<std::string> untimed{"L3", "sql", "", "ads"};
    x.extract(record(untimed), "f.csv", out);
    CHECK(items(out) == std::vector<std::string>{"2@-"});
  }

  TEST_CASE("extract: unknown stages under --strict-stages and unreadable times stop with file, line and column") {
    StageModel model = default_model();
    Schema schema = detect({"lead_id", "stage", "timestamp"});
    EventExtractor strict(schema, model, true);
    RowEvidence out;
    std::vector<std::string> unknown{"L1", "nurture", "2024-01-02"};
    try {
      strict.extract(record(unknown, 5), "f.csv", out);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.code() == ExitCode::bad_value);
      CHECK(std::string(e.what()).find("f.csv:5") == 0);
      CHECK(std::string(e.what()).find("unknown stage \"nurture\" (--strict-stages)") != std::string::npos);
    }
    EventExtractor x(schema, model, false);
    std::vector<std::string> bad{"L1", "mql", "2024-02-30"};
    try {
      x.extract(record(bad, 6), "f.csv", out);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.code() == ExitCode::bad_value);
      CHECK(std::string(e.what()).find("f.csv:6") == 0);
      CHECK(std::string(e.what()).find("cannot read \"2024-02-30\" as a time") != std::string::npos);
    }
  }

  TEST_CASE("extract: a wide row gives one item per dated stage; a row with no date is reported") {
    StageModel model = default_model();
    Schema schema = detect({"lead_id", "lead_at", "mql_at", "customer_at", "lost_at"});
    EventExtractor x(schema, model, false);
    RowEvidence out;
    std::vector<std::string> row{"A", "2024-01-05", "2024-01-03", "2024-02-01", ""};
    x.extract(record(row), "f.csv", out);
    CHECK(out.reported.empty());
    CHECK(items(out) ==
          std::vector<std::string>{"0@2024-01-05T00:00:00Z", "1@2024-01-03T00:00:00Z", "4@2024-02-01T00:00:00Z"});
    CHECK(format_timestamp(out.touch) == "2024-01-03T00:00:00Z");  // the earliest stage date

    std::vector<std::string> lost{"B", "2024-01-02", "", "", "2024-01-20"};
    x.extract(record(lost), "f.csv", out);
    CHECK(items(out) == std::vector<std::string>{"-1@2024-01-20T00:00:00Z", "0@2024-01-02T00:00:00Z"});

    std::vector<std::string> none{"C", "", "", "", ""};
    x.extract(record(none), "f.csv", out);
    CHECK(out.reported == "no stage date");
    CHECK(out.items.empty());
  }

  TEST_CASE("extract: a snapshot row is a deal at its current stage, with every stage before it") {
    StageModel model = default_model();
    Schema schema = detect({"deal_id", "stage", "status", "create_date", "close_date"});
    REQUIRE(schema.shape == Shape::snapshot);
    EventExtractor x(schema, model, false);
    RowEvidence out;

    std::vector<std::string> lost{"D1", "sql", "lost", "2024-01-03", "2024-01-30"};
    x.extract(record(lost), "f.csv", out);
    CHECK(out.reported.empty());
    CHECK(items(out) == std::vector<std::string>{"-1@2024-01-30T00:00:00Z", "0@2024-01-03T00:00:00Z", "1@-", "2@-"});

    std::vector<std::string> won{"D2", "Closed Won", "", "", "2024-02-10"};
    x.extract(record(won), "f.csv", out);
    CHECK(items(out) == std::vector<std::string>{"0@-", "1@-", "2@-", "3@-", "4@2024-02-10T00:00:00Z"});

    // An unknown current stage counts the deal at the first stage only.
    std::vector<std::string> unknown{"D3", "Negotiating", "open", "2024-01-05", ""};
    x.extract(record(unknown), "f.csv", out);
    CHECK(items(out) == std::vector<std::string>{"0@2024-01-05T00:00:00Z"});
    CHECK(x.unknown_stages().count("Negotiating") == 1);
  }

  TEST_CASE("extract: a date that waits for its column's day/month order is pending, then read in that order") {
    StageModel model = default_model();
    Schema schema = detect({"lead_id", "stage", "timestamp"});
    EventExtractor x(schema, model, false);
    RowEvidence out;
    std::vector<std::string> waiting{"A", "lead", "03/04/2024"};
    x.extract(record(waiting), "f.csv", out);
    CHECK(out.pending_column == 2);
    CHECK(out.items.empty());
    CHECK(out.reported.empty());
    CHECK(x.settled_columns() == 0);

    std::vector<std::string> settles{"A", "mql", "13/04/2024"};
    x.extract(record(settles, 3), "f.csv", out);
    CHECK(out.pending_column == -1);
    CHECK(items(out) == std::vector<std::string>{"1@2024-04-13T00:00:00Z"});
    CHECK(x.settled_columns() == 1);

    x.extract(record(waiting), "f.csv", out);  // read again once settled: day first
    CHECK(out.pending_column == -1);
    CHECK(items(out) == std::vector<std::string>{"0@2024-04-03T00:00:00Z"});

    // Month first, settled the other way in a fresh extractor.
    EventExtractor y(schema, model, false);
    std::vector<std::string> us{"B", "lead", "04/13/2024"};
    y.extract(record(us), "f.csv", out);
    y.extract(record(waiting), "f.csv", out);
    CHECK(items(out) == std::vector<std::string>{"0@2024-03-04T00:00:00Z"});
  }
}
