#include "funnel/json_writer.h"

#include <cmath>

#include <fmt/format.h>

#include "funnel/diagnostics.h"

namespace funnel {

std::string json_quote(std::string_view text) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

namespace {

[[noreturn]] void misuse(std::string_view what) {
  throw Error(ExitCode::internal, fmt::format("JSON writer: {}", what));
}

}  // namespace

void JsonWriter::newline(int indent) {
  out_ << '\n' << std::string(static_cast<std::size_t>(indent), ' ');
  line_indent_ = indent;
}

void JsonWriter::before_value() {
  if (stack_.empty()) {
    if (wrote_top_) misuse("a second top-level value");
    wrote_top_ = true;
    return;
  }
  Frame& f = stack_.back();
  if (f.object) {
    if (!f.want_value) misuse("a value where a key is due");
    f.want_value = false;
    return;
  }
  separate(f);
}

void JsonWriter::separate(Frame& f) {
  if (!f.empty) out_ << ',';
  if (f.layout != inline_) {
    newline(f.indent + 2);
  } else if (f.break_extra >= 0) {
    newline(f.indent + f.break_extra);
  } else if (!f.empty) {
    out_ << ' ';
  }
  f.empty = false;
  f.break_extra = -1;
}

JsonWriter& JsonWriter::break_line(int extra) {
  if (stack_.empty() || stack_.back().layout != inline_) misuse("a line break outside an inline container");
  if (extra < 0) misuse("a line break with a negative indent");
  Frame& f = stack_.back();
  if (f.want_value) misuse("a line break where a value is due");
  f.break_extra = extra;
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  if (stack_.empty() || !stack_.back().object) misuse("a key outside an object");
  Frame& f = stack_.back();
  if (f.want_value) misuse("a key where a value is due");
  separate(f);
  f.want_value = true;
  out_ << json_quote(name) << ": ";
  return *this;
}

JsonWriter& JsonWriter::open(bool object, Layout layout) {
  before_value();
  out_ << (object ? '{' : '[');
  stack_.push_back({object, layout, line_indent_});
  return *this;
}

JsonWriter& JsonWriter::close(bool object) {
  if (stack_.empty() || stack_.back().object != object) misuse(object ? "no object to close" : "no array to close");
  Frame f = stack_.back();
  if (f.want_value) misuse("a key without a value");
  if (f.break_extra >= 0) misuse("a line break before a closing bracket");
  stack_.pop_back();
  if ((f.layout == lines && !f.empty) || f.layout == block) newline(f.indent);
  out_ << (object ? '}' : ']');
  return *this;
}

JsonWriter& JsonWriter::begin_object(Layout layout) { return open(true, layout); }
JsonWriter& JsonWriter::end_object() { return close(true); }
JsonWriter& JsonWriter::begin_array(Layout layout) { return open(false, layout); }
JsonWriter& JsonWriter::end_array() { return close(false); }

JsonWriter& JsonWriter::raw(std::string_view text) {
  before_value();
  out_ << text;
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view text) { return raw(json_quote(text)); }

JsonWriter& JsonWriter::string_or_null(const std::optional<std::string>& text) {
  return text && !text->empty() ? string(*text) : null();
}

JsonWriter& JsonWriter::null() { return raw("null"); }

JsonWriter& JsonWriter::boolean(bool value) { return raw(value ? "true" : "false"); }

JsonWriter& JsonWriter::fixed(double value, int decimals) {
  if (!std::isfinite(value)) return null();
  return raw(fmt::format("{:.{}f}", value, decimals));
}

JsonWriter& JsonWriter::fixed(const std::optional<double>& value, int decimals) {
  return value ? fixed(*value, decimals) : null();
}

JsonWriter& JsonWriter::general(double value) {
  if (!std::isfinite(value)) return null();
  return raw(fmt::format("{:g}", value));
}

void JsonWriter::finish() {
  if (!stack_.empty()) misuse("finish() with a container still open");
  if (!wrote_top_) misuse("finish() before any value");
  out_ << '\n';
}

}  // namespace funnel
