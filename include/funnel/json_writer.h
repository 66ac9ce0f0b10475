// One streaming JSON writer for every JSON output: it escapes strings, formats numbers,
// places commas and keeps the two layouts funnel's outputs use, so each output is written
// in the order its fields appear and never held as a tree.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace funnel {

/// A JSON string literal of `text`: quotes, backslashes and control bytes escaped
/// (\n, \r, \t by name, the rest as \u00XX); every other byte, UTF-8 included, as it is.
std::string json_quote(std::string_view text);

/// Writes one JSON value to a stream as it is built:
///
///     JsonWriter w(out);
///     w.begin_object(JsonWriter::lines);          // {
///     w.member("schema_version", 1);              //   "schema_version": 1,
///     w.key("stages").begin_array();              //   "stages": [
///     w.begin_object().member("name", "lead").end_object();  // {"name": "lead"}
///     w.end_array().end_object().finish();        //   ]\n}\n
///
/// Layouts: `inline_` puts members on one line (`{"a": 1, "b": 2}`); `lines` puts each
/// member on a line of its own, indented two spaces deeper than the line the container
/// opened on, and the closing bracket on a line at that line's indent (an empty container
/// is `[]` or `{}`). `block` is `lines` whose closing bracket takes a line of its own even
/// when the container is empty (`[\n  ]`), as cohorts and trend JSON have always written
/// it. In an inline container, `break_line(extra)` puts the next member on a new line,
/// `extra` columns deeper than the line the container opened on (inspect's long objects).
/// Numbers that are NaN or infinite are written as `null`:
/// JSON has no spelling for them, and a reader then sees "no value" rather than a parse
/// error. Misuse (a value where a key is due, closing the wrong container) throws
/// funnel::Error(ExitCode::internal).
class JsonWriter {
 public:
  enum Layout { inline_, lines, block };

  explicit JsonWriter(std::ostream& out) : out_(out) {}

  JsonWriter& begin_object(Layout layout = inline_);
  JsonWriter& end_object();
  JsonWriter& begin_array(Layout layout = inline_);
  JsonWriter& end_array();
  /// The key of the next member of the open object.
  JsonWriter& key(std::string_view name);
  /// The next member (or element) of the open inline container starts a new line indented
  /// `extra` columns deeper than the line the container opened on, instead of after ", ".
  JsonWriter& break_line(int extra);

  JsonWriter& string(std::string_view text);
  /// A string, or null when `text` is empty or absent.
  JsonWriter& string_or_null(const std::optional<std::string>& text);
  JsonWriter& null();
  JsonWriter& boolean(bool value);
  template <std::integral T>
  requires(!std::same_as<T, bool>) JsonWriter& integer(T value) { return raw(std::to_string(value)); }
  /// A number with `decimals` fixed decimals ("0.500000"); null when not finite.
  JsonWriter& fixed(double value, int decimals);
  /// A number or null.
  JsonWriter& fixed(const std::optional<double>& value, int decimals);
  /// A number in its shortest form ("30", "0.05", "1e+300"); null when not finite.
  JsonWriter& general(double value);

  /// Key and value in one call.
  JsonWriter& member(std::string_view name, std::string_view text) { return key(name).string(text); }
  JsonWriter& member(std::string_view name, const char* text) { return key(name).string(text); }
  JsonWriter& member(std::string_view name, bool value) { return key(name).boolean(value); }
  template <std::integral T>
  requires(!std::same_as<T, bool>) JsonWriter& member(std::string_view name, T value) {
    return key(name).integer(value);
  }

  /// Ends the document: a final newline. Throws when a container is still open.
  void finish();
  /// True when nothing is open (before the first value or after the last closing bracket).
  bool done() const { return stack_.empty(); }

 private:
  struct Frame {
    bool object;
    Layout layout;
    int indent;  ///< indent of the line the container opened on
    bool empty = true;
    bool want_value = false;  ///< objects: a key was written, its value is due
    int break_extra = -1;     ///< inline: the next member's extra indent on a new line (break_line)
  };
  JsonWriter& raw(std::string_view text);
  void before_value();
  void separate(Frame& f);
  JsonWriter& open(bool object, Layout layout);
  JsonWriter& close(bool object);
  void newline(int indent);

  std::ostream& out_;
  std::vector<Frame> stack_;
  int line_indent_ = 0;
  bool wrote_top_ = false;
};

}  // namespace funnel
