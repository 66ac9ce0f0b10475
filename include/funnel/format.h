// The one --format parser: every command lists the names it accepts, and a name it does not
// know is refused with one message, "unknown --format 'x' (a, b, c)" and a suggestion.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace funnel {

/// One name a command's --format accepts and what it selects. An alias ("md" for markdown)
/// is accepted but left out of the help line, the error message and its suggestions.
template <class T>
struct FormatChoice {
  std::string_view name;
  T value;
  bool alias = false;
};

/// Throws funnel::Error(ExitCode::usage): "unknown --format 'given' (a, b, c)", with a
/// suggestion among `listed` when one is close.
[[noreturn]] void unknown_format(std::string_view given, const std::vector<std::string>& listed);

/// The names of `choices` that are not aliases, in order.
template <class T>
std::vector<std::string> format_names(std::span<const FormatChoice<T>> choices) {
  std::vector<std::string> names;
  for (const auto& c : choices) {
    if (!c.alias) names.emplace_back(c.name);
  }
  return names;
}

/// "a, b, c": the names of `choices` as the help line of --format lists them.
std::string format_list(const std::vector<std::string>& names);

/// What `given` selects among `choices` (exact names); throws as unknown_format.
template <class T>
T parse_format(std::string_view given, std::span<const FormatChoice<T>> choices) {
  for (const auto& c : choices) {
    if (c.name == given) return c.value;
  }
  unknown_format(given, format_names(choices));
}

template <class T, std::size_t N>
T parse_format(std::string_view given, const FormatChoice<T> (&choices)[N]) {
  return parse_format(given, std::span<const FormatChoice<T>>(choices));
}

}  // namespace funnel
