// Joins: several exports with their own headers as one funnel (issue 21). The plan each
// header gives, the counts and faults, and the same numbers on one thread and in pieces.
#include <doctest/doctest.h>

#include <sstream>

#include <fmt/format.h>

#include "funnel/csv.h"
#include "funnel/joins.h"
#include "funnel/report.h"
#include "support.h"

using funnel::test::run_cli;
using funnel::test::TempFile;

namespace {

const funnel::PlannedInput& input_named(const funnel::JoinPlan& plan, const std::string& path) {
  for (const auto& in : plan.inputs) {
    if (in.path == path) return in;
  }
  FAIL("no input " << path);
  return plan.inputs.front();
}

funnel::Report report_of(const funnel::ReportOptions& options) {
  std::ostringstream err;
  funnel::Diagnostics diagnostics(err, true);
  return funnel::build_report(options, nullptr, diagnostics);
}

}  // namespace

TEST_SUITE("joins") {
  TEST_CASE("the plan: evidence by a shared id, a link column, a list of lead ids, a lookup") {
    TempFile mqls("mql_id,first_contact_date,origin\nm1,2024-01-02,social\n");
    TempFile deals("mql_id,won_date\nm1,2024-01-09\n");
    TempFile teams("origin,channel_owner\nsocial,Ann\n");
    funnel::IngestOptions o;
    o.files = {mqls.path(), deals.path(), teams.path()};
    o.columns.stage_times = {"mql=first_contact_date"};
    funnel::StageModelSpec stages;
    stages.stages = {"mql", "won"};
    const auto model = funnel::StageModel::build(stages);
    funnel::JoinPlan plan = funnel::plan_inputs(o, model);
    CHECK(plan.joined);
    // The lookup is read first, then the file naming the leads, then the other evidence.
    REQUIRE(plan.inputs.size() == 3);
    CHECK(plan.inputs[0].role == funnel::InputRole::lookup);
    CHECK(plan.inputs[0].key == "origin");  // the column it shares with the leads' rows
    CHECK(plan.inputs[1].primary);
    CHECK(plan.inputs[2].role == funnel::InputRole::evidence);
    CHECK_FALSE(plan.inputs[2].primary);
    // --stage-time applies only to the file that has the column.
    CHECK(input_named(plan, mqls.path()).columns.stage_times == std::vector<std::string>{"mql=first_contact_date"});
    CHECK(input_named(plan, deals.path()).columns.stage_times.empty());

    TempFile leads("Lead ID,Status,Created Date,Converted Opportunity ID\nL1,Closed - Converted,2024-01-02,O1\n");
    TempFile opps("Opportunity ID,Stage,Close Date,Amount\nO1,Closed Won,2024-02-01,10\n");
    o = {};
    o.files = {leads.path(), opps.path()};
    funnel::StageModelSpec sf;
    sf.preset = "salesforce-leads";
    plan = funnel::plan_inputs(o, funnel::StageModel::build(sf));
    CHECK(input_named(plan, opps.path()).role == funnel::InputRole::linked);
    CHECK(input_named(plan, leads.path()).link_out == "Converted Opportunity ID");

    TempFile contacts("Record ID,Became a Lead Date\n1,2024-01-02\n");
    TempFile hs_deals("Record ID,Deal Stage,Close Date,Associated Contact IDs\n9,closedwon,2024-02-01,1;2\n");
    o = {};
    o.files = {contacts.path(), hs_deals.path()};
    funnel::StageModelSpec hs;
    hs.preset = "hubspot";
    plan = funnel::plan_inputs(o, funnel::StageModel::build(hs));
    const funnel::PlannedInput& listed = input_named(plan, hs_deals.path());
    CHECK(listed.role == funnel::InputRole::evidence);
    CHECK(listed.id_list == ';');
    CHECK(listed.columns.id == "Associated Contact IDs");
  }

  TEST_CASE("files sharing one header are one export, not a join") {
    TempFile a("lead_id,stage,timestamp\nA,lead,2024-01-01\n");
    TempFile b("lead_id,stage,timestamp\nB,lead,2024-01-02\n");
    funnel::IngestOptions o;
    o.files = {a.path(), b.path()};
    const auto plan = funnel::plan_inputs(o, funnel::StageModel::build({}));
    CHECK_FALSE(plan.joined);
    CHECK(plan.inputs.size() == 2);
  }

  TEST_CASE("hand-checked: a deal's amount is credited in equal shares to its contacts") {
    // Deal 9 (900, won) lists contacts 1, 2 and 3: each is credited 300, so won revenue is
    // 900 in (all); contact 1 and 2 are 'web' (600), contact 3 'ads' (300). Deal 8 lists 4
    // and 7: 4 is a contact (credited 50), 7 is not (a fault, named). Deal 6 lists only 8,
    // no contact: the row is reported (unknown lead id).
    TempFile contacts(
        "Record ID,Original Source,Became a Lead Date\n1,web,2024-01-01\n2,web,2024-01-02\n3,ads,2024-01-03\n"
        "4,ads,2024-01-04\n");
    TempFile deals(
        "Record ID,Deal Stage,Close Date,Amount,Associated Contact IDs\n9,closedwon,2024-02-01,900,1;2; 3\n"
        "8,closedlost,2024-02-02,100,4;7\n6,closedwon,2024-02-03,70,8\n");
    auto r = run_cli({"report", "-f", "json", "--preset", "hubspot", "--amount", "Amount", "--by", "Original Source",
                      contacts.path(), deals.path()});
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("\"won_revenue\": 900") != std::string::npos);
    CHECK(r.out.find("\"won_revenue\": 600") != std::string::npos);
    CHECK(r.out.find("\"won_revenue\": 300") != std::string::npos);
    CHECK(r.out.find("\"unknown_listed_ids\": 1") != std::string::npos);
    CHECK(r.out.find(fmt::format("\"first_unknown_listed_ids\": [\"{}:3\"]", deals.path())) != std::string::npos);
    CHECK(r.out.find("\"unknown_lead_ids\": 1") != std::string::npos);
    CHECK(r.err.find(fmt::format("{}:4", deals.path())) != std::string::npos);  // the reported row, named
  }

  TEST_CASE("every file's rows_read = rows_used + rows_reported, lookups included") {
    TempFile mqls("mql_id,first_contact_date,origin\nm1,2024-01-02,social\nm2,2024-01-03,\n,2024-01-04,x\n");
    TempFile deals("mql_id,won_date\nm1,2024-01-09\nm9,2024-01-10\n");
    TempFile lookup("origin,owner\nsocial,Ann\n,Bob\nsocial,Cy\n");
    funnel::ReportOptions o;
    o.files = {mqls.path(), deals.path()};
    o.lookups = {lookup.path()};
    o.lookup_duplicates = funnel::LookupDuplicates::first;
    o.stages.stages = {"mql", "won"};
    o.columns.stage_times = {"mql=first_contact_date"};
    o.columns.by = {"owner"};
    const funnel::Report report = report_of(o);
    const auto& files = report.input.per_file;
    REQUIRE(files.size() == 3);
    std::uint64_t read = 0, used = 0, reported = 0;
    for (const auto& f : files) {
      CHECK(f.rows_read == f.rows_used + f.rows_reported);
      if (f.role != "lookup") {
        read += f.rows_read;
        used += f.rows_used;
        reported += f.rows_reported;
      }
    }
    CHECK(files[0].role == "lookup");
    CHECK(files[0].rows_read == 3);
    CHECK(files[0].rows_reported == 2);  // an empty key and a repeated one
    CHECK(files[1].rows_reported == 1);  // the empty lead id
    CHECK(files[2].rows_reported == 1);  // m9: no such lead
    CHECK(read == report.input.rows_read);
    CHECK(used == report.input.rows_used);
    CHECK(reported == report.input.rows_reported);
    REQUIRE(report.input.lookups.size() == 1);
    CHECK(report.input.lookups[0].duplicates == 1);
    CHECK(report.input.lookups[0].first_duplicates == std::vector<std::uint64_t>{4});
  }

  TEST_CASE("a join gives the same report on one thread and in pieces on two") {
    std::string leads = "Lead ID,Lead Source,Status,Created Date,Converted Opportunity ID\n";
    std::string opps = "Opportunity ID,Stage,Close Date,Amount\n";
    for (int i = 0; i < 3000; ++i) {
      const char* status = i % 3 == 0 ? "Closed - Converted" : i % 3 == 1 ? "Working - Contacted" : "Open";
      leads += fmt::format("L{},{},{},2024-01-{:02},{}\n", i, i % 4 == 0 ? "web" : "ads", status, 1 + i % 28,
                           i % 3 == 0 ? fmt::format("O{}", i) : "");
      if (i % 3 == 0 && i % 5 != 0) {
        opps +=
            fmt::format("O{},{},2024-03-{:02},{}\n", i, i % 2 == 0 ? "Closed Won" : "Closed Lost", 1 + i % 28, 100 + i);
      }
    }
    opps += "O99999,Closed Won,2024-03-01,5\n";  // linked to no lead
    TempFile a(leads), b(opps);
    auto run = [&](const std::string& threads) {
      return run_cli({"report", "-f", "json", "--threads", threads, "--preset", "salesforce-leads", "--alias",
                      "converted=Closed Won", "--lost", "Closed Lost", "--by", "Lead Source", a.path(), b.path()});
    };
    funnel::set_rows_before_pieces(64);
    funnel::RecordReader::set_block_bytes(4096);
    auto two = run("2");
    funnel::RecordReader::set_block_bytes(std::size_t{1} << 20);
    funnel::set_rows_before_pieces(16384);
    auto one = run("1");
    REQUIRE(one.rc == 0);
    CHECK(two.rc == one.rc);
    CHECK(two.out == one.out);
    CHECK(two.err == one.err);
    CHECK(one.out.find("\"linked_to_no_lead\": 1") != std::string::npos);
    CHECK(one.out.find("\"dangling_links\": 200") != std::string::npos);  // i % 15 == 0: 3000 / 15
  }

  TEST_CASE("[[input]] tables give one file its roles; unknown keys are refused with their line") {
    TempFile mqls("mql_id,contact,origin\nm1,2024-01-02,social\n");
    TempFile deals("mql_id,signed\nm1,2024-01-09\n");
    TempFile config(
        fmt::format("stages = [\"mql\", \"won\"]\nid = \"mql_id\"\n[[input]]\nfile = \"{}\"\n"
                    "stage-time = [\"mql=contact\"]\n[[input]]\nfile = \"{}\"\nstage-time = [\"won=signed\"]\n",
                    mqls.path(), deals.path()),
        ".toml");
    auto r = run_cli({"report", "-f", "csv", "--config", config.path(), mqls.path(), deals.path()});
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("(all),won,bofu,1,1.000000") != std::string::npos);
    TempFile bad("[[input]]\nfile = \"x.csv\"\nstage = \"s\"\n", ".toml");
    r = run_cli({"report", "--config", bad.path(), mqls.path(), deals.path()});
    CHECK(r.rc == 2);
    CHECK(r.err.find(bad.path() + ":3: unknown key 'stage'") != std::string::npos);
  }

  TEST_CASE("a --by column no input nor lookup has is a schema error naming it") {
    TempFile mqls("mql_id,first_contact_date\nm1,2024-01-02\n");
    TempFile deals("mql_id,won_date\nm1,2024-01-09\n");
    auto r = run_cli({"report", "--stages", "mql,won", "--stage-time", "mql=first_contact_date", "--by", "origin",
                      mqls.path(), deals.path()});
    CHECK(r.rc == 6);
    CHECK(r.err.find("--by names column 'origin', which is in no input") != std::string::npos);
  }
}

TEST_CASE("a snapshot column named with --stage-time is that stage's date, not also the created date") {
  // Before: an opportunities report's Created Date named as converted=Created Date was also
  // read as the deal's created time, giving the first stage a time it never had.
  funnel::StageModelSpec spec;
  spec.stages = {"lead", "converted", "won"};
  const auto model = funnel::StageModel::build(spec);
  funnel::ColumnSpec columns;
  columns.stage_times = {"converted=Created Date"};
  const std::vector<std::string> header{"Opportunity ID", "Stage", "Created Date", "Close Date"};
  const funnel::Schema schema = funnel::detect_schema(header, model, columns, "opps.csv");
  CHECK(schema.shape == funnel::Shape::snapshot);
  CHECK(schema.created == -1);
  CHECK(schema.closed == 3);
  REQUIRE(schema.stage_times.size() == 1);
  CHECK(schema.stage_times[0].column == 2);
  CHECK(schema.stage_times[0].stage == 1);
}

TEST_CASE("a lookup miss on a file's last row is not carried to the next file's first row") {
  // Line 3 of the pipeline misses the lookup; the next file has its own manager column, so
  // its rows take no lookup: one miss in all, named at pipeline:3.
  TempFile pipeline("opportunity_id,sales_agent,deal_stage\n1,Ann,Engaging\n2,Dan,Engaging\n");
  TempFile won("opportunity_id,won_date,manager\n1,2024-02-01,Mia\n2,2024-02-02,Lou\n");
  TempFile teams("sales_agent,manager\nAnn,Mia\n");
  funnel::ReportOptions o;
  o.files = {pipeline.path(), won.path()};
  o.lookups = {teams.path()};
  o.stages.stages = {"engaging", "won"};
  o.columns.by = {"manager"};
  const funnel::Report report = report_of(o);
  REQUIRE(report.input.lookups.size() == 1);
  CHECK(report.input.lookups[0].misses == 1);
  REQUIRE(report.input.lookups[0].first_misses.size() == 1);
  CHECK(report.input.lookups[0].first_misses[0].line == 3);
  CHECK(report.input.lookups[0].missed_keys == std::vector<std::string>{"Dan"});
}
