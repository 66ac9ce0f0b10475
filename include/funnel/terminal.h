// The terminal a table is printed to: its width and whether it shows UTF-8.
#pragma once

#include <cstddef>

namespace funnel {

/// Columns of the terminal on `fd` (ioctl TIOCGWINSZ); 0 when `fd` is not a terminal or
/// does not say.
std::size_t terminal_columns(int fd);

/// The width a text table must fit: the terminal's `columns` when stdout is one, else the
/// COLUMNS value `columns_env` (a positive number; anything else is ignored), else 0: no
/// limit, the full layout (pipes and files keep the layout scripts and golden files expect).
std::size_t table_width(std::size_t columns, const char* columns_env);

/// Whether the locale's character set is UTF-8: the first set and non-empty of LC_ALL,
/// LC_CTYPE and LANG names UTF-8 (or utf8). None set is the C locale: not UTF-8.
bool utf8_locale(const char* lc_all, const char* lc_ctype, const char* lang);

}  // namespace funnel
