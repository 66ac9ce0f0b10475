#include <doctest/doctest.h>

#include "funnel/events.h"
#include "funnel/layouts.h"
#include "funnel/stage_model.h"

using namespace funnel;

namespace {
std::string name_of(const std::vector<std::string>& header) {
  auto layout = recognize_layout(header);
  return layout ? layout->name : "";
}
}  // namespace

TEST_SUITE("layouts") {
  TEST_CASE("HubSpot Date entered columns: stage and pipeline, Date exited is not one") {
    auto lead = date_entered_column("Date entered \"Lead (Lifecycle Stage Pipeline)\"");
    REQUIRE(lead);
    CHECK(lead->stage == "Lead");
    CHECK(lead->pipeline == "Lifecycle Stage Pipeline");
    auto deal = date_entered_column("Date entered \"Decision Maker Bought-In (Sales Pipeline (EU))\"");
    REQUIRE(deal);
    CHECK(deal->stage == "Decision Maker Bought-In");
    CHECK(deal->pipeline == "Sales Pipeline (EU)");
    CHECK_FALSE(date_entered_column("Date exited \"Lead (Lifecycle Stage Pipeline)\""));
    CHECK_FALSE(date_entered_column("Date entered current stage"));
    CHECK_FALSE(date_entered_column("Date entered \"Lead\""));
  }

  TEST_CASE("each CRM export is known by its header") {
    CHECK(name_of({"Record ID", "Create Date", "Lifecycle Stage", "Date entered \"Lead (Lifecycle Stage Pipeline)\"",
                   "Date exited \"Lead (Lifecycle Stage Pipeline)\""}) == "hubspot-contacts");
    CHECK(name_of({"Record ID", "Deal Stage", "Date entered \"Closed Won (Sales Pipeline)\""}) == "hubspot-deals");
    CHECK(name_of({"Id", "OpportunityId", "CreatedDate", "StageName", "Amount"}) == "salesforce-opportunity-history");
    CHECK(name_of({"Id", "Name", "StageName", "CloseDate", "IsClosed", "IsWon", "CreatedDate"}) ==
          "salesforce-opportunities");
    CHECK(name_of({"Opportunity ID", "Opportunity Name", "Stage", "Created Date", "Close Date"}) ==
          "salesforce-opportunity-report");
    CHECK(name_of({"Lead ID", "Company", "Lead Status", "Created Date", "Converted Date"}) == "salesforce-leads");
    CHECK(name_of({"Id", "Status", "CreatedDate", "IsConverted", "ConvertedDate", "ConvertedOpportunityId"}) ==
          "salesforce-leads");
    CHECK(name_of({"Record Id", "Deal Name", "Stage", "Closing Date", "Created Time"}) == "zoho-deals");
    CHECK(name_of({"Record Id", "Lead Status", "Created Time", "Converted Date Time", "Converted Deal.id"}) ==
          "zoho-leads");
    // Names funnel already reads, and no CRM's: no layout.
    CHECK(name_of({"lead_id", "stage", "timestamp"}) == "");
    CHECK(name_of({"Opportunity ID", "Stage", "Created Date", "Region"}) == "");  // a stage log, read as long
  }

  TEST_CASE("a HubSpot contacts export needs the hubspot preset only when it has a Subscriber column") {
    auto without = recognize_layout({"Record ID", "Date entered \"Lead (Lifecycle Stage Pipeline)\""});
    REQUIRE(without);
    CHECK(without->flags().empty());
    auto with = recognize_layout({"Record ID", "Date entered \"Subscriber (Lifecycle Stage Pipeline)\"",
                                  "Date entered \"Lead (Lifecycle Stage Pipeline)\""});
    REQUIRE(with);
    REQUIRE(with->flags().size() == 1);
    CHECK(with->flags()[0] == std::pair<std::string, std::string>{"--preset", "hubspot"});
  }

  TEST_CASE("a HubSpot deals export: its stages in pipeline order, won last, lost apart") {
    // Columns in property (alphabetical) order; all of HubSpot's default pipeline.
    auto l = recognize_layout(
        {"Record ID", "Date entered \"Appointment Scheduled (Sales Pipeline)\"",
         "Date entered \"Closed Lost (Sales Pipeline)\"", "Date entered \"Closed Won (Sales Pipeline)\"",
         "Date entered \"Contract Sent (Sales Pipeline)\"", "Date entered \"Qualified To Buy (Sales Pipeline)\""});
    REQUIRE(l);
    CHECK(l->stages ==
          std::vector<std::string>{"Appointment Scheduled", "Qualified To Buy", "Contract Sent", "Closed Won"});
    CHECK(l->lost == std::vector<std::string>{"Closed Lost"});
    // A custom pipeline keeps the header's order.
    auto custom = recognize_layout({"Deal ID", "Date entered \"Demo (Partners)\"", "Date entered \"Intro (Partners)\"",
                                    "Date entered \"Won (Partners)\""});
    REQUIRE(custom);
    CHECK(custom->stages == std::vector<std::string>{"Demo", "Intro", "Won"});
    StageModel model = StageModel::build(custom->stage_spec({}));
    CHECK(model.resolve("Intro").index == 1);
  }

  TEST_CASE("detect_schema reads a layout's roles with no flags; the user's flags come first") {
    StageModel model = StageModel::build({});
    std::vector<std::string> hubspot = {"Record ID",
                                        "Lifecycle Stage",
                                        "Create Date",
                                        "Date entered \"Lead (Lifecycle Stage Pipeline)\"",
                                        "Date exited \"Lead (Lifecycle Stage Pipeline)\"",
                                        "Date entered \"Customer (Lifecycle Stage Pipeline)\"",
                                        "Date entered \"Customer (Lifecycle Stage Pipeline)\""};
    Schema s = detect_schema(hubspot, model, {}, "h.csv");
    CHECK(s.shape == Shape::wide);
    CHECK(s.id == 0);
    REQUIRE(s.stage_times.size() == 3);  // Lead, and Customer twice: a repeated stage column is read, not refused
    CHECK(s.stage_times[0].column == 3);
    CHECK(s.stage_times[0].stage == 0);
    CHECK(s.stage_times[1].stage == model.won());
    ColumnSpec snapshot;
    snapshot.shape = "snapshot";
    CHECK(detect_schema(hubspot, model, snapshot, "h.csv").shape == Shape::snapshot);

    std::vector<std::string> history = {"Id", "OpportunityId", "CreatedById", "CreatedDate", "StageName", "Amount"};
    Schema h = detect_schema(history, StageModel::build({"salesforce", {}, {}, {}, {}, {}, {}}), {}, "oh.csv");
    CHECK(h.shape == Shape::long_log);
    CHECK(h.id == 1);  // OpportunityId, not the history row's Id
    CHECK(h.stage == 4);
    CHECK(h.time == 3);

    std::vector<std::string> opportunities = {"Id", "StageName", "CloseDate", "IsClosed", "IsWon", "CreatedDate"};
    Schema o = detect_schema(opportunities, model, {}, "o.csv");
    CHECK(o.shape == Shape::snapshot);
    CHECK(o.created == 5);
    CHECK(o.closed == 2);
    CHECK(o.closed_flag == 3);
    CHECK(o.won_flag == 4);

    std::vector<std::string> zoho = {"Record Id", "Lead Status", "Created Time", "Converted Date Time"};
    StageModel zoho_model = StageModel::build({"zoho-leads", {}, {}, {}, {}, {}, {}});
    Schema z = detect_schema(zoho, zoho_model, {}, "z.csv");
    CHECK(z.shape == Shape::snapshot);
    CHECK(z.stage == 1);
    CHECK(z.created == 2);
    REQUIRE(z.stage_times.size() == 1);
    CHECK(z.stage_times[0].stage == zoho_model.won());
  }

  TEST_CASE("Salesforce's null id is an empty id") {
    CHECK(is_null_id("000000000000000AAA"));
    CHECK(is_null_id("000000000000000"));
    CHECK_FALSE(is_null_id("0060000000000001AAA"));
    CHECK_FALSE(is_null_id("000000000000000AAB"));
    CHECK_FALSE(is_null_id("006000000000000AAA"));
  }
}

TEST_SUITE("layouts") {
  TEST_CASE("a preset's first stages that a wide export has no column for are left out") {
    StageModelSpec hubspot{"hubspot", {}, {}, {}, {}, {}, {}};
    std::vector<std::string> current = {"Record ID", "Date entered \"Lead (Lifecycle Stage Pipeline)\"",
                                        "Date entered \"Customer (Lifecycle Stage Pipeline)\""};
    CHECK(unused_leading_stages(hubspot, current, {}) == 1);  // no Subscriber column
    hubspot.skip_leading = 1;
    StageModel model = StageModel::build(hubspot);
    REQUIRE(model.size() == 5);
    CHECK(model.stages().front().name == "lead");
    CHECK(model.stages().front().section == Section::tofu);
    CHECK(model.resolve("subscriber").index == StageRef::unknown);

    hubspot.skip_leading = 0;
    current.push_back("Date entered \"Subscriber (Lifecycle Stage Pipeline)\"");
    CHECK(unused_leading_stages(hubspot, current, {}) == 0);
    // A snapshot may name the stage in any row: the preset is kept whole.
    CHECK(unused_leading_stages(hubspot, {"Record ID", "Lifecycle Stage", "Became a Lead Date"}, {}) == 0);
    // The default model and user stage lists are never cut.
    CHECK(unused_leading_stages({}, {"lead_id", "customer_at"}, {}) == 0);
    // At least two stages stay.
    CHECK(unused_leading_stages({"hubspot", {}, {}, {}, {}, {}, {}}, {"Record ID", "Became a Customer Date"}, {}) == 0);
    CHECK(unused_leading_stages({"hubspot", {}, {}, {}, {}, {}, {}}, {"Record ID", "Became an Opportunity Date"}, {}) ==
          4);
  }
}
