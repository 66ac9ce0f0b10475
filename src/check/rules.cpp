// funnel check's rule grammar: "mql->sql >= 25%", "won >= 40", "p90 days sql->customer <= 45",
// and --max-drop values.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "funnel/check.h"
#include "funnel/diagnostics.h"
#include "funnel/text.h"

namespace funnel {
namespace {

std::string lower(std::string_view text) { return lower_ascii(text); }
std::string trim(std::string_view text) { return std::string(trim_space(text)); }

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

}  // namespace

const char* op_text(Rule::Op op) {
  switch (op) {
    case Rule::Op::ge: return ">=";
    case Rule::Op::gt: return ">";
    case Rule::Op::le: return "<=";
    case Rule::Op::lt: return "<";
    case Rule::Op::eq: return "==";
    case Rule::Op::ne: return "!=";
  }
  return "";
}

bool holds(double value, Rule::Op op, double threshold) {
  switch (op) {
    case Rule::Op::ge: return value >= threshold;
    case Rule::Op::gt: return value > threshold;
    case Rule::Op::le: return value <= threshold;
    case Rule::Op::lt: return value < threshold;
    case Rule::Op::eq: return value == threshold;
    case Rule::Op::ne: return value != threshold;
  }
  return false;
}

Rule parse_rule(std::string_view text, const StageModel& model) {
  Rule rule;
  rule.text = trim(text);
  auto fail = [&](std::string_view why) -> Rule {
    throw Error(ExitCode::usage, fmt::format("--require {}: {}", quote_cell(rule.text), why));
  };
  // Split at the comparison operator.
  static constexpr std::pair<const char*, Rule::Op> ops[] = {{">=", Rule::Op::ge}, {"<=", Rule::Op::le},
                                                             {"==", Rule::Op::eq}, {"!=", Rule::Op::ne},
                                                             {">", Rule::Op::gt},  {"<", Rule::Op::lt}};
  std::size_t at = std::string::npos, length = 0;
  for (const auto& [token, op] : ops) {
    std::size_t found = rule.text.find(token);
    // "->" is part of a stage pair, not "greater than".
    while (found != std::string::npos && token[0] == '>' && token[1] == 0 && found > 0 && rule.text[found - 1] == '-') {
      found = rule.text.find(token, found + 1);
    }
    if (found != std::string::npos && found < at) {
      at = found;
      length = std::char_traits<char>::length(token);
      rule.op = op;
    }
  }
  if (at == std::string::npos) return fail("no comparison (use >=, >, <=, <, == or !=), e.g. \"mql->sql >= 25%\"");
  std::string subject = trim(std::string_view(rule.text).substr(0, at));
  std::string value = trim(std::string_view(rule.text).substr(at + length));
  std::vector<std::string> names;
  for (const auto& s : model.stages()) names.push_back(s.name);
  auto stage = [&](std::string_view name) {
    int k = model.resolve(trim(name)).index;
    if (k < 0) {
      fail(fmt::format("no stage named '{}' (stages: {}){}", trim(name), fmt::join(names, ", "),
                       did_you_mean(trim(name), names)));
    }
    return k;
  };
  auto pair = [&](std::string_view both) {
    auto arrow = both.find("->");
    rule.from = stage(both.substr(0, arrow));
    rule.to = stage(both.substr(arrow + 2));
    if (rule.from >= rule.to) fail("the first stage must come before the second");
  };
  std::string lowered = lower(subject);
  // days [median|p90|mean] A->B
  for (const char* q : {"median ", "p90 ", "mean "}) {
    if (lowered.rfind(q, 0) == 0) {
      rule.quantile = trim(std::string_view(q));
      lowered = trim(std::string_view(lowered).substr(std::char_traits<char>::length(q)));
      subject = trim(std::string_view(subject).substr(subject.size() - lowered.size()));
      if (lowered.rfind("days", 0) != 0) fail("a quantile goes before 'days', e.g. \"p90 days sql->customer <= 45\"");
    }
  }
  if (lowered.rfind("days ", 0) == 0) {
    rule.metric = Rule::Metric::days;
    std::string rest = trim(std::string_view(subject).substr(5));
    if (rest.find("->") == std::string::npos) fail("days rules name two stages, e.g. \"days sql->customer <= 30\"");
    pair(rest);
    if (!value.empty() && (value.back() == 'd' || value.back() == 'D')) value.pop_back();
    auto days = parse_number(trim(value));
    if (!days || *days < 0) fail(fmt::format("'{}' is not a number of days", value));
    rule.threshold = *days;
    return rule;
  }
  bool is_percent = !value.empty() && value.back() == '%';
  if (is_percent) value.pop_back();
  auto number = parse_number(trim(value));
  if (!number) fail(fmt::format("'{}' is not a number", value));
  if (subject.find("->") != std::string::npos || lowered == "win_rate" || lowered == "win rate") {
    rule.metric = lowered.find("->") != std::string::npos ? Rule::Metric::conversion : Rule::Metric::win_rate;
    if (rule.metric == Rule::Metric::conversion) pair(subject);
    double rate = is_percent ? *number / 100 : *number;
    if (!is_percent && *number > 1) fail("a rate is a percentage like 25% or a fraction like 0.25");
    if (rate < 0 || rate > 1) fail("a rate lies between 0% and 100%");
    rule.threshold = rate;
    return rule;
  }
  if (is_percent) fail("counts take a plain number; rates are written A->B, e.g. \"mql->sql >= 25%\"");
  rule.metric = Rule::Metric::count;
  static const std::vector<std::string> overall{"leads", "won", "lost", "open", "stalled"};
  if (std::find(overall.begin(), overall.end(), lowered) != overall.end()) {
    rule.count_name = lowered;
  } else {
    rule.to = stage(subject);
    rule.count_name = names[static_cast<std::size_t>(rule.to)];
  }
  rule.threshold = *number;
  return rule;
}

MaxDrop parse_max_drop(std::string_view text) {
  std::string t = lower(trim(text));
  MaxDrop drop;
  std::string number;
  if (t.size() > 2 && t.substr(t.size() - 2) == "pp") {
    number = t.substr(0, t.size() - 2);
  } else if (t.size() > 1 && t.back() == '%') {
    number = t.substr(0, t.size() - 1);
    drop.relative = true;
  }
  auto value = parse_number(trim(number));
  if (number.empty() || !value || *value < 0 || *value > 100) {
    throw Error(ExitCode::usage,
                fmt::format("--max-drop wants percentage points like 5pp or a relative drop like 10%, not '{}'", text));
  }
  drop.amount = *value / 100;
  return drop;
}

}  // namespace funnel
