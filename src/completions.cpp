#include "funnel/completions.h"

#include <CLI/CLI.hpp>

namespace funnel {

std::string completion_script(const CLI::App&, std::string_view) { return "# not implemented yet\n"; }

}  // namespace funnel
