// The command line: the one run() that main() and the tests call. It dispatches through the
// command table (src/cli.cpp) to the subcommands in src/commands/.
#pragma once

#include <cstddef>
#include <istream>
#include <ostream>

namespace funnel {

/// Where a run reads and writes. `in` null means the process's fd 0 (fastest for pipes).
struct Streams {
  std::istream* in = nullptr;
  std::ostream& out;
  std::ostream& err;
  bool out_is_terminal = false;
  bool no_color = false;         ///< NO_COLOR is set
  bool err_is_terminal = false;  ///< stderr is a terminal: long runs show progress there
  std::size_t columns = 0;       ///< the terminal's width when stdout is one (tables fit it)
};

/// Parses the arguments, runs the subcommand and returns the process exit code. Every
/// funnel::Error and CLI11 parse error is turned into a message on `err` here.
int run(int argc, const char* const* argv, Streams& streams);

}  // namespace funnel
