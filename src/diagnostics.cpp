#include "funnel/diagnostics.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

namespace funnel {

std::string where(const Location& at) {
  std::string out;
  if (!at.file.empty()) {
    out += at.file;
    if (at.line > 0) out += fmt::format(":{}", at.line);
    out += ": ";
  }
  if (!at.column.empty()) out += fmt::format("column '{}': ", at.column);
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      std::size_t cost = (a[i - 1] == b[j - 1]) ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  std::size_t best_distance = 0;
  for (const auto& candidate : candidates) {
    std::size_t d = edit_distance(word, candidate);
    if (best == nullptr || d < best_distance) {
      best = &candidate;
      best_distance = d;
    }
  }
  // Suggest only when the typo is small relative to the word (ninja uses a similar bound).
  if (best == nullptr || best_distance == 0 || best_distance > std::max<std::size_t>(1, word.size() / 3)) return {};
  return fmt::format(" (did you mean '{}'?)", *best);
}

std::string quote_cell(std::string_view value) {
  // A long value (a 1 MiB id) is cut to its first 80 bytes, at a UTF-8 character boundary.
  constexpr std::size_t kShown = 80;
  const std::size_t size = value.size();
  if (size > kShown) {
    std::size_t cut = kShown;
    while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
    value = value.substr(0, cut);
  }
  std::string out = "\"";
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  out += '"';
  if (size > value.size()) out += fmt::format("... ({} bytes)", size);
  return out;
}

void Diagnostics::warn(std::string_view message) {
  if (!quiet_) err_ << "funnel: warning: " << message << '\n';
}

}  // namespace funnel
