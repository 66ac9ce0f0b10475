#include "funnel/check.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "funnel/diagnostics.h"
#include "funnel/render.h"
#include "funnel/stats.h"

namespace funnel {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return std::string(text);
}

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

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

std::string percent(double rate) { return fmt::format("{:.1f}%", rate * 100); }

}  // namespace

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
      fail(fmt::format("no stage named '{}' (stages: {}){}", trim(name), fmt::join(names, ", "), did_you_mean(trim(name), names)));
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

std::vector<Verdict> run_check(const Report& report, const CheckOptions& options) {
  std::vector<Rule> rules;
  for (const auto& text : options.rules) rules.push_back(parse_rule(text, report.model));
  std::optional<SavedReport> baseline;
  MaxDrop max_drop = parse_max_drop(options.max_drop);
  if (!options.baseline.empty()) baseline = read_saved_report(options.baseline);
  if (rules.empty() && !baseline) {
    throw Error(ExitCode::usage, "funnel check: nothing to check: give --require RULE or --baseline FILE");
  }
  const auto& stages = report.model.stages();
  const LeadStore& store = *report.store;

  // Days rules: durations between their two stages per segment label, in one pass over the leads.
  std::vector<std::map<std::string, std::vector<Duration>, std::less<>>> spans(rules.size());
  if (std::any_of(rules.begin(), rules.end(), [](const Rule& r) { return r.metric == Rule::Metric::days; })) {
    for (std::uint32_t lead = 0; lead < store.size(); ++lead) {
      LeadVerdict v = judge_lead(store, lead, report.options, report.tables.as_of);
      if (v.excluded != Exclusion::none) continue;
      for (std::size_t r = 0; r < rules.size(); ++r) {
        const Rule& rule = rules[r];
        if (rule.metric != Rule::Metric::days || v.path.furthest < rule.to) continue;
        Timestamp a = v.path.first[rule.from], b = v.path.first[rule.to];
        if (a == kNoTime || b == kNoTime || b < a) continue;
        spans[r]["(all)"].push_back(to_duration(b - a));
        if (!report.labels.empty()) spans[r][report.labels[store.segment(lead)]].push_back(to_duration(b - a));
      }
    }
  }

  std::vector<Verdict> verdicts;
  for (const SegmentTable& seg : report.tables.segments) {
    bool small = seg.overall.leads < options.min_leads;
    auto judge = [&](Verdict v, bool pass) {
      if (small) {
        v.status = Verdict::Status::skipped;
        v.detail = fmt::format("{} leads, fewer than --min-leads {}", seg.overall.leads, options.min_leads);
      } else {
        v.status = pass ? Verdict::Status::pass : Verdict::Status::fail;
      }
      verdicts.push_back(std::move(v));
    };
    for (std::size_t r = 0; r < rules.size(); ++r) {
      const Rule& rule = rules[r];
      Verdict v{rule.text, seg.label, Verdict::Status::pass, "", ""};
      switch (rule.metric) {
        case Rule::Metric::count: {
          const Overall& o = seg.overall;
          std::uint64_t count = rule.count_name == "leads"   ? o.leads
                                : rule.count_name == "won"   ? o.won
                                : rule.count_name == "lost"  ? o.lost
                                : rule.count_name == "open"  ? o.open
                                : rule.count_name == "stalled" ? o.stalled
                                                               : seg.stages[static_cast<std::size_t>(rule.to)].reached;
          v.value = std::to_string(count);
          v.detail = fmt::format("{} {} {}", count, op_text(rule.op), fmt::format("{:g}", rule.threshold));
          judge(std::move(v), holds(static_cast<double>(count), rule.op, rule.threshold));
          break;
        }
        case Rule::Metric::conversion:
        case Rule::Metric::win_rate: {
          std::uint64_t x = 0, n = 0;
          if (rule.metric == Rule::Metric::conversion) {
            x = seg.stages[static_cast<std::size_t>(rule.to)].reached;
            n = seg.stages[static_cast<std::size_t>(rule.from)].reached;
          } else {
            x = seg.overall.won;
            n = seg.overall.won + seg.overall.lost;
          }
          if (n == 0) {
            v.value = "-";
            v.detail = "no leads to measure";
            v.status = Verdict::Status::skipped;
            verdicts.push_back(std::move(v));
            break;
          }
          double rate = static_cast<double>(x) / static_cast<double>(n);
          auto ci = wilson(x, n);
          v.value = percent(rate);
          v.detail = fmt::format("{}/{}; 95% CI {}-{}", x, n, percent(ci->low), percent(ci->high));
          bool pass = holds(rate, rule.op, rule.threshold);
          if (!pass && options.significance > 0 && rule.threshold > 0 && rule.threshold < 1 && rule.op != Rule::Op::eq &&
              rule.op != Rule::Op::ne) {
            // One-sample test against the threshold: a breach counts only when it is significant.
            double p0 = rule.threshold;
            double z = (rate - p0) / std::sqrt(p0 * (1 - p0) / static_cast<double>(n));
            bool below = rule.op == Rule::Op::ge || rule.op == Rule::Op::gt;
            double p = below ? upper_p(-z) : upper_p(z);
            v.detail += fmt::format("; p={:.3f}", p);
            if (p >= options.significance) {
              pass = true;
              v.detail += fmt::format(", not significant at {:g}", options.significance);
            }
          }
          judge(std::move(v), pass);
          break;
        }
        case Rule::Metric::days: {
          std::vector<Duration> values = spans[r][seg.label];
          if (values.empty()) {
            v.value = "-";
            v.detail = "no lead has both times";
            v.status = Verdict::Status::skipped;
            verdicts.push_back(std::move(v));
            break;
          }
          DurationStats d = duration_stats(values);
          double days = rule.quantile == "p90" ? d.p90 : rule.quantile == "mean" ? d.mean : d.median;
          v.value = fmt::format("{:.2f} days", days);
          v.detail = fmt::format("{} of {} leads", rule.quantile, d.count);
          judge(std::move(v), holds(days, rule.op, rule.threshold));
          break;
        }
      }
    }
    if (!baseline) continue;
    auto it = baseline->find(seg.label);
    if (it == baseline->end()) continue;
    const auto& saved = it->second;
    if (saved.size() != stages.size()) {
      throw Error(ExitCode::schema, fmt::format("{}: the baseline has {} stages, this report {}", options.baseline,
                                                saved.size(), stages.size()));
    }
    for (std::size_t k = 0; k < stages.size(); ++k) {
      if (saved[k].name != stages[k].name) {
        throw Error(ExitCode::schema, fmt::format("{}: baseline stage {} is '{}', this report's is '{}'", options.baseline,
                                                  k + 1, saved[k].name, stages[k].name));
      }
    }
    for (std::size_t k = 1; k < stages.size(); ++k) {
      std::uint64_t x0 = saved[k].reached, n0 = saved[k - 1].reached;
      std::uint64_t x1 = seg.stages[k].reached, n1 = seg.stages[k - 1].reached;
      Verdict v{fmt::format("{}->{} vs baseline (max drop {})", stages[k - 1].name, stages[k].name, options.max_drop),
                seg.label, Verdict::Status::pass, "", ""};
      if (n0 == 0 || n1 == 0) {
        v.value = "-";
        v.detail = "no leads to compare";
        v.status = Verdict::Status::skipped;
        verdicts.push_back(std::move(v));
        continue;
      }
      double p0 = static_cast<double>(x0) / static_cast<double>(n0);
      double p1 = static_cast<double>(x1) / static_cast<double>(n1);
      double drop = p0 - p1;
      double allowed = max_drop.relative ? max_drop.amount * p0 : max_drop.amount;
      v.value = percent(p1);
      double change = (p1 - p0) * 100;
      v.detail = fmt::format("baseline {} ({}/{}), now {}/{}: {:+.1f}pp", percent(p0), x0, n0, x1, n1,
                             std::fabs(change) < 0.05 ? 0.0 : change);
      bool pass = drop <= allowed + 1e-12;
      if (!pass && options.significance > 0) {
        auto z = two_proportion_z(x0, n0, x1, n1);
        double p = z ? upper_p(*z) : 1.0;
        v.detail += fmt::format("; p={:.3f}", p);
        if (p >= options.significance) {
          pass = true;
          v.detail += fmt::format(", not significant at {:g}", options.significance);
        }
      }
      judge(std::move(v), pass);
    }
  }
  return verdicts;
}

CheckFormat parse_check_format(std::string_view name) {
  if (name == "text" || name == "table") return CheckFormat::text;
  if (name == "junit") return CheckFormat::junit;
  if (name == "json") return CheckFormat::json;
  throw Error(ExitCode::usage, fmt::format("unknown --format '{}' (text, junit, json){}", name,
                                           did_you_mean(name, {"text", "junit", "json"})));
}

namespace {

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 has no place for other control characters.
        out += static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' ? '?' : c;
    }
  }
  return out;
}

const char* status_text(Verdict::Status s) {
  switch (s) {
    case Verdict::Status::pass: return "pass";
    case Verdict::Status::fail: return "fail";
    case Verdict::Status::skipped: return "skipped";
  }
  return "";
}

}  // namespace

void render_verdicts(const std::vector<Verdict>& verdicts, CheckFormat format, std::ostream& out) {
  std::size_t failed = 0, skipped = 0;
  for (const auto& v : verdicts) {
    failed += v.status == Verdict::Status::fail;
    skipped += v.status == Verdict::Status::skipped;
  }
  switch (format) {
    case CheckFormat::text: {
      std::size_t rule_width = 4, segment_width = 7;
      for (const auto& v : verdicts) {
        rule_width = std::max(rule_width, terminal_safe(v.rule).size());
        segment_width = std::max(segment_width, terminal_safe(v.segment).size());
      }
      for (const auto& v : verdicts) {
        const char* mark = v.status == Verdict::Status::pass ? "PASS" : v.status == Verdict::Status::fail ? "FAIL" : "SKIP";
        out << fmt::format("{}  {:<{}}  {:<{}}  {:>10}  {}\n", mark, terminal_safe(v.rule), rule_width,
                           terminal_safe(v.segment), segment_width, v.value, v.detail);
      }
      out << fmt::format("funnel check: {} of {} checks failed{}\n", failed, verdicts.size(),
                         skipped ? fmt::format(", {} skipped", skipped) : "");
      break;
    }
    case CheckFormat::junit:
      out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
      out << fmt::format("<testsuites name=\"funnel check\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">\n", verdicts.size(),
                         failed, skipped);
      out << fmt::format("  <testsuite name=\"funnel check\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">\n",
                         verdicts.size(), failed, skipped);
      for (const auto& v : verdicts) {
        out << fmt::format("    <testcase classname=\"funnel.{}\" name=\"{}\"", xml_escape(v.segment), xml_escape(v.rule));
        if (v.status == Verdict::Status::pass) {
          out << "/>\n";
          continue;
        }
        out << ">\n";
        if (v.status == Verdict::Status::fail) {
          out << fmt::format("      <failure message=\"{}: {}\">{}</failure>\n", xml_escape(v.rule), xml_escape(v.value),
                             xml_escape(v.detail));
        } else {
          out << fmt::format("      <skipped message=\"{}\"/>\n", xml_escape(v.detail));
        }
        out << "    </testcase>\n";
      }
      out << "  </testsuite>\n</testsuites>\n";
      break;
    case CheckFormat::json:
      out << "{\"schema_version\": " << kSchemaVersion << ", \"checks\": " << verdicts.size() << ", \"failed\": " << failed
          << ", \"skipped\": " << skipped << ", \"results\": [";
      for (std::size_t i = 0; i < verdicts.size(); ++i) {
        const auto& v = verdicts[i];
        out << (i ? ",\n  " : "\n  ") << "{\"rule\": " << json_quote(v.rule) << ", \"segment\": " << json_quote(v.segment)
            << ", \"status\": " << json_quote(status_text(v.status)) << ", \"value\": " << json_quote(v.value)
            << ", \"detail\": " << json_quote(v.detail) << "}";
      }
      out << (verdicts.empty() ? "]}\n" : "\n]}\n");
      break;
  }
}

// ---- Reading saved JSON reports back -------------------------------------------------

namespace {

/// Just enough JSON to read a funnel report: objects, arrays, strings, numbers, literals.
struct Json {
  enum class Kind { null, boolean, number, string, array, object } kind = Kind::null;
  double number = 0;
  std::string text;
  std::vector<Json> items;
  // Two vectors, not one of pairs: std::vector (unlike std::pair) may hold an incomplete type.
  std::vector<std::string> keys;
  std::vector<Json> values;

  const Json* get(std::string_view key) const {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) return &values[i];
    }
    return nullptr;
  }
};

class JsonParser {
 public:
  JsonParser(std::string_view text, const std::string& file) : s_(text), file_(file) {}

  Json document() {
    Json value = parse_value(0);
    skip_space();
    if (pos_ != s_.size()) fail("text after the JSON value");
    return value;
  }

 private:
  [[noreturn]] void fail(std::string_view what) const {
    std::size_t line = 1 + static_cast<std::size_t>(std::count(s_.begin(), s_.begin() + static_cast<std::ptrdiff_t>(std::min(pos_, s_.size())), '\n'));
    throw Error(ExitCode::bad_value, fmt::format("{}:{}: not a funnel JSON report: {}", file_, line, what));
  }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t')) ++pos_;
  }
  bool take(char c) {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::string parse_string() {
    if (!take('"')) fail("expected a string");
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) break;
      char e = s_[pos_++];
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          if (pos_ + 4 > s_.size()) fail("cut \\u escape");
          unsigned code = 0;
          auto [p, ec] = std::from_chars(s_.data() + pos_, s_.data() + pos_ + 4, code, 16);
          if (ec != std::errc() || p != s_.data() + pos_ + 4) fail("bad \\u escape");
          pos_ += 4;
          // Reports escape only control bytes; other code points are kept as UTF-8.
          if (code < 0x80) {
            out += static_cast<char>(code);
          } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
          } else {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
          }
          break;
        }
        default: out += e;
      }
    }
    if (pos_ >= s_.size()) fail("unterminated string");
    ++pos_;
    return out;
  }
  Json parse_value(int depth) {
    if (depth > 64) fail("nested too deeply");
    skip_space();
    if (pos_ >= s_.size()) fail("unexpected end");
    Json v;
    char c = s_[pos_];
    if (c == '{') {
      ++pos_;
      v.kind = Json::Kind::object;
      if (take('}')) return v;
      do {
        skip_space();
        std::string key = parse_string();
        if (!take(':')) fail("expected ':'");
        v.keys.push_back(std::move(key));
        v.values.push_back(parse_value(depth + 1));
      } while (take(','));
      if (!take('}')) fail("expected ',' or '}'");
    } else if (c == '[') {
      ++pos_;
      v.kind = Json::Kind::array;
      if (take(']')) return v;
      do {
        v.items.push_back(parse_value(depth + 1));
      } while (take(','));
      if (!take(']')) fail("expected ',' or ']'");
    } else if (c == '"') {
      v.kind = Json::Kind::string;
      v.text = parse_string();
    } else if (s_.substr(pos_, 4) == "null") {
      pos_ += 4;
    } else if (s_.substr(pos_, 4) == "true" || s_.substr(pos_, 5) == "false") {
      v.kind = Json::Kind::boolean;
      v.number = s_[pos_] == 't';
      pos_ += s_[pos_] == 't' ? 4u : 5u;
    } else {
      std::size_t end = pos_;
      while (end < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[end])) || std::strchr("+-.eE", s_[end]) != nullptr)) ++end;
      auto number = parse_number(s_.substr(pos_, end - pos_));
      if (end == pos_ || !number) fail("expected a value");
      v.kind = Json::Kind::number;
      v.number = *number;
      pos_ = end;
    }
    return v;
  }

  std::string_view s_;
  const std::string& file_;
  std::size_t pos_ = 0;
};

}  // namespace

SavedReport read_saved_report(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ExitCode::io, fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  Json doc = JsonParser(text, path).document();
  auto bad = [&](std::string_view what) {
    return Error(ExitCode::bad_value, fmt::format("{}: not a funnel JSON report: {} (write one with funnel report -f json)", path, what));
  };
  const Json* version = doc.get("schema_version");
  if (version == nullptr || version->kind != Json::Kind::number) throw bad("no schema_version");
  if (version->number > kSchemaVersion) {
    throw bad(fmt::format("schema_version {} is newer than this funnel's {}", version->number, kSchemaVersion));
  }
  const Json* segments = doc.get("segments");
  if (segments == nullptr || segments->kind != Json::Kind::array) throw bad("no segments");
  SavedReport out;
  for (const Json& seg : segments->items) {
    const Json* label = seg.get("segment");
    const Json* stages = seg.get("stages");
    if (label == nullptr || label->kind != Json::Kind::string || stages == nullptr || stages->kind != Json::Kind::array) {
      throw bad("a segment without a label or stages");
    }
    std::vector<SavedStage> list;
    for (const Json& st : stages->items) {
      const Json* name = st.get("stage");
      const Json* reached = st.get("reached");
      if (name == nullptr || name->kind != Json::Kind::string || reached == nullptr || reached->kind != Json::Kind::number ||
          reached->number < 0) {
        throw bad("a stage without a name or reached count");
      }
      list.push_back({name->text, static_cast<std::uint64_t>(reached->number)});
    }
    out[label->text] = std::move(list);
  }
  if (out.find("(all)") == out.end()) throw bad("no (all) segment");
  return out;
}

void render_diff(const SavedReport& a, const SavedReport& b, double significance, const std::string& format,
                 std::ostream& out) {
  struct Row {
    std::string segment, stage;
    std::uint64_t reached_a, reached_b;
    std::optional<double> rate_a, rate_b, p;
  };
  std::vector<Row> rows;
  for (const auto& [label, stages_a] : a) {
    auto it = b.find(label);
    if (it == b.end()) continue;
    const auto& stages_b = it->second;
    if (stages_a.size() != stages_b.size()) {
      throw Error(ExitCode::schema, fmt::format("segment {}: the reports have different stages", quote_cell(label)));
    }
    for (std::size_t k = 0; k < stages_a.size(); ++k) {
      if (stages_a[k].name != stages_b[k].name) {
        throw Error(ExitCode::schema, fmt::format("stage {} is '{}' in the first report and '{}' in the second", k + 1,
                                                  stages_a[k].name, stages_b[k].name));
      }
      Row row{label, stages_a[k].name, stages_a[k].reached, stages_b[k].reached, {}, {}, {}};
      if (k > 0) {
        std::uint64_t na = stages_a[k - 1].reached, nb = stages_b[k - 1].reached;
        if (na > 0) row.rate_a = static_cast<double>(row.reached_a) / static_cast<double>(na);
        if (nb > 0) row.rate_b = static_cast<double>(row.reached_b) / static_cast<double>(nb);
        if (auto z = two_proportion_z(row.reached_b, nb, row.reached_a, na)) row.p = two_sided_p(*z);
      }
      rows.push_back(row);
    }
  }
  // "(all)" first, as in reports.
  std::stable_sort(rows.begin(), rows.end(), [](const Row& x, const Row& y) { return x.segment == "(all)" && y.segment != "(all)"; });
  auto change = [](const Row& r) -> std::optional<double> {
    if (!r.rate_a || !r.rate_b) return std::nullopt;
    return (*r.rate_b - *r.rate_a) * 100;
  };
  auto significant = [&](const Row& r) { return r.p && *r.p < significance; };
  if (format == "csv") {
    out << "segment,stage,reached_a,reached_b,step_conversion_a,step_conversion_b,change_pp,p_value,significant\n";
    for (const Row& r : rows) {
      auto c = change(r);
      out << text_cell(r.segment, ',') << ',' << text_cell(r.stage, ',') << ',' << r.reached_a << ',' << r.reached_b << ','
          << format_rate(r.rate_a) << ',' << format_rate(r.rate_b) << ',' << (c ? fmt::format("{:.4f}", *c) : "") << ','
          << (r.p ? fmt::format("{:.6f}", *r.p) : "") << ',' << (significant(r) ? "true" : "false") << '\n';
    }
  } else if (format == "json") {
    out << "{\"schema_version\": " << kSchemaVersion << ", \"significance\": " << fmt::format("{:g}", significance)
        << ", \"stages\": [";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const Row& r = rows[i];
      auto c = change(r);
      auto num = [](const std::optional<double>& x, const char* f) { return x ? fmt::format(fmt::runtime(f), *x) : std::string("null"); };
      out << (i ? ",\n  " : "\n  ") << "{\"segment\": " << json_quote(r.segment) << ", \"stage\": " << json_quote(r.stage)
          << ", \"reached_a\": " << r.reached_a << ", \"reached_b\": " << r.reached_b
          << ", \"step_conversion_a\": " << num(r.rate_a, "{:.6f}") << ", \"step_conversion_b\": " << num(r.rate_b, "{:.6f}")
          << ", \"change_pp\": " << num(c, "{:.4f}") << ", \"p_value\": " << num(r.p, "{:.6f}")
          << ", \"significant\": " << (significant(r) ? "true" : "false") << "}";
    }
    out << (rows.empty() ? "]}\n" : "\n]}\n");
  } else if (format == "table") {
    std::size_t seg_w = 7, stage_w = 5;
    for (const Row& r : rows) {
      seg_w = std::max(seg_w, terminal_safe(r.segment).size());
      stage_w = std::max(stage_w, terminal_safe(r.stage).size());
    }
    out << fmt::format("{:<{}}  {:<{}}  {:>9}  {:>9}  {:>7}  {:>7}  {:>8}  {:>7}\n", "segment", seg_w, "stage", stage_w,
                       "reached A", "reached B", "step A", "step B", "change", "p");
    for (const Row& r : rows) {
      auto c = change(r);
      out << fmt::format("{:<{}}  {:<{}}  {:>9}  {:>9}  {:>7}  {:>7}  {:>8}  {:>7}{}\n", terminal_safe(r.segment), seg_w,
                         terminal_safe(r.stage), stage_w, r.reached_a, r.reached_b, format_percent(r.rate_a),
                         format_percent(r.rate_b), c ? fmt::format("{:+.1f}pp", *c) : "-",
                         r.p ? fmt::format("{:.3f}", *r.p) : "-", significant(r) ? "  *" : "");
    }
    out << fmt::format("* significant at {:g} (two-proportion test on the step conversion)\n", significance);
  } else {
    throw Error(ExitCode::usage, fmt::format("unknown --format '{}' (table, csv, json){}", format,
                                             did_you_mean(format, {"table", "csv", "json"})));
  }
}

}  // namespace funnel
