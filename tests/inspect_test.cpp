// funnel inspect on small in-memory exports: the roles, shape, date order, stage values and
// suggested flags inspect_inputs finds, asserted on the plain result (the renderers' input),
// not on rendered text.
#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

#include "funnel/inspection.h"

namespace {

using namespace funnel;

Inspection inspect_csv(const std::string& csv, ReportOptions options = {}) {
  std::istringstream in(csv);
  return inspect_inputs(options, &in);
}

/// Each column's role, as "role" or "stage_time:STAGE", in header order.
std::vector<std::string> roles(const Inspection& in) {
  std::vector<std::string> out;
  for (const auto& r : in.files.front().roles) out.push_back(r.stage.empty() ? r.role : r.role + ":" + r.stage);
  return out;
}

/// The suggestions as "FLAG" or "FLAG VALUE", in order.
std::vector<std::string> flags(const Inspection& in) {
  std::vector<std::string> out;
  for (const auto& s : in.suggestions) out.push_back(s.value ? s.flag + " " + *s.value : s.flag);
  return out;
}

const StageValue& value(const Inspection& in, const std::string& v) {
  auto it = std::find_if(in.values.begin(), in.values.end(), [&](const StageValue& s) { return s.value == v; });
  REQUIRE(it != in.values.end());
  return *it;
}

bool any_note(const Inspection& in, const std::string& part) {
  return std::any_of(in.notes.begin(), in.notes.end(),
                     [&](const std::string& n) { return n.find(part) != std::string::npos; });
}

}  // namespace

TEST_SUITE("inspect") {
  TEST_CASE("a long event log: roles, shape, stage values with counts, alias and lost suggestions") {
    Inspection in = inspect_csv(
        "lead_id,stage,timestamp,source\n"
        "L1,lead,2024-01-02,google\n"
        "L1,MQL,2024-01-05,google\n"
        "L2,lead,2024-01-03,ads\n"
        "L2,Sales Qualifed,2024-01-09,ads\n"
        "L3,lead,2024-01-04,ads\n"
        "L3,Lost - no budget,2024-01-07,ads\n"
        ",lead,2024-01-04,ads\n"
        "L4,,2024-01-04,ads\n");
    REQUIRE(in.schema);
    CHECK(in.schema->shape == Shape::long_log);
    CHECK(in.shape_reason == "a stage column and a time column: one row per stage entry");
    CHECK(roles(in) == std::vector<std::string>{"id", "stage", "time", "unused"});
    CHECK_FALSE(in.error);
    CHECK(in.exit_code == 0);
    CHECK(in.rows_read == 8);
    CHECK(in.distinct_ids == 4);
    CHECK(in.empty_ids == 1);
    CHECK(in.empty_stages == 1);
    // Most rows first, then by value.
    REQUIRE(in.values.size() == 4);
    CHECK(in.values[0].value == "lead");
    CHECK(in.values[0].rows == 3);
    CHECK(in.values[0].maps_to == "lead");
    CHECK(value(in, "MQL").maps_to == "mql");
    CHECK(value(in, "Sales Qualifed").maps_to == "unknown");
    CHECK(value(in, "Sales Qualifed").close == std::optional<std::string>("sales qualified"));
    CHECK(value(in, "Sales Qualifed").close_maps_to == "sql");
    CHECK(value(in, "Lost - no budget").maps_to == "unknown");
    CHECK(in.unknown_rows == 2);
    REQUIRE(in.times.size() == 1);
    CHECK(in.times[0].role == "time");
    CHECK(in.times[0].cells == 6);  // rows with an id and a stage
    CHECK(in.times[0].readable == 6);
    CHECK(in.times[0].sample == std::optional<std::string>("2024-01-02"));
    // In the order of the values (one row each: by value).
    CHECK(flags(in) == std::vector<std::string>{"--lost Lost - no budget", "--alias sql=Sales Qualifed"});
    CHECK(in.suggestions[1].words == "--alias \"sql=Sales Qualifed\"");
    CHECK(in.command == "funnel report --lost \"Lost - no budget\" --alias \"sql=Sales Qualifed\"");
    CHECK_FALSE(in.guessing);
  }

  TEST_CASE("a wide export: a stage time column per stage, rows with no stage date counted") {
    Inspection in = inspect_csv(
        "lead_id,lead_at,mql_at,customer_at,lost_at,owner\n"
        "A,2024-01-01,2024-01-03,2024-02-01,,ana\n"
        "B,2024-01-02,,,2024-01-20,bo\n"
        "C,,,,,cy\n");
    REQUIRE(in.schema);
    CHECK(in.schema->shape == Shape::wide);
    CHECK(in.shape_reason == "no stage column, date columns named after stages: one row per lead");
    CHECK(roles(in) == std::vector<std::string>{"id", "stage_time:lead", "stage_time:mql", "stage_time:customer",
                                                "stage_time:lost", "unused"});
    CHECK(in.no_stage_date == 1);
    CHECK(in.values.empty());
    REQUIRE(in.times.size() == 4);
    CHECK(in.times[1].stage == "mql");
    CHECK(in.times[1].readable == 1);
    CHECK(in.times[1].empty == 2);
    CHECK(in.suggestions.empty());
    CHECK(in.command == "funnel report");
  }

  TEST_CASE("a snapshot: status, created and closed columns, deals counted at their current stage") {
    Inspection in = inspect_csv(
        "deal_id,stage,status,create_date,close_date\n"
        "D1,opportunity,open,2024-01-01,\n"
        "D2,customer,won,2024-01-02,2024-02-02\n"
        "D3,sql,lost,2024-01-03,2024-01-30\n");
    REQUIRE(in.schema);
    CHECK(in.schema->shape == Shape::snapshot);
    CHECK(in.shape_reason == "a stage column and no time column: one row per deal at its current stage");
    CHECK(roles(in) == std::vector<std::string>{"id", "stage", "status", "created", "closed"});
    CHECK(in.unknown_rows == 0);
    CHECK(in.suggestions.empty());
  }

  TEST_CASE("an event log with no time column by name reads as a snapshot: --time-col is suggested") {
    Inspection in = inspect_csv(
        "lead_id,stage,When\n"
        "A,lead,2024-01-01\n"
        "A,mql,2024-01-05\n"
        "B,lead,2024-01-02\n");
    REQUIRE(in.schema);
    CHECK(in.schema->shape == Shape::snapshot);
    CHECK(flags(in) == std::vector<std::string>{"--time-col When"});
    CHECK(in.suggested_shape == Shape::long_log);
  }

  TEST_CASE("dates whose day/month order nothing settles: --date-format, guessed from the delimiter") {
    Inspection comma = inspect_csv("lead_id,stage,timestamp\nA,lead,03/04/2024\nA,mql,05/06/2024\nB,lead,01/02/2024\n");
    REQUIRE(comma.times.size() == 1);
    CHECK(comma.times[0].ambiguous == 3);
    CHECK(comma.times[0].order == DateOrder::undecided);
    CHECK(flags(comma) == std::vector<std::string>{"--date-format mdy"});
    CHECK(comma.suggestions[0].reason.find("a guess: nothing in the data tells") != std::string::npos);

    Inspection semicolon = inspect_csv("lead_id;stage;timestamp\nA;lead;03/04/2024\nA;mql;05/06/2024\n");
    CHECK(semicolon.files.front().dialect.delimiter == ';');
    CHECK(flags(semicolon) == std::vector<std::string>{"--date-format dmy"});

    // One day over 12 settles the column: no suggestion, and the settling cell is named.
    Inspection settled = inspect_csv("lead_id,stage,timestamp\nA,lead,03/04/2024\nA,mql,13/04/2024\n");
    REQUIRE(settled.times.size() == 1);
    CHECK(settled.times[0].order == DateOrder::dmy);
    REQUIRE(settled.times[0].settled_by);
    CHECK(settled.times[0].settled_by->line == 3);
    CHECK(settled.times[0].settled_by->value == "13/04/2024");
    CHECK(settled.times[0].ambiguous == 0);
    CHECK(settled.times[0].readable == 2);
    CHECK(settled.suggestions.empty());

    // A column that never settles takes the order another column of the export settled.
    Inspection wide = inspect_csv("lead_id,lead_at,mql_at\nA,13/04/2024,03/05/2024\nB,02/04/2024,04/05/2024\n");
    REQUIRE(wide.times.size() == 2);
    CHECK(wide.times[0].order == DateOrder::dmy);
    CHECK(wide.times[1].ambiguous == 2);
    CHECK(flags(wide) == std::vector<std::string>{"--date-format dmy"});
    CHECK(wide.suggestions[0].reason.find("dmy suggested: 'lead_at' of the same export is day first") !=
          std::string::npos);
  }

  TEST_CASE("HubSpot-style contacts: Became a ... Date columns, the hubspot preset maps one more") {
    Inspection in = inspect_csv(
        "Record ID,First Name,Lifecycle Stage,Became a Subscriber Date,Became a Lead Date,"
        "Became a Marketing Qualified Lead Date,Became a Customer Date\n"
        "101,Ada,customer,2024-01-02 09:00,2024-01-05 10:00,2024-01-09 11:30,2024-02-01 16:45\n"
        "102,Bo,subscriber,2024-01-03 09:00,,,\n"
        "103,Cy,lead,,2024-01-06 12:00,,\n");
    REQUIRE(in.schema);
    CHECK(in.schema->shape == Shape::snapshot);
    CHECK(roles(in) == std::vector<std::string>{"id", "unused", "stage", "unused", "stage_time:lead", "stage_time:mql",
                                                "stage_time:customer"});
    CHECK(value(in, "subscriber").maps_to == "unknown");
    CHECK(flags(in) == std::vector<std::string>{"--preset hubspot"});
    CHECK(in.suggestions[0].reason ==
          "the hubspot preset leaves 0 rows with an unknown stage instead of 1 and maps 4 stage date columns "
          "instead of 3");
    CHECK(in.command == "funnel report --preset hubspot");
    CHECK(in.notes.empty());  // 'Became a Subscriber Date' is the preset's, not an unread date column
  }

  TEST_CASE("Salesforce-style opportunities: the salesforce preset knows every stage value") {
    Inspection in = inspect_csv(
        "Opportunity ID,Stage,Created Date\n"
        "006A1,Prospecting,2024-01-05\n"
        "006A1,Qualification,2024-01-12\n"
        "006A1,Closed Won,2024-02-01\n"
        "006A2,Prospecting,2024-01-06\n"
        "006A2,Closed Lost,2024-01-20\n");
    REQUIRE(in.schema);
    CHECK(in.schema->shape == Shape::long_log);
    CHECK(roles(in) == std::vector<std::string>{"id", "stage", "time"});
    CHECK(in.unknown_rows == 3);
    CHECK(flags(in) == std::vector<std::string>{"--preset salesforce"});
    CHECK(in.suggestions[0].reason == "the salesforce preset leaves 0 rows with an unknown stage instead of 3");
  }

  TEST_CASE("Pipedrive-style deals: Deal - prefixed columns, won and lost times as stage times") {
    Inspection in = inspect_csv(
        "Deal - ID,Deal - Title,Deal - Stage,Deal - Status,Deal - Add time,Deal - Won time,Deal - Lost time\n"
        "1,Acme,opportunity,won,2024-02-01 09:00:00,2024-03-01 12:00:00,\n"
        "2,Globex,Proposal Made,open,2024-02-03 10:00:00,,\n"
        "3,Initech,sql,lost,2024-02-05 10:00:00,,2024-02-20 10:00:00\n");
    REQUIRE(in.schema);
    CHECK(in.schema->shape == Shape::snapshot);
    CHECK(roles(in) == std::vector<std::string>{"id", "unused", "stage", "status", "created", "stage_time:customer",
                                                "stage_time:lost"});
    CHECK(value(in, "Proposal Made").maps_to == "unknown");
    CHECK(in.suggestions.empty());
    CHECK(any_note(in, "1 unknown stage value (1 row) has no close match, e.g. \"Proposal Made\""));
  }

  TEST_CASE("no recognisable id: content guesses for every role, checked by detect_schema, exit 6") {
    Inspection in = inspect_csv(
        "Person,Phase,When,Notes\n"
        "ann@example.com,Lead,2024-01-08 09:00,webinar\n"
        "ann@example.com,MQL,2024-01-10 14:30,\n"
        "bob@example.com,Lead,2024-01-09 11:00,\n"
        "bob@example.com,SQL,2024-01-15 10:00,call\n"
        "cy@example.com,Lead,2024-01-11 08:00,\n");
    CHECK_FALSE(in.schema);
    REQUIRE(in.error);
    CHECK(in.error->find("<stdin>:1: no lead id column") == 0);
    CHECK(in.exit_code == 6);
    CHECK(roles(in) == std::vector<std::string>{"", "", "", ""});
    CHECK(in.guessing);
    CHECK(in.profiled == 5);
    CHECK(in.guessed_id == 0);
    CHECK(in.guessed_stage == 1);
    CHECK(in.guessed_time == 2);
    CHECK(flags(in) == std::vector<std::string>{"--id Person", "--stage-col Phase", "--time-col When"});
    CHECK(in.suggested_shape == Shape::long_log);
    CHECK(in.command == "funnel report --id Person --stage-col Phase --time-col When");
  }

  TEST_CASE("Olist-style leads: two columns end in id; the guessed id is offered with what stops next") {
    Inspection in = inspect_csv(
        "mql_id,first_contact_date,landing_page_id,origin\n"
        "a3f1c9e07b2d,2018-02-01,88740e65d5d6,social\n"
        "0b7e52d9c4a1,2017-10-20,007f9098284a,paid_search\n"
        "5c2d8e1f9a0b,2018-03-04,88740e65d5d6,organic_search\n");
    CHECK_FALSE(in.schema);
    REQUIRE(in.error);
    // Not "no lead id column" beside "looks like the lead id": which columns, and which --id.
    CHECK(*in.error ==
          "<stdin>:1: 2 columns end in 'id' (mql_id, landing_page_id), so funnel does not pick the lead id itself; "
          "'mql_id' looks like it: --id mql_id (suggested below)");
    CHECK(in.guessed_id == 0);
    CHECK(in.guessed_time == 1);
    CHECK(flags(in) == std::vector<std::string>{"--id mql_id"});
    CHECK(in.suggestions[0].reason ==
          "'mql_id' looks like the lead id: no empty cell and 3 distinct values in the first 3 rows");
    CHECK(any_note(in, "with --id mql_id: <stdin>:1: cannot tell the shape"));
    CHECK(any_note(in, "'first_contact_date' holds times"));
    CHECK_FALSE(in.suggested_shape);
    CHECK(in.exit_code == 6);
  }

  TEST_CASE("Maven-style pipeline: no preset of empty stages; engage_date pointed at as a stage time") {
    Inspection in = inspect_csv(
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
        "1C1I7A6R,Moses Frase,GTX Plus Basic,Cancity,Won,2016-10-20,2017-03-01,1054\n"
        "MV1LWRNH,Moses Frase,GTX Basic,Codehow,Lost,2016-10-25,2017-03-09,0\n"
        "PE84CX4O,Zane Levy,GTX Basic,Hatfan,Engaging,2016-11-02,,\n"
        "HAXMC4IX,James Ascencio,MG Advanced,,Prospecting,,,\n");
    REQUIRE(in.schema);
    CHECK(in.schema->shape == Shape::snapshot);
    CHECK(roles(in) ==
          std::vector<std::string>{"id", "unused", "unused", "unused", "stage", "unused", "closed", "unused"});
    CHECK(in.unknown_rows == 2);
    // The salesforce preset knows Prospecting but leaves Engaging unknown and seven stages empty.
    CHECK(flags(in).empty());
    CHECK(any_note(in, "'engage_date' holds dates that funnel report does not read"));
    CHECK(any_note(in, "if it is when deals entered 'Engaging', name it with --stage-time STAGE=engage_date"));
    CHECK(any_note(in, "'close_date' is read as when won and lost deals closed"));
    CHECK(in.command == "funnel report");
  }

  TEST_CASE("malformed records are counted, and --lenient is suggested") {
    Inspection in = inspect_csv("lead_id,stage,timestamp\nA,lead,2024-01-01\nA,mql\nB,lead,2024-01-02\n");
    CHECK(in.files.front().rejected == 1);
    CHECK(in.files.front().rejected_by_reason.at("wrong field count") == 1);
    CHECK(in.rows_read == 3);
    CHECK(flags(in) == std::vector<std::string>{"--lenient"});
  }

  TEST_CASE("options given are kept in the command, in front of the suggestions") {
    ReportOptions options;
    options.columns.id = "Person";
    options.stages.preset = "hubspot";
    Inspection in =
        inspect_csv("Person,stage,timestamp\nA,subscriber,2024-01-01\nA,Markting Qualified Lead,2024-01-02\n", options);
    REQUIRE(in.schema);
    CHECK(roles(in) == std::vector<std::string>{"id", "stage", "time"});
    CHECK(in.stages.front() == "subscriber");
    CHECK(flags(in) == std::vector<std::string>{"--alias mql=Markting Qualified Lead"});
    CHECK(in.command == "funnel report --id Person --preset hubspot --alias \"mql=Markting Qualified Lead\"");
  }
}
