#include <doctest/doctest.h>

#include <algorithm>

#include "funnel/diagnostics.h"
#include "funnel/stage_model.h"

using namespace funnel;

namespace {
StageModel preset(const std::string& name) {
  StageModelSpec spec;
  spec.preset = name;
  return StageModel::build(spec);
}
std::string usage_error(const StageModelSpec& spec) {
  try {
    StageModel::build(spec);
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_SUITE("stage_model") {
  TEST_CASE("the default model is lead, mql, sql, opportunity, customer in three sections") {
    auto m = preset("default");
    REQUIRE(m.size() == 5);
    CHECK(m.stages()[0].name == "lead");
    CHECK(m.stages()[4].name == "customer");
    CHECK(m.stages()[0].section == Section::tofu);
    CHECK(m.stages()[1].section == Section::mofu);
    CHECK(m.stages()[2].section == Section::mofu);
    CHECK(m.stages()[3].section == Section::bofu);
    CHECK(m.won() == 4);
  }

  TEST_CASE("matching ignores case, spaces, underscores and dashes") {
    auto m = preset("default");
    CHECK(m.resolve("MQL").index == 1);
    CHECK(m.resolve("Marketing Qualified Lead").index == 1);
    CHECK(m.resolve("marketing_qualified-lead").index == 1);
    CHECK(m.resolve("Closed Won").index == 4);
    CHECK(m.resolve("Closed Lost").index == StageRef::lost);
    CHECK(m.resolve("Disqualified").index == StageRef::lost);
    CHECK(m.resolve("nurture").index == StageRef::unknown);
  }

  TEST_CASE("wide column names resolve to stages") {
    auto m = preset("hubspot");
    CHECK(m.resolve_column("Became a Marketing Qualified Lead Date").index == 2);
    CHECK(m.resolve_column("hs_lifecyclestage_customer_date").index == 5);
    CHECK(m.resolve_column("Became a Subscriber Date").index == 0);
    auto d = preset("default");
    CHECK(d.resolve_column("mql_at").index == 1);
    CHECK(d.resolve_column("SQL Date").index == 2);
    CHECK(d.resolve_column("Deal - Won time").index == 4);
    CHECK(d.resolve_column("lost_at").index == StageRef::lost);
    CHECK(d.resolve_column("lead_id").index == StageRef::unknown);
    CHECK(d.resolve_column("lead").index == StageRef::unknown);  // a bare name is an attribute
    CHECK(d.resolve_column("source").index == StageRef::unknown);
  }

  TEST_CASE("salesforce stages with their punctuation") {
    auto m = preset("salesforce");
    CHECK(m.resolve("Id. Decision Makers").index == 4);
    CHECK(m.resolve("Proposal/Price Quote").index == 6);
    CHECK(m.resolve("Closed Won").index == m.won());
    CHECK(m.resolve("Closed Lost").index == StageRef::lost);
  }

  TEST_CASE("a user model from flags: stages, sections, aliases and lost values") {
    StageModelSpec spec;
    spec.stages = {"lead,mql,sql,won"};
    spec.tofu = {"lead"};
    spec.mofu = {"mql,sql"};
    spec.bofu = {"won"};
    spec.aliases = {"mql=marketingqualifiedlead"};
    spec.lost = {"closed lost", "dead"};
    auto m = StageModel::build(spec);
    CHECK(m.size() == 4);
    CHECK(m.resolve("marketingqualifiedlead").index == 1);
    CHECK(m.resolve("won").index == 3);
    CHECK(m.resolve("Dead").index == StageRef::lost);
    CHECK(m.stages()[3].section == Section::bofu);
  }

  TEST_CASE("a user model without sections: first TOFU, last BOFU, the rest MOFU") {
    StageModelSpec spec;
    spec.stages = {"a", "b", "c"};
    auto m = StageModel::build(spec);
    CHECK(m.stages()[0].section == Section::tofu);
    CHECK(m.stages()[1].section == Section::mofu);
    CHECK(m.stages()[2].section == Section::bofu);
  }

  TEST_CASE("bad models are usage errors with a suggestion") {
    StageModelSpec spec;
    spec.preset = "hubspott";
    CHECK(usage_error(spec) ==
          "unknown preset 'hubspott' (presets: default, hubspot, salesforce, salesforce-leads, zoho-leads) (did you "
          "mean 'hubspot'?)");
    spec = {};
    spec.stages = {"lead,mql,won"};
    spec.tofu = {"lead"};
    spec.bofu = {"won"};
    CHECK(usage_error(spec) == "stage 'mql' must be in exactly one of --tofu, --mofu, --bofu");
    spec.mofu = {"mgl"};
    CHECK(usage_error(spec) == "'mgl' is not a stage of this model (did you mean 'mql'?)");
    spec = {};
    spec.stages = {"lead,mql,won"};
    spec.tofu = {"mql"};
    spec.mofu = {"lead"};
    spec.bofu = {"won"};
    CHECK(usage_error(spec) == "stage 'mql' (tofu) comes after 'lead' (mofu): sections must run tofu, mofu, bofu");
    spec = {};
    spec.aliases = {"mql"};
    CHECK(usage_error(spec) == "--alias wants STAGE=VALUE, got 'mql'");
    spec = {};
    spec.lost = {"mql"};
    CHECK(usage_error(spec) == "'mql' names two different stages (or a stage and a lost value)");
    spec = {};
    spec.stages = {"only"};
    CHECK(usage_error(spec) == "a funnel needs at least two stages");
  }

  TEST_CASE("churned values are an outcome after won, not a stage, in values and column names") {
    auto m = preset("default");
    CHECK(m.resolve("churned").index == StageRef::churned);
    CHECK(m.resolve("Churn").index == StageRef::churned);
    CHECK(m.resolve("Cancelled Customer").index == StageRef::churned);
    CHECK(m.resolve("canceled_customer").index == StageRef::churned);
    CHECK(m.resolve("cancelled").index == StageRef::unknown);  // a cancelled deal may be lost: not guessed
    CHECK(m.resolve_column("churned_at").index == StageRef::churned);
    CHECK(m.resolve_column("Churn Date").index == StageRef::churned);
    CHECK(m.size() == 5);  // no stage was added
    auto spellings = m.spellings();
    CHECK(std::find(spellings.begin(), spellings.end(), "churned") != spellings.end());
  }

  TEST_CASE("a user stage or lost value named churned keeps that meaning") {
    StageModelSpec spec;
    spec.stages = {"trial,paying,churned"};
    CHECK(StageModel::build(spec).resolve("churned").index == 2);
    spec = {};
    spec.lost = {"churn"};
    auto m = StageModel::build(spec);
    CHECK(m.resolve("churn").index == StageRef::lost);
    CHECK(m.resolve("churned").index == StageRef::churned);
  }
}
