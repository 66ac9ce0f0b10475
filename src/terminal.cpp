#include "funnel/terminal.h"

#include <cctype>
#include <charconv>
#include <string>
#include <string_view>

#include <sys/ioctl.h>
#include <unistd.h>

namespace funnel {

std::size_t terminal_columns(int fd) {
  if (::isatty(fd) != 1) return 0;
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) != 0) return 0;
  return size.ws_col;
}

std::size_t table_width(std::size_t columns, const char* columns_env) {
  if (columns > 0) return columns;
  if (columns_env == nullptr) return 0;
  std::string_view text(columns_env);
  std::size_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0) return 0;
  return value;
}

bool utf8_locale(const char* lc_all, const char* lc_ctype, const char* lang) {
  for (const char* name : {lc_all, lc_ctype, lang}) {
    if (name == nullptr || *name == '\0') continue;
    std::string lower;
    for (const char* c = name; *c != '\0'; ++c) {
      if (*c != '-') lower += static_cast<char>(std::tolower(static_cast<unsigned char>(*c)));
    }
    return lower.find("utf8") != std::string::npos;
  }
  return false;
}

}  // namespace funnel
