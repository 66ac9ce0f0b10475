// A subcommand as the command table in cli.cpp sees it: a name, a help line, a setup that
// defines its CLI11 options, and a run. Each subcommand lives in src/commands/NAME.cpp.
#pragma once

#include <memory>
#include <span>

#include "funnel/cli.h"

namespace CLI {
class App;
}

namespace funnel::commands {

/// A command's options: its setup binds them to the CLI11 subcommand, and after parsing its
/// run reads them. Each command derives its own struct from this.
struct Options {
  virtual ~Options() = default;
};

/// Defines the command's options and positionals on `app` (its CLI11 subcommand) and
/// returns the struct they are written into.
using Setup = std::unique_ptr<Options> (*)(CLI::App& app);

/// Runs the parsed command: `app` is its subcommand, `options` what its setup returned.
/// Returns the exit code; throws funnel::Error, which run() turns into a message.
using Run = int (*)(CLI::App& app, Options& options, Streams& streams);

struct Command {
  const char* name;
  const char* help;  ///< the line `funnel --help` shows
  Setup setup;
  Run run;
};

/// Every subcommand, in the order `funnel --help` lists them.
std::span<const Command> command_table();

}  // namespace funnel::commands
