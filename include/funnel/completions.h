// Shell completion scripts generated from the CLI11 definition, so they never drift from
// the options funnel accepts.
#pragma once

#include <string>
#include <string_view>

namespace CLI {
class App;
}

namespace funnel {

/// The completion script for `shell` ("bash", "zsh" or "fish") covering every subcommand
/// and option of `app`. Throws funnel::Error(ExitCode::usage) for another shell.
std::string completion_script(const CLI::App& app, std::string_view shell);

}  // namespace funnel
