#include "funnel/config.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <sys/stat.h>

// toml++ compiled into this file alone (header-only mode): Debian's libtomlplusplus.so would
// make funnel load a C++ shared library, and with it libstdc++ (see HACKING.md, Dependencies).
#define TOML_HEADER_ONLY 1
#include <toml++/toml.h>

#include <fmt/format.h>

#include "funnel/diagnostics.h"

namespace funnel {
namespace {

std::string read_whole_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw Error(ExitCode::io, fmt::format("{}: cannot read config file: {}", path, std::strerror(errno)));
  }
  if (S_ISDIR(st.st_mode)) {
    throw Error(ExitCode::io, fmt::format("{}: cannot read config file: {}", path, std::strerror(EISDIR)));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ExitCode::io, fmt::format("{}: cannot read config file: {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error(ExitCode::io, fmt::format("{}: cannot read config file", path));
  return text.str();
}

/// A scalar as the option parser takes it from the command line.
std::optional<std::string> scalar_text(const toml::node& node) {
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* f = node.as_floating_point()) return fmt::format("{}", f->get());
  if (const auto* b = node.as_boolean()) return std::string(b->get() ? "true" : "false");
  std::ostringstream text;
  if (const auto* d = node.as_date()) {
    text << d->get();
  } else if (const auto* t = node.as_time()) {
    text << t->get();
  } else if (const auto* dt = node.as_date_time()) {
    text << dt->get();
  } else {
    return std::nullopt;
  }
  return text.str();
}

class Reader {
 public:
  Reader(const std::string& path, const std::vector<std::string>& keys) : path_(path), keys_(keys) {}

  std::string where(const toml::node& node) const { return fmt::format("{}:{}", path_, node.source().begin.line); }

  /// The key's values, or a usage error naming its line.
  ConfigEntry entry(std::string_view key, const toml::node& value) const {
    ConfigEntry e{std::string(key), {}, where(value)};
    if (key == "config") throw Error(ExitCode::usage, fmt::format("{}: unknown key 'config'", e.where));
    if (std::find(keys_.begin(), keys_.end(), key) == keys_.end()) {
      throw Error(ExitCode::usage, fmt::format("{}: unknown key '{}'{}", e.where, key, did_you_mean(key, keys_)));
    }
    auto bad_value = [&] {
      return Error(ExitCode::usage,
                   fmt::format("{}: '{}' wants a string, number, boolean or date, or an array of them", e.where, key));
    };
    if (const auto* array = value.as_array()) {
      for (const toml::node& element : *array) {
        auto text = scalar_text(element);
        if (!text) throw bad_value();
        e.values.push_back(std::move(*text));
      }
    } else {
      auto text = scalar_text(value);
      if (!text) throw bad_value();
      e.values.push_back(std::move(*text));
    }
    return e;
  }

 private:
  const std::string& path_;
  const std::vector<std::string>& keys_;
};

}  // namespace

namespace {

toml::table parse_file(const std::string& path) {
  const std::string text = read_whole_file(path);
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw Error(ExitCode::usage,
                fmt::format("{}:{}:{}: {}", path, e.source().begin.line, e.source().begin.column, e.description()));
  }
}

}  // namespace

std::vector<ConfigInput> read_config_inputs(const std::string& path) {
  toml::table root = parse_file(path);
  std::vector<ConfigInput> inputs;
  const toml::array* tables = root["input"].as_array();
  if (tables == nullptr || !tables->is_array_of_tables()) return inputs;
  Reader reader(path, kInputKeys);
  for (const toml::node& node : *tables) {
    ConfigInput input{reader.where(node), {}};
    for (auto&& [key, value] : *node.as_table()) input.entries.push_back(reader.entry(key.str(), value));
    inputs.push_back(std::move(input));
  }
  return inputs;
}

std::vector<ConfigEntry> read_config(const std::string& path, const std::string& command,
                                     const std::vector<std::string>& commands, const std::vector<std::string>& keys) {
  const std::string text = read_whole_file(path);
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    std::string_view description = e.description();
    const char* hint = description.find("could not determine value type") != std::string_view::npos
                           ? " (text is quoted in TOML: key = \"value\")"
                           : "";
    throw Error(ExitCode::usage,
                fmt::format("{}:{}:{}: {}{}", path, e.source().begin.line, e.source().begin.column, description, hint));
  }
  Reader reader(path, keys);
  std::vector<ConfigEntry> entries;
  std::map<std::string, std::string, std::less<>> top_level;  // key -> where
  for (auto&& [key, value] : root) {
    if (value.is_table() || (key.str() == "input" && value.is_array_of_tables())) continue;
    top_level.emplace(std::string(key.str()), reader.where(value));
    entries.push_back(reader.entry(key.str(), value));
  }
  for (auto&& [name, value] : root) {
    const toml::table* table = value.as_table();
    if (table == nullptr) continue;
    const bool ours = name.str() == command;
    if (!ours && std::find(commands.begin(), commands.end(), name.str()) == commands.end()) {
      throw Error(ExitCode::usage, fmt::format("{}: unknown section [{}]", reader.where(value), name.str()));
    }
    for (auto&& [key, inner] : *table) {
      if (auto it = top_level.find(key.str()); it != top_level.end()) {
        throw Error(ExitCode::usage, fmt::format("{}: '{}' is given twice: at the top level ({}) and in [{}]",
                                                 reader.where(inner), key.str(), it->second, name.str()));
      }
      if (!ours) continue;  // another command's options: its own run checks them
      if (inner.is_table()) {
        throw Error(ExitCode::usage,
                    fmt::format("{}: unknown section [{}.{}]", reader.where(inner), name.str(), key.str()));
      }
      entries.push_back(reader.entry(key.str(), inner));
    }
  }
  return entries;
}

}  // namespace funnel
