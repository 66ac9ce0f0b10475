// Small ASCII text helpers shared by every module: blanks around a value, letter case.
// Bytes from 0x80 up are never blanks or letters here, so UTF-8 text passes through as is.
#pragma once

#include <string>
#include <string_view>

namespace funnel {

/// A space or a tab: the blanks around a cell value.
constexpr bool is_blank(char c) { return c == ' ' || c == '\t'; }

/// ASCII white space, as std::isspace in the C locale: space, \t, \n, \v, \f, \r.
constexpr bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/// A cell without the spaces and tabs around it.
inline std::string_view trim_blanks(std::string_view s) {
  // Most cells have no blank at either end: one test each, kept inline.
  if (s.empty() || (static_cast<unsigned char>(s.front()) > ' ' && static_cast<unsigned char>(s.back()) > ' '))
    return s;
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

/// `s` without the ASCII white space around it (line breaks too: for option values and rules).
constexpr std::string_view trim_space(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

/// `c` with A-Z made a-z; every other byte as it is.
constexpr char to_lower_ascii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

/// `s` with A-Z made a-z.
inline std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower_ascii(c);
  return out;
}

/// Whether `s` equals `lower` (written in lower case) but for the case of ASCII letters.
constexpr bool iequals_ascii(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (to_lower_ascii(s[i]) != lower[i]) return false;
  }
  return true;
}

/// Text for XML, SVG and HTML content and attributes: & < > " ' escaped; control bytes that
/// XML 1.0 has no place for (all below 0x20 but tab and line feed, and DEL) as '?'.
inline std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: {
        const auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 && c != '\t' && c != '\n') || u == 0x7f ? '?' : c;
      }
    }
  }
  return out;
}

}  // namespace funnel
