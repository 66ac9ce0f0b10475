#include "funnel/stage_model.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "funnel/diagnostics.h"
#include "funnel/text.h"

namespace funnel {
namespace {

struct Preset {
  std::string_view name;
  std::vector<Stage> stages;
  std::vector<std::string> lost;
};

const std::vector<std::string> kLostCommon = {"lost", "closed lost", "disqualified", "unqualified", "unqualified lead"};
// Not "cancelled" alone: a cancelled deal is lost, a cancelled customer churned.
const std::vector<std::string> kChurned = {"churned", "churn", "churned customer", "cancelled customer",
                                           "canceled customer"};

std::vector<std::string> with(std::vector<std::string> list, std::initializer_list<std::string> more) {
  list.insert(list.end(), more);
  return list;
}

std::vector<Preset> presets() {
  using S = Section;
  return {
      {"default",
       {{"lead", S::tofu, {"new", "new lead", "leads"}},
        {"mql", S::mofu, {"marketing qualified lead", "marketing qualified", "marketingqualifiedlead"}},
        {"sql", S::mofu, {"sales qualified lead", "sales qualified", "salesqualifiedlead"}},
        {"opportunity", S::bofu, {"opp", "opportunities", "deal"}},
        {"customer", S::bofu, {"won", "closed won", "client", "customers"}}},
       kLostCommon},
      {"hubspot",
       {{"subscriber", S::tofu, {"subscribers"}},
        {"lead", S::tofu, {"leads"}},
        {"mql", S::mofu, {"marketingqualifiedlead", "marketing qualified lead"}},
        {"sql", S::mofu, {"salesqualifiedlead", "sales qualified lead"}},
        {"opportunity", S::bofu, {"opp"}},
        {"customer", S::bofu, {"won", "closedwon", "evangelist"}}},
       kLostCommon},
      {"salesforce",
       {{"prospecting", S::tofu, {}},
        {"qualification", S::tofu, {}},
        {"needs analysis", S::mofu, {}},
        {"value proposition", S::mofu, {}},
        {"id. decision makers", S::mofu, {"id decision makers", "identify decision makers"}},
        {"perception analysis", S::mofu, {}},
        {"proposal/price quote", S::bofu, {"proposal", "price quote"}},
        {"negotiation/review", S::bofu, {"negotiation", "review"}},
        {"closed won", S::bofu, {"won"}}},
       // Zoho CRM's default deal stages are these, and one more lost value.
       with(kLostCommon, {"closed lost to competition"})},
      // Lead Status: Salesforce's classic values (Open - Not Contacted, ...) and its newer
      // ones (New, Working, Nurturing, Qualified, Unqualified).
      {"salesforce-leads",
       {{"new", S::tofu, {"open - not contacted", "open"}},
        {"working", S::mofu, {"working - contacted", "contacted", "nurturing"}},
        {"converted", S::bofu, {"closed - converted", "qualified"}}},
       with(kLostCommon, {"closed - not converted", "not converted"})},
      // Zoho CRM's default Lead Status values; a converted lead has a Converted Date Time.
      {"zoho-leads",
       {{"not contacted", S::tofu, {"attempted to contact", "contact in future"}},
        {"contacted", S::mofu, {}},
        {"pre-qualified", S::mofu, {"prequalified"}},
        {"converted", S::bofu, {}}},
       with(kLostCommon, {"not qualified", "junk lead", "lost lead"})},
  };
}

// Column-name decorations around a stage name in wide exports.
constexpr std::string_view kColumnPrefixes[] = {"hslifecyclestage", "becamea", "becamean", "dateenteredinto",
                                                "dateentered",      "entered", "deal",     ""};
constexpr std::string_view kColumnSuffixes[] = {"datetime", "timestamp", "date", "time", "at", "on", "entered", ""};

std::vector<std::string> split_list(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    std::size_t begin = 0;
    while (begin <= item.size()) {
      std::size_t comma = item.find(',', begin);
      if (comma == std::string::npos) comma = item.size();
      std::string part = item.substr(begin, comma - begin);
      while (!part.empty() && part.front() == ' ') part.erase(part.begin());
      while (!part.empty() && part.back() == ' ') part.pop_back();
      if (!part.empty()) out.push_back(part);
      begin = comma + 1;
    }
  }
  return out;
}

[[noreturn]] void usage(std::string message) { throw Error(ExitCode::usage, std::move(message)); }

}  // namespace

std::string_view section_name(Section s) {
  switch (s) {
    case Section::tofu: return "tofu";
    case Section::mofu: return "mofu";
    case Section::bofu: return "bofu";
  }
  return "mofu";
}

// Not lower_ascii (text.h): names also drop every space, tab, '_' and '-', inside too, so
// "Closed Won", "closed_won" and "ClosedWon" match.
std::string normalize_name(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == ' ' || c == '_' || c == '-' || c == '\t') continue;
    out += to_lower_ascii(c);
  }
  return out;
}

const std::vector<std::string>& StageModel::churned_values() { return kChurned; }

std::vector<std::string> StageModel::preset_names() {
  std::vector<std::string> names;
  for (const auto& p : presets()) names.emplace_back(p.name);
  return names;
}

StageModel StageModel::build(const StageModelSpec& spec) {
  StageModel model;
  auto all = presets();
  auto preset = std::find_if(all.begin(), all.end(), [&](const Preset& p) { return p.name == spec.preset; });
  if (preset == all.end()) {
    usage(fmt::format("unknown preset '{}' (presets: {}){}", spec.preset, fmt::join(preset_names(), ", "),
                      did_you_mean(spec.preset, preset_names())));
  }
  auto stage_names = split_list(spec.stages);
  if (stage_names.empty()) {
    model.stages_ = preset->stages;
    if (spec.skip_leading > 0 && spec.skip_leading + 2 <= model.stages_.size()) {
      model.stages_.erase(model.stages_.begin(),
                          model.stages_.begin() + static_cast<std::ptrdiff_t>(spec.skip_leading));
    }
  } else {
    for (const auto& name : stage_names) model.stages_.push_back({name, Section::mofu, {}});
  }
  model.lost_ = preset->lost;
  auto user_lost = split_list(spec.lost);
  for (const auto& lost : user_lost) model.lost_.push_back(lost);
  if (model.stages_.size() < 2) usage("a funnel needs at least two stages");
  if (model.stages_.size() > 32) usage("a funnel has at most 32 stages");

  auto find_stage = [&](const std::string& name) -> Stage& {
    for (auto& stage : model.stages_) {
      if (normalize_name(stage.name) == normalize_name(name)) return stage;
    }
    std::vector<std::string> names;
    for (const auto& stage : model.stages_) names.push_back(stage.name);
    usage(fmt::format("'{}' is not a stage of this model{}", name, did_you_mean(name, names)));
  };

  // Sections: given stages are assigned; a user model without section flags gets
  // first stage TOFU, last stage BOFU, the rest MOFU.
  auto tofu = split_list(spec.tofu), mofu = split_list(spec.mofu), bofu = split_list(spec.bofu);
  bool sections_given = !tofu.empty() || !mofu.empty() || !bofu.empty();
  if (sections_given || !stage_names.empty()) {
    std::vector<int> assigned(model.stages_.size(), 0);
    auto assign = [&](const std::vector<std::string>& names, Section section) {
      for (const auto& name : names) {
        Stage& stage = find_stage(name);
        stage.section = section;
        ++assigned[static_cast<std::size_t>(&stage - model.stages_.data())];
      }
    };
    if (sections_given) {
      assign(tofu, Section::tofu);
      assign(mofu, Section::mofu);
      assign(bofu, Section::bofu);
      for (std::size_t i = 0; i < model.stages_.size(); ++i) {
        if (assigned[i] != 1) {
          usage(fmt::format("stage '{}' must be in exactly one of --tofu, --mofu, --bofu", model.stages_[i].name));
        }
      }
    } else {
      for (auto& stage : model.stages_) stage.section = Section::mofu;
      model.stages_.front().section = Section::tofu;
      model.stages_.back().section = Section::bofu;
    }
  }
  for (std::size_t i = 1; i < model.stages_.size(); ++i) {
    if (model.stages_[i].section < model.stages_[i - 1].section) {
      usage(fmt::format("stage '{}' ({}) comes after '{}' ({}): sections must run tofu, mofu, bofu",
                        model.stages_[i].name, section_name(model.stages_[i].section), model.stages_[i - 1].name,
                        section_name(model.stages_[i - 1].section)));
    }
  }
  std::vector<std::pair<int, std::string>> user_aliases;
  for (const auto& alias : spec.aliases) {
    auto eq = alias.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == alias.size()) {
      usage(fmt::format("--alias wants STAGE=VALUE, got '{}'", alias));
    }
    Stage& stage = find_stage(alias.substr(0, eq));
    user_aliases.emplace_back(static_cast<int>(&stage - model.stages_.data()), alias.substr(eq + 1));
  }

  auto add = [&](const std::string& spelling, int index) {
    std::string key = normalize_name(spelling);
    auto [it, inserted] = model.lookup_.emplace(key, index);
    if (!inserted && it->second != index) {
      usage(fmt::format("'{}' names two different stages (or a stage and a lost value)", spelling));
    }
  };
  for (std::size_t i = 0; i < model.stages_.size(); ++i) {
    add(model.stages_[i].name, static_cast<int>(i));
  }
  // The user's aliases and lost values must not clash; a preset alias that a user stage
  // name or alias now claims gives way.
  for (const auto& [index, alias] : user_aliases) {
    add(alias, index);
    model.stages_[static_cast<std::size_t>(index)].aliases.push_back(alias);
  }
  for (std::size_t i = 0; i < model.stages_.size(); ++i) {
    for (const auto& alias : model.stages_[i].aliases) {
      if (model.lookup_.count(normalize_name(alias)) == 0) add(alias, static_cast<int>(i));
    }
  }
  for (const auto& lost : user_lost) add(lost, StageRef::lost);
  for (const auto& lost : preset->lost) {
    if (model.lookup_.count(normalize_name(lost)) == 0) add(lost, StageRef::lost);
  }
  // A stage or lost value the user named "churned" keeps that meaning.
  for (const auto& churned : kChurned) {
    if (model.lookup_.count(normalize_name(churned)) == 0) add(churned, StageRef::churned);
  }
  return model;
}

StageRef StageModel::resolve(std::string_view value) const {
  auto it = lookup_.find(normalize_name(value));
  return it == lookup_.end() ? StageRef{} : StageRef{it->second};
}

StageRef StageModel::resolve_column(std::string_view header) const {
  std::string h = normalize_name(header);
  for (auto prefix : kColumnPrefixes) {
    if (h.size() <= prefix.size() || h.compare(0, prefix.size(), prefix) != 0) continue;
    for (auto suffix : kColumnSuffixes) {
      if (prefix.empty() && suffix.empty()) continue;  // a bare "lead" column is an attribute
      if (h.size() <= prefix.size() + suffix.size()) continue;
      if (h.compare(h.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
      auto core = std::string_view(h).substr(prefix.size(), h.size() - prefix.size() - suffix.size());
      auto it = lookup_.find(std::string(core));
      if (it != lookup_.end()) return StageRef{it->second};
    }
  }
  return StageRef{};
}

std::vector<std::string> StageModel::spellings() const {
  std::vector<std::string> out;
  for (const auto& stage : stages_) {
    out.push_back(stage.name);
    for (const auto& alias : stage.aliases) out.push_back(alias);
  }
  for (const auto& lost : lost_) out.push_back(lost);
  for (const auto& churned : kChurned) {
    if (resolve(churned).index == StageRef::churned) out.push_back(churned);
  }
  return out;
}

}  // namespace funnel
