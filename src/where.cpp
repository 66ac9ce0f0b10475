#include "funnel/where.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "funnel/diagnostics.h"
#include "funnel/text.h"

namespace funnel {
namespace {

using Node = Where::Node;

enum class Tok { end, lparen, rparen, comma, op, word, string, name };

struct Token {
  Tok kind = Tok::end;
  std::string text;  ///< a word or an operator as written; a string or name unquoted
  std::size_t at = 0;
};

bool word_char(char c) {
  return !(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')' || c == ',' || c == '=' ||
           c == '!' || c == '<' || c == '>' || c == '\'' || c == '"' || c == '`');
}

/// "12", "-3.5", "1e3": a plain number (no grouping, no currency); nullopt otherwise.
std::optional<double> plain_number(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  std::string copy(text);
  char* end = nullptr;
  const double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !std::isfinite(v)) return std::nullopt;
  if (copy.find_first_of("xXpPnN") != std::string::npos) return std::nullopt;  // hex, inf, nan
  return v;
}

bool keyword(const Token& t, std::string_view word) { return t.kind == Tok::word && iequals_ascii(t.text, word); }

}  // namespace

/// Recursive descent over one --where text (the grammar is in man/funnel.1, --where).
class WhereParser {
 public:
  WhereParser(Where& where, std::string text, const Where::TimeReaderFn& read_time)
      : w_(where), text_(std::move(text)), read_time_(read_time) {
    next();
  }

  std::size_t parse() {
    const std::size_t root = parse_or();
    if (tok_.kind != Tok::end) fail(tok_.at, fmt::format("expected and, or or the end, found {}", shown(tok_)));
    return root;
  }

 private:
  Where& w_;
  std::string text_;
  const Where::TimeReaderFn& read_time_;
  std::size_t pos_ = 0;
  Token tok_;

  [[noreturn]] void fail(std::size_t at, const std::string& what) const {
    throw Error(ExitCode::usage, fmt::format("--where {}: column {}: {}", quote_cell(text_), at + 1, what));
  }

  static std::string shown(const Token& t) {
    switch (t.kind) {
      case Tok::end: return "the end";
      case Tok::string: return fmt::format("the text '{}'", t.text);
      case Tok::name: return fmt::format("the column `{}`", t.text);
      default: return fmt::format("'{}'", t.text);
    }
  }

  void next() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
    tok_ = Token{};
    tok_.at = pos_;
    if (pos_ >= text_.size()) return;
    const char c = text_[pos_];
    auto take = [&](Tok kind, std::size_t n) {
      tok_.kind = kind;
      tok_.text = text_.substr(pos_, n);
      pos_ += n;
    };
    if (c == '(') return take(Tok::lparen, 1);
    if (c == ')') return take(Tok::rparen, 1);
    if (c == ',') return take(Tok::comma, 1);
    if (c == '=' || c == '!' || c == '<' || c == '>') {
      const char d = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
      if ((c == '<' && (d == '=' || d == '>')) || (c == '>' && d == '=') || (c == '!' && d == '=') ||
          (c == '=' && d == '='))
        return take(Tok::op, 2);
      if (c == '!') fail(pos_, "'!' is not an operator: write != or not");
      return take(Tok::op, 1);
    }
    if (c == '\'' || c == '"' || c == '`') {
      // Quoted: a text ('...' or "...") or a column name (`...`); the quote doubled stands for itself.
      std::string value;
      std::size_t i = pos_ + 1;
      for (;; ++i) {
        if (i >= text_.size()) fail(pos_, fmt::format("the quote {} is never closed", c));
        if (text_[i] == c) {
          if (i + 1 < text_.size() && text_[i + 1] == c) {
            value += c;
            ++i;
            continue;
          }
          break;
        }
        value += text_[i];
      }
      tok_.kind = c == '`' ? Tok::name : Tok::string;
      tok_.text = std::move(value);
      pos_ = i + 1;
      return;
    }
    std::size_t end = pos_;
    while (end < text_.size() && word_char(text_[end])) ++end;
    take(Tok::word, end - pos_);
  }

  std::size_t add(Node node) {
    node.text = text_;
    w_.nodes_.push_back(std::move(node));
    return w_.nodes_.size() - 1;
  }

  std::size_t parse_or() {
    std::vector<std::size_t> parts{parse_and()};
    while (keyword(tok_, "or")) {
      next();
      parts.push_back(parse_and());
    }
    if (parts.size() == 1) return parts.front();
    Node node;
    node.kind = Node::Kind::any_of;
    node.children = std::move(parts);
    return add(std::move(node));
  }

  std::size_t parse_and() {
    std::vector<std::size_t> parts{parse_unary()};
    while (keyword(tok_, "and")) {
      next();
      parts.push_back(parse_unary());
    }
    if (parts.size() == 1) return parts.front();
    Node node;
    node.kind = Node::Kind::all_of;
    node.children = std::move(parts);
    return add(std::move(node));
  }

  std::size_t parse_unary() {
    if (keyword(tok_, "not")) {
      Node node;
      node.kind = Node::Kind::negate;
      node.at = tok_.at;
      next();
      node.children.push_back(parse_unary());
      return add(std::move(node));
    }
    if (tok_.kind == Tok::lparen) {
      const std::size_t open = tok_.at;
      next();
      const std::size_t inner = parse_or();
      if (tok_.kind != Tok::rparen)
        fail(tok_.at, fmt::format("expected ')' to close the '(' at column {}, found {}", open + 1, shown(tok_)));
      next();
      return inner;
    }
    return parse_predicate();
  }

  /// STAGE after "reached:" or "entered:": the rest of the word, or a quoted text after it.
  std::string stage_after(const Token& word, std::size_t prefix) {
    std::string stage = word.text.substr(prefix);
    if (stage.empty() && tok_.kind == Tok::string && tok_.at == word.at + word.text.size()) {
      stage = tok_.text;
      next();
    }
    if (stage.empty()) fail(word.at, fmt::format("'{}' wants a stage name after the colon", word.text));
    return stage;
  }

  std::size_t parse_predicate() {
    const Token first = tok_;
    Node node;
    node.at = first.at;
    if (first.kind == Tok::name) {
      node.operand = Node::Operand::column;
      node.column = column_index(first.text);
      next();
    } else if (first.kind == Tok::word) {
      const std::string lower = lower_ascii(first.text);
      next();
      if (lower.rfind("reached:", 0) == 0) {
        node.kind = Node::Kind::reached;
        node.stage = stage_after(first, 8);
        return add(std::move(node));
      }
      if (lower.rfind("entered:", 0) == 0) {
        node.operand = Node::Operand::entered_stage;
        node.stage = stage_after(first, 8);
      } else if (lower == "status") {
        node.operand = Node::Operand::status;
      } else if (lower == "amount") {
        node.operand = Node::Operand::amount;
        w_.uses_amount_ = true;
      } else if (lower == "entered") {
        node.operand = Node::Operand::entered;
      } else if (lower == "and" || lower == "or" || lower == "in") {
        fail(first.at,
             fmt::format("expected a column, status, amount, entered or reached:STAGE, found '{}'", first.text));
      } else {
        node.operand = Node::Operand::column;
        node.column = column_index(first.text);
      }
    } else {
      fail(first.at,
           fmt::format("expected a column, status, amount, entered or reached:STAGE, found {}", shown(first)));
    }
    const std::string operand_text = first.text;
    bool negated_in = false;
    if (keyword(tok_, "not")) {
      next();
      if (!keyword(tok_, "in")) fail(tok_.at, fmt::format("expected 'in' after 'not', found {}", shown(tok_)));
      negated_in = true;
    }
    if (keyword(tok_, "in")) {
      node.kind = Node::Kind::in;
      next();
      if (tok_.kind != Tok::lparen) fail(tok_.at, fmt::format("expected '(' after 'in', found {}", shown(tok_)));
      next();
      for (;;) {
        node.values.push_back(literal(node, operand_text, node.values.empty() ? "" : ","));
        if (tok_.kind == Tok::comma) {
          next();
          continue;
        }
        if (tok_.kind != Tok::rparen)
          fail(tok_.at, fmt::format("expected ',' or ')' in the list, found {}", shown(tok_)));
        next();
        break;
      }
    } else if (tok_.kind == Tok::op) {
      static constexpr std::pair<std::string_view, Node::Op> kOps[] = {
          {"=", Node::Op::eq}, {"==", Node::Op::eq}, {"!=", Node::Op::ne}, {"<>", Node::Op::ne},
          {"<", Node::Op::lt}, {"<=", Node::Op::le}, {">", Node::Op::gt},  {">=", Node::Op::ge}};
      for (const auto& [spelling, op] : kOps) {
        if (tok_.text == spelling) node.op = op;
      }
      if (node.operand == Node::Operand::status && node.op != Node::Op::eq && node.op != Node::Op::ne) {
        fail(tok_.at, fmt::format("status compares with =, != or in, not {}", tok_.text));
      }
      const std::string op_text = tok_.text;
      next();
      node.values.push_back(literal(node, operand_text, op_text));
    } else {
      fail(tok_.at,
           fmt::format("expected an operator (= != < <= > >= in) after '{}', found {}", operand_text, shown(tok_)));
    }
    std::size_t at = add(std::move(node));
    if (!negated_in) return at;
    Node negate;
    negate.kind = Node::Kind::negate;
    negate.children.push_back(at);
    return add(std::move(negate));
  }

  Where::Literal literal(const Node& node, const std::string& operand, const std::string& op = "") {
    // The operand is named too: "expected a value for origin after '='".
    const std::string after = fmt::format("for {} after {}", operand, op.empty() ? "'('" : "'" + op + "'");
    if (tok_.kind != Tok::word && tok_.kind != Tok::string) {
      fail(tok_.at, fmt::format("expected a value {}, found {}", after, shown(tok_)));
    }
    Where::Literal lit{tok_.text, plain_number(tok_.text), kNoTime, tok_.at};
    if (tok_.kind == Tok::word && (keyword(tok_, "and") || keyword(tok_, "or") || keyword(tok_, "not"))) {
      fail(tok_.at, fmt::format("expected a value {}, found '{}' (quote it to mean the text)", after, tok_.text));
    }
    switch (node.operand) {
      case Node::Operand::status: {
        static const std::vector<std::string> statuses{"won", "lost", "open", "stalled"};
        if (std::find(statuses.begin(), statuses.end(), lower_ascii(lit.text)) == statuses.end()) {
          fail(tok_.at, fmt::format("status is won, lost, open or stalled, not '{}'{}", lit.text,
                                    did_you_mean(lit.text, statuses)));
        }
        lit.text = lower_ascii(lit.text);
        break;
      }
      case Node::Operand::amount:
        if (!lit.number) fail(tok_.at, fmt::format("amount compares with a number, not '{}'", lit.text));
        break;
      case Node::Operand::entered:
      case Node::Operand::entered_stage: {
        std::optional<Timestamp> t = read_time_ ? read_time_(lit.text) : std::nullopt;
        if (!t) fail(tok_.at, fmt::format("{} compares with a date or time, not '{}'", operand, lit.text));
        lit.time = *t;
        break;
      }
      case Node::Operand::column: break;
    }
    next();
    return lit;
  }

  std::size_t column_index(const std::string& name) {
    auto it = std::find(w_.columns_.begin(), w_.columns_.end(), name);
    if (it != w_.columns_.end()) return static_cast<std::size_t>(it - w_.columns_.begin());
    w_.columns_.push_back(name);
    return w_.columns_.size() - 1;
  }
};

namespace {

/// The older form COLUMN=VALUE, '=' between them with no blank, with the value as written
/// (spaces, slashes and all), for a text the grammar does not read: "source=partner /
/// reseller". A value with parentheses, commas or a blank-separated and/or is an
/// expression that went wrong, never this form.
std::optional<std::pair<std::string, std::string>> column_equals(std::string_view text) {
  const std::size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 >= text.size()) return std::nullopt;
  if (text[eq - 1] == ' ' || text[eq + 1] == ' ' || text[eq - 1] == '!' || text[eq - 1] == '<' || text[eq - 1] == '>')
    return std::nullopt;
  if (text.find_first_of("(),") != std::string_view::npos) return std::nullopt;
  const std::string lower = lower_ascii(text);
  if (lower.find(" and ") != std::string::npos || lower.find(" or ") != std::string::npos) return std::nullopt;
  const std::string_view column = trim_space(text.substr(0, eq));
  const std::string_view value = trim_space(text.substr(eq + 1));
  if (column.empty() || value.empty() || value.front() == '=') return std::nullopt;
  for (std::string_view word : {"status", "amount", "entered"}) {
    if (column.size() == word.size() && iequals_ascii(column, word)) return std::nullopt;  // never a column here
  }
  if (column.find(':') != std::string_view::npos) return std::nullopt;  // reached:STAGE, entered:STAGE
  for (char c : column) {
    if (!word_char(c)) return std::nullopt;
  }
  if (value.find_first_of("'\"`") != std::string_view::npos) return std::nullopt;
  return std::pair{std::string(column), std::string(value)};
}

bool compare(Node::Op op, int c) {
  switch (op) {
    case Node::Op::eq: return c == 0;
    case Node::Op::ne: return c != 0;
    case Node::Op::lt: return c < 0;
    case Node::Op::le: return c <= 0;
    case Node::Op::gt: return c > 0;
    case Node::Op::ge: return c >= 0;
  }
  return false;
}

template <class T>
int three_way(T a, T b) {
  return a < b ? -1 : b < a ? 1 : 0;
}

}  // namespace

Where Where::parse(const std::vector<std::string>& texts, const TimeReaderFn& read_time) {
  Where where;
  for (const std::string& text : texts) {
    const Where before = where;
    try {
      WhereParser parser(where, text, read_time);
      where.roots_.push_back(parser.parse());
    } catch (const Error&) {
      auto old = column_equals(text);
      if (!old) throw;
      where = before;
      WhereParser parser(where, "`" + old->first + "` = '" + old->second + "'", read_time);
      // Rebuilt from parts that cannot fail to parse; the node keeps the text as written.
      where.roots_.push_back(parser.parse());
      for (std::size_t i = before.nodes_.size(); i < where.nodes_.size(); ++i) where.nodes_[i].text = text;
    }
  }
  return where;
}

void Where::bind_stages(const StageModel& model) {
  std::vector<std::string> names;
  for (const auto& s : model.stages()) names.push_back(s.name);
  for (Node& node : nodes_) {
    if (node.kind != Node::Kind::reached && node.operand != Node::Operand::entered_stage) continue;
    const StageRef ref = model.resolve(node.stage);
    if (ref.index < 0) {
      throw Error(ExitCode::usage,
                  fmt::format("--where {}: column {}: no stage named '{}' (stages: {}){}", quote_cell(node.text),
                              node.at + 1, node.stage, fmt::join(names, ", "), did_you_mean(node.stage, names)));
    }
    node.stage_index = ref.index;
  }
}

bool Where::matches(const LeadFacts& lead) const {
  for (std::size_t root : roots_) {
    if (!eval(root, lead)) return false;
  }
  return true;
}

bool Where::eval(std::size_t at, const LeadFacts& lead) const {
  const Node& node = nodes_[at];
  const LeadPath& path = *lead.path;
  switch (node.kind) {
    case Node::Kind::all_of:
      return std::all_of(node.children.begin(), node.children.end(), [&](std::size_t c) { return eval(c, lead); });
    case Node::Kind::any_of:
      return std::any_of(node.children.begin(), node.children.end(), [&](std::size_t c) { return eval(c, lead); });
    case Node::Kind::negate: return !eval(node.children.front(), lead);
    case Node::Kind::reached: return node.stage_index >= 0 && path.furthest >= node.stage_index;
    case Node::Kind::compare:
    case Node::Kind::in: break;
  }
  // One comparison per value: `in` is any of them with =.
  auto one = [&](const Literal& lit, Node::Op op) -> bool {
    switch (node.operand) {
      case Node::Operand::status: return compare(op, status_name(path.status) == lit.text ? 0 : 1);
      case Node::Operand::amount:
        if (std::isnan(lead.amount)) return false;  // no amount: no comparison holds
        return compare(op, three_way(lead.amount, *lit.number));
      case Node::Operand::entered:
      case Node::Operand::entered_stage: {
        const Timestamp t = node.operand == Node::Operand::entered                       ? path.entry
                            : node.stage_index >= 0 && node.stage_index <= path.furthest ? path.first[node.stage_index]
                                                                                         : kNoTime;
        if (t == kNoTime) return false;  // no time: no comparison holds
        return compare(op, three_way(t, lit.time));
      }
      case Node::Operand::column: {
        const std::string_view value = node.column < lead.values.size() ? lead.values[node.column] : "";
        if (op == Node::Op::eq || op == Node::Op::ne) return compare(op, value == lit.text ? 0 : 1);
        if (lit.number) {  // a number written: compared as numbers; a cell that is none fails
          const std::optional<double> v = plain_number(trim_space(value));
          return v && compare(op, three_way(*v, *lit.number));
        }
        return compare(op, value.compare(lit.text));
      }
    }
    return false;
  };
  if (node.kind == Node::Kind::in) {
    return std::any_of(node.values.begin(), node.values.end(), [&](const Literal& l) { return one(l, Node::Op::eq); });
  }
  return one(node.values.front(), node.op);
}

}  // namespace funnel
