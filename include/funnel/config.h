// --config FILE: options from a TOML file, read by toml++ (strict TOML 1.0: every syntax
// error, a table or key given twice, stops with FILE:LINE).
#pragma once

#include <string>
#include <vector>

namespace funnel {

/// One option from the file: its key (a long option name), its values as text (one for a
/// scalar, one per element for an array) and where it was given ("FILE:LINE").
struct ConfigEntry {
  std::string key;
  std::vector<std::string> values;
  std::string where;
};

/// Reads the config file `path` for the subcommand `command`: the keys at the top level and
/// in the table [command]; tables named after one of `commands` (the other subcommands) are
/// checked for syntax only. Every key must be one of `keys` (the long option names the
/// command takes, without "config"). Throws funnel::Error: ExitCode::io when the file cannot
/// be read (a directory, a missing file); ExitCode::usage, naming FILE:LINE, for a TOML
/// syntax error (an unterminated array, a line that is not TOML, unquoted text), a table or
/// key given twice, a key given both at the top level and in a table, an unknown table or
/// key, and a value that is not a string, number, boolean, date or array of those.
std::vector<ConfigEntry> read_config(const std::string& path, const std::string& command,
                                     const std::vector<std::string>& commands, const std::vector<std::string>& keys);

/// One [[input]] table of the config file: an input's own roles in a join. Its keys are
/// checked against `kInputKeys`; `where` is "FILE:LINE" of the table.
struct ConfigInput {
  std::string where;
  std::vector<ConfigEntry> entries;
};
inline const std::vector<std::string> kInputKeys = {"file", "role",      "key",      "link",      "shape",
                                                    "id",   "stage-col", "time-col", "stage-time"};

/// The [[input]] tables of `path` (read_config skips them). Throws as read_config does.
std::vector<ConfigInput> read_config_inputs(const std::string& path);

}  // namespace funnel
