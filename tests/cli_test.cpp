#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <sys/stat.h>

#include "funnel/commands/command.h"
#include "funnel/diagnostics.h"
#include "funnel/output.h"
#include "support.h"

using funnel::test::read_file;
using funnel::test::run_cli;
using funnel::test::TempFile;

TEST_SUITE("cli") {
  TEST_CASE("every long option in --help is documented in the man page") {
    std::string roff = read_file("man/funnel.1");
    REQUIRE(!roff.empty());
    std::string man;  // roff writes a literal dash as "\-": drop the backslash
    for (std::size_t i = 0; i < roff.size(); ++i) {
      if (roff[i] != '\\' || i + 1 == roff.size() || roff[i + 1] != '-') man += roff[i];
    }
    std::set<std::string> options;
    std::vector<std::vector<std::string>> helps{{"--help"}};
    for (const auto& entry : funnel::commands::command_table()) {  // every command, from the table
      const char* command = entry.name;
      helps.push_back({command, "--help"});
      auto subcommand = run_cli({command, "--help"});
      CAPTURE(command);
      CHECK(subcommand.rc == 0);
      CHECK(man.find(std::string("funnel ") + command) != std::string::npos);
    }
    for (const auto& args : helps) {
      auto help = run_cli(args).out;
      // Every "--name" token: two dashes, a letter, then letters and dashes.
      for (std::size_t at = help.find("--"); at != std::string::npos; at = help.find("--", at + 2)) {
        std::size_t end = at + 2;
        while (end < help.size() && ((help[end] >= 'a' && help[end] <= 'z') || help[end] == '-')) ++end;
        if (end > at + 2 && help[at + 2] != '-') options.insert(help.substr(at, end - at));
      }
    }
    CHECK(options.size() > 20);
    for (const auto& option : options) {
      CAPTURE(option);
      CHECK(man.find(option) != std::string::npos);
    }
  }

  TEST_CASE("-o writes the whole report atomically and leaves no temporary file") {
    TempFile target("old content\n");
    auto r = run_cli({"report", "-f", "csv", "-o", target.path(), "examples/crm_events.csv"});
    CHECK(r.rc == 0);
    CHECK(r.out.empty());
    auto direct = run_cli({"report", "-f", "csv", "examples/crm_events.csv"});
    CHECK(read_file(target.path()) == direct.out);
  }

  TEST_CASE("a failed run leaves an existing output file untouched") {
    TempFile target("yesterday's report\n");
    auto r = run_cli({"report", "-o", target.path(), "tests/data/bad_date.csv"});
    CHECK(r.rc == 5);
    CHECK(read_file(target.path()) == "yesterday's report\n");
  }

  TEST_CASE("an output file in a missing directory is an I/O error naming it") {
    try {
      funnel::write_file_atomically("/nonexistent-dir/report.csv", "x");
      FAIL("no error");
    } catch (const funnel::Error& e) {
      CHECK(e.code() == funnel::ExitCode::io);
      CHECK(std::string(e.what()).find("/nonexistent-dir/report.csv: cannot create") == 0);
    }
  }

  TEST_CASE("rows read = rows used + rows reported, in every golden JSON and here") {
    auto r = run_cli({"report", "-f", "json", "tests/data/unknown_stage.csv"});
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("\"rows_read\": 6,") != std::string::npos);
    CHECK(r.out.find("\"rows_used\": 2,") != std::string::npos);
    CHECK(r.out.find("\"rows_reported\": 4,") != std::string::npos);
    CHECK(r.out.find("\"reported_by_reason\": {\"empty lead id\": 1, \"empty stage\": 1, \"unknown stage\": 2}") !=
          std::string::npos);
  }

  TEST_CASE("the same rows in any order give the same report") {
    auto forward =
        run_cli({"report", "-f", "csv", "-"},
                "lead_id,stage,timestamp\nA,lead,2024-01-01\nA,mql,2024-01-03\nB,lead,2024-01-02\nA,sql,2024-01-09\n");
    auto backward =
        run_cli({"report", "-f", "csv", "-"},
                "lead_id,stage,timestamp\nA,sql,2024-01-09\nB,lead,2024-01-02\nA,mql,2024-01-03\nA,lead,2024-01-01\n");
    CHECK(forward.rc == 0);
    CHECK(forward.out == backward.out);
  }

  TEST_CASE("spreadsheet formulas in segment labels are defused in CSV") {
    auto r = run_cli({"report", "-f", "csv", "--by", "source", "-"},
                     "lead_id,stage,timestamp,source\nA,lead,2024-01-01,=HYPERLINK(\"x\")\n");
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("\"'=HYPERLINK(\"\"x\"\")\",lead,") != std::string::npos);
  }
}

TEST_SUITE("cli") {
  TEST_CASE("every funnel command in the README is a golden case") {
    std::string readme = read_file("README.md");
    std::set<std::string> golden;
    for (const auto& entry : std::filesystem::directory_iterator("tests/golden")) {
      std::string cmd = read_file((entry.path() / "cmd").string());
      while (!cmd.empty() && (cmd.back() == '\n' || cmd.back() == ' ')) cmd.pop_back();
      golden.insert(cmd);
    }
    // Join continuation lines, drop comments, keep lines that run funnel on files in the repo.
    std::vector<std::string> commands;
    std::string pending;
    std::size_t begin = 0;
    while (begin < readme.size()) {
      std::size_t end = readme.find('\n', begin);
      if (end == std::string::npos) end = readme.size();
      std::string line = readme.substr(begin, end - begin);
      begin = end + 1;
      if (!pending.empty()) {
        line = pending + " " + line.substr(line.find_first_not_of(' '));
        pending.clear();
      }
      if (!line.empty() && line.back() == '\\') {
        line.pop_back();
        while (!line.empty() && line.back() == ' ') line.pop_back();
        pending = line;
        continue;
      }
      if (auto hash = line.find("  #"); hash != std::string::npos) line.resize(hash);
      while (!line.empty() && line.back() == ' ') line.pop_back();
      if (line.rfind("funnel ", 0) == 0 && line.find(" -o ") == std::string::npos) commands.push_back(line);
    }
    CHECK(commands.size() >= 10);
    for (const auto& command : commands) {
      CAPTURE(command);
      CHECK(golden.count(command) == 1);
    }
  }
}
