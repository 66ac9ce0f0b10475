// funnel completions: a shell completion script for the whole program.
#include <CLI/CLI.hpp>

#include "funnel/commands/command.h"
#include "funnel/completions.h"
#include "funnel/output.h"

namespace funnel::commands {
namespace {

struct CompletionsCommand : Options {
  std::string shell;  ///< bash, zsh or fish
};

}  // namespace

std::unique_ptr<Options> setup_completions(CLI::App& app) {
  auto o = std::make_unique<CompletionsCommand>();
  app.add_option("shell", o->shell, "bash, zsh or fish")->required();
  return o;
}

/// The script covers the program `app` belongs to: run() sets up every command's options
/// when this one is chosen.
int run_completions(CLI::App& app, Options& options, Streams& streams) {
  auto& o = static_cast<CompletionsCommand&>(options);
  write_stdout(streams.out, completion_script(*app.get_parent(), o.shell), false);
  return 0;
}

}  // namespace funnel::commands
