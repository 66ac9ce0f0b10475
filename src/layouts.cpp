#include "funnel/layouts.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "funnel/diagnostics.h"

namespace funnel {
namespace {

constexpr std::string_view kLifecyclePipeline = "Lifecycle Stage Pipeline";

// HubSpot's default deal pipeline, in its order: a deals export lists its "Date entered"
// columns in property order, which need not be the pipeline's.
constexpr std::string_view kHubSpotDealStages[] = {"appointmentscheduled",
                                                   "qualifiedtobuy",
                                                   "presentationscheduled",
                                                   "decisionmakerboughtin",
                                                   "contractsent",
                                                   "closedwon",
                                                   "closedlost"};

bool contains_word(std::string_view normalized, std::string_view word) {
  return normalized.find(word) != std::string_view::npos;
}

}  // namespace

std::optional<DateEnteredColumn> date_entered_column(std::string_view header) {
  constexpr std::string_view kPrefix = "date entered \"";
  if (header.size() < kPrefix.size() + 4 || header.back() != '"') return std::nullopt;
  for (std::size_t i = 0; i < kPrefix.size(); ++i) {
    char c = header[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kPrefix[i]) return std::nullopt;
  }
  std::string_view inner = header.substr(kPrefix.size(), header.size() - kPrefix.size() - 1);
  if (inner.empty() || inner.back() != ')') return std::nullopt;
  // The pipeline is in the parentheses that close at the end; it may hold parentheses itself.
  std::size_t open = std::string_view::npos;
  int depth = 0;
  for (std::size_t i = inner.size(); i-- > 0;) {
    depth += inner[i] == ')' ? 1 : inner[i] == '(' ? -1 : 0;
    if (depth == 0) {
      open = i;
      break;
    }
  }
  if (open == std::string_view::npos || open < 2 || inner[open - 1] != ' ') return std::nullopt;
  --open;  // the space before it
  return DateEnteredColumn{std::string(inner.substr(0, open)),
                           std::string(inner.substr(open + 2, inner.size() - open - 3))};
}

std::size_t unused_leading_stages(const StageModelSpec& stages, const std::vector<std::string>& header,
                                  const ColumnSpec& columns) {
  if (!stages.stages.empty() || stages.preset == "default") return 0;
  StageModelSpec whole = stages;
  whole.skip_leading = 0;
  try {
    StageModel model = StageModel::build(whole);
    Schema schema = detect_schema(header, model, columns, "");
    if (schema.shape != Shape::wide) return 0;
    std::size_t first = 0;
    while (first < model.stages().size() &&
           std::none_of(schema.stage_times.begin(), schema.stage_times.end(),
                        [&](const Schema::StageTime& st) { return st.stage == static_cast<int>(first); })) {
      ++first;
    }
    return first + 2 <= model.stages().size() ? first : 0;
  } catch (const Error&) {
    return 0;  // the real read reports it
  }
}

std::vector<std::pair<std::string, std::string>> Layout::flags() const {
  std::vector<std::pair<std::string, std::string>> out;
  if (!preset.empty()) out.emplace_back("--preset", preset);
  if (!stages.empty()) out.emplace_back("--stages", fmt::format("{}", fmt::join(stages, ",")));
  if (!lost.empty()) out.emplace_back("--lost", fmt::format("{}", fmt::join(lost, ",")));
  return out;
}

StageModelSpec Layout::stage_spec(StageModelSpec user) const {
  if (!preset.empty()) user.preset = preset;
  if (!stages.empty()) user.stages = stages;
  user.lost.insert(user.lost.end(), lost.begin(), lost.end());
  return user;
}

std::optional<Layout> recognize_layout(const std::vector<std::string>& header) {
  std::vector<std::string> normalized;
  for (const auto& h : header) normalized.push_back(normalize_name(h));
  auto find = [&](std::string_view name) -> const std::string* {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (normalized[i] == name) return &header[i];
    }
    return nullptr;
  };
  auto has = [&](std::string_view name) { return find(name) != nullptr; };

  // HubSpot: stage history as `Date entered "<Stage> (<Pipeline>)"` columns.
  std::vector<DateEnteredColumn> entered;
  for (const auto& h : header) {
    if (auto column = date_entered_column(h)) entered.push_back(std::move(*column));
  }
  bool lifecycle = std::any_of(entered.begin(), entered.end(),
                               [](const DateEnteredColumn& c) { return c.pipeline == kLifecyclePipeline; });
  if (lifecycle) {
    Layout l{"hubspot-contacts",
             "HubSpot contacts export (Date entered \"<stage> (Lifecycle Stage Pipeline)\" columns)",
             "wide",
             has("recordid") ? *find("recordid") : "",
             "",
             "",
             {},
             {}};
    // Subscriber is a stage of the hubspot preset, not of the default model: use the preset
    // only when the export has it.
    bool subscriber = std::any_of(entered.begin(), entered.end(), [](const DateEnteredColumn& c) {
      return c.pipeline == kLifecyclePipeline && normalize_name(c.stage) == "subscriber";
    });
    if (subscriber) l.preset = "hubspot";
    return l;
  }
  if (!entered.empty()) {
    Layout l{"hubspot-deals",
             "HubSpot deals export (Date entered \"<stage> (<pipeline>)\" columns)",
             "",
             "",
             "",
             "",
             {},
             {}};
    if (has("recordid")) l.id = *find("recordid");
    std::vector<std::string> won, open;
    std::set<std::string> seen;
    bool all_default = true;
    for (const auto& c : entered) {
      std::string key = normalize_name(c.stage);
      if (!seen.insert(key).second || c.stage.find(',') != std::string::npos) continue;
      all_default = all_default && std::find(std::begin(kHubSpotDealStages), std::end(kHubSpotDealStages), key) !=
                                       std::end(kHubSpotDealStages);
      if (contains_word(key, "lost"))
        l.lost.push_back(c.stage);
      else if (contains_word(key, "won"))
        won.push_back(c.stage);
      else
        open.push_back(c.stage);
    }
    if (all_default) {
      auto rank = [](const std::string& stage) {
        std::string key = normalize_name(stage);
        return std::find(std::begin(kHubSpotDealStages), std::end(kHubSpotDealStages), key) -
               std::begin(kHubSpotDealStages);
      };
      std::stable_sort(open.begin(), open.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
    }
    l.stages = open;
    l.stages.insert(l.stages.end(), won.begin(), won.end());
    if (l.stages.size() < 2) {  // too few to be a funnel: the default model reads what it can
      l.stages.clear();
      l.lost.clear();
    }
    return l;
  }

  // Salesforce Data Export (API names) and report exports (labels).
  if (has("opportunityid") && has("stagename") && has("createddate")) {
    return Layout{"salesforce-opportunity-history",
                  "Salesforce OpportunityHistory (Data Export: one row per stage change)",
                  "long",
                  *find("opportunityid"),
                  *find("stagename"),
                  "salesforce",
                  {},
                  {}};
  }
  if (has("id") && has("stagename") && (has("iswon") || has("isclosed") || has("closedate"))) {
    return Layout{"salesforce-opportunities",
                  "Salesforce Opportunity (Data Export: one row per opportunity)",
                  "snapshot",
                  *find("id"),
                  *find("stagename"),
                  "salesforce",
                  {},
                  {}};
  }
  if (has("opportunityid") && has("stage") && has("closedate")) {
    return Layout{"salesforce-opportunity-report",
                  "Salesforce opportunities report (one row per opportunity)",
                  "snapshot",
                  *find("opportunityid"),
                  *find("stage"),
                  "salesforce",
                  {},
                  {}};
  }
  if (has("leadid") && (has("leadstatus") || has("status"))) {
    return Layout{"salesforce-leads",
                  "Salesforce leads report (one row per lead)",
                  "snapshot",
                  *find("leadid"),
                  has("leadstatus") ? *find("leadstatus") : *find("status"),
                  "salesforce-leads",
                  {},
                  {}};
  }
  if (has("id") && has("status") && has("isconverted")) {
    return Layout{"salesforce-leads",
                  "Salesforce Lead (Data Export: one row per lead)",
                  "snapshot",
                  *find("id"),
                  *find("status"),
                  "salesforce-leads",
                  {},
                  {}};
  }

  // Zoho CRM: "Created Time", "Closing Date", "Converted Date Time".
  if (has("createdtime") && has("stage")) {
    return Layout{
        "zoho-deals", "Zoho CRM deals export (one row per deal)", "snapshot", "", *find("stage"), "salesforce", {}, {}};
  }
  if (has("createdtime") && has("leadstatus")) {
    return Layout{"zoho-leads",
                  "Zoho CRM leads export (one row per lead)",
                  "snapshot",
                  "",
                  *find("leadstatus"),
                  "zoho-leads",
                  {},
                  {}};
  }
  return std::nullopt;
}

}  // namespace funnel
