#include "funnel/format.h"

#include <fmt/format.h>

#include "funnel/diagnostics.h"

namespace funnel {

std::string format_list(const std::vector<std::string>& names) { return fmt::format("{}", fmt::join(names, ", ")); }

void unknown_format(std::string_view given, const std::vector<std::string>& listed) {
  throw Error(ExitCode::usage,
              fmt::format("unknown --format '{}' ({}){}", given, format_list(listed), did_you_mean(given, listed)));
}

}  // namespace funnel
