// Golden CLI cases: tests/golden/<case>/cmd holds the arguments (shell-style quoting),
// optional `stdin` is fed to the run, and stdout, stderr and rc must match byte for byte.
// FUNNEL_UPDATE_GOLDEN=1 rewrites the expected files (review the diff before committing);
// FUNNEL_UPDATE_GOLDEN=case1,case2 rewrites only those cases. An optional `env` file holds
// NAME=VALUE lines set for the run (COLUMNS for the terminal-width cases); COLUMNS is unset
// for every other case, so a caller's exported COLUMNS cannot change the outputs.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <stdlib.h>

#include <fmt/format.h>

#include "support.h"

namespace fs = std::filesystem;
using funnel::test::read_file;
using funnel::test::run_cli;

namespace {

/// Splits a command line: whitespace separates, '...' and "..." group, no escapes.
std::vector<std::string> split_args(const std::string& line) {
  std::vector<std::string> args;
  std::string current;
  bool any = false;
  char quote = 0;
  for (char c : line) {
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else {
        current += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      any = true;
    } else if (c == ' ' || c == '\n' || c == '\t') {
      if (any || !current.empty()) args.push_back(current);
      current.clear();
      any = false;
    } else {
      current += c;
    }
  }
  if (any || !current.empty()) args.push_back(current);
  return args;
}

}  // namespace

TEST_SUITE("golden") {
  // One SUBCASE per directory, named after it, so one case runs alone:
  // build/dev/tests/funnel_tests -ts=golden -sc="*report_by_source*"
  TEST_CASE("every golden case matches its stdout, stderr and exit code") {
    const char* update_env = std::getenv("FUNNEL_UPDATE_GOLDEN");
    const std::string update_list = update_env != nullptr ? fmt::format(",{},", update_env) : "";
    std::vector<fs::path> cases;
    for (const auto& entry : fs::directory_iterator("tests/golden")) {
      if (entry.is_directory()) cases.push_back(entry.path());
    }
    std::sort(cases.begin(), cases.end());
    REQUIRE(cases.size() >= 20);
    for (const auto& dir : cases) {
      const std::string name = dir.filename().string();
      SUBCASE(name.c_str()) {
        auto args = split_args(read_file((dir / "cmd").string()));
        REQUIRE(!args.empty());
        CHECK(args.front() == "funnel");
        args.erase(args.begin());
        std::string input = fs::exists(dir / "stdin") ? read_file((dir / "stdin").string()) : "";
        // COLUMNS is unset for every case; a case's optional `env` file (NAME=VALUE lines)
        // sets variables for its run only.
        std::vector<std::string> names{"COLUMNS"};
        std::vector<std::pair<std::string, std::optional<std::string>>> saved;
        std::vector<std::pair<std::string, std::string>> set;
        if (fs::exists(dir / "env")) {
          std::istringstream env(read_file((dir / "env").string()));
          for (std::string line; std::getline(env, line);) {
            auto eq = line.find('=');
            if (eq == std::string::npos) continue;
            names.push_back(line.substr(0, eq));
            set.emplace_back(line.substr(0, eq), line.substr(eq + 1));
          }
        }
        for (const auto& var : names) {
          const char* value = std::getenv(var.c_str());
          saved.emplace_back(var, value ? std::optional<std::string>(value) : std::nullopt);
          ::unsetenv(var.c_str());
        }
        for (const auto& [var, value] : set) ::setenv(var.c_str(), value.c_str(), 1);
        auto result = run_cli(args, input);
        for (const auto& [var, value] : saved) {
          if (value) {
            ::setenv(var.c_str(), value->c_str(), 1);
          } else {
            ::unsetenv(var.c_str());
          }
        }
        const bool update = update_list == ",1," || update_list.find(fmt::format(",{},", name)) != std::string::npos;
        if (update) {
          std::ofstream(dir / "stdout", std::ios::binary) << result.out;
          std::ofstream(dir / "stderr", std::ios::binary) << result.err;
          std::ofstream(dir / "rc") << result.rc << '\n';
        } else {
          CHECK(result.out == read_file((dir / "stdout").string()));
          CHECK(result.err == read_file((dir / "stderr").string()));
          CHECK(std::to_string(result.rc) + "\n" == read_file((dir / "rc").string()));
        }
      }
    }
  }
}
