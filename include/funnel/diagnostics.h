// Exit codes, the one error type, and the warning sink. Data problems travel as
// funnel::Error values carrying their exit code; main() turns them into a message.
#pragma once

#include <cstdint>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace funnel {

/// Every way funnel can end, mirrored in man/funnel.1 EXIT STATUS.
enum class ExitCode : int {
  ok = 0,
  rule_failed = 1,    ///< reserved for `funnel check`
  usage = 2,          ///< bad command line or config file
  io = 3,             ///< cannot open, read or write a file
  malformed_csv = 4,  ///< a record breaks the CSV rules (quotes, field count, NUL, UTF-8)
  bad_value =
      5,  ///< a cell cannot be read (timestamp; a placeholder under --strict-cells) or a stage is unknown under --strict-stages
  schema = 6,         ///< required columns missing or ambiguous, shape cannot be detected
  no_data = 7,        ///< empty input, header only, or no lead reached any stage
  out_of_memory = 8,  ///< the input needs more memory than the process may use
  internal = 70,      ///< a bug in funnel
};

/// The exception that carries a user-facing message and its exit code.
class Error : public std::runtime_error {
 public:
  Error(ExitCode code, std::string message) : std::runtime_error(std::move(message)), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

/// Where a cell lives in the input, for messages: "file:line: column 'x'".
struct Location {
  std::string_view file;
  std::uint64_t line = 0;
  std::string_view column;  ///< header name, empty when unknown
};

/// "file:line: column 'name': " (parts omitted when unknown).
std::string where(const Location& at);

/// " (did you mean 'x'?)" for the closest candidate, or empty when nothing is close.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

/// Levenshtein distance, used for suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// Quotes a value for a message, escaping control bytes so a terminal is never driven by data;
/// a value longer than 80 bytes is cut there and followed by `... (N bytes)`.
std::string quote_cell(std::string_view value);

/// Warnings go to stderr, prefixed "funnel: ", unless --quiet.
class Diagnostics {
 public:
  Diagnostics(std::ostream& err, bool quiet) : err_(err), quiet_(quiet) {}
  void warn(std::string_view message);
  bool quiet() const { return quiet_; }

 private:
  std::ostream& err_;
  bool quiet_;
};

}  // namespace funnel
