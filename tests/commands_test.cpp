// The command table, the one --format parser and the shared text helpers.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include <CLI/CLI.hpp>

#include "funnel/commands/command.h"
#include "funnel/diagnostics.h"
#include "funnel/format.h"
#include "funnel/text.h"
#include "support.h"

using funnel::test::run_cli;

TEST_SUITE("commands") {
  TEST_CASE("every command in the table has a name, a help line, a setup, a run and a --help that parses") {
    auto table = funnel::commands::command_table();
    REQUIRE(table.size() >= 11);
    std::string top = run_cli({"--help"}).out;
    std::set<std::string> names;
    for (const auto& command : table) {
      CAPTURE(command.name);
      REQUIRE(command.name != nullptr);
      REQUIRE(command.help != nullptr);
      CHECK(std::string(command.name).find_first_not_of("abcdefghijklmnopqrstuvwxyz") == std::string::npos);
      CHECK(names.insert(command.name).second);  // no name twice
      CHECK(std::string(command.help).size() > 10);
      REQUIRE(static_cast<bool>(command.setup));
      REQUIRE(static_cast<bool>(command.run));
      // The top-level help lists the command with its help line.
      CHECK(top.find(std::string("  ") + command.name) != std::string::npos);
      CHECK(top.find(command.help) != std::string::npos);

      // Its setup defines at least one option or positional on a subcommand of its own.
      CLI::App program{"test", "funnel"};
      CLI::App* sub = program.add_subcommand(command.name, command.help);
      auto options = command.setup(*sub);
      REQUIRE(options != nullptr);
      CHECK(sub->get_options([](const CLI::Option* o) { return o->get_name() != "--help"; }).size() >= 1);

      // funnel NAME --help parses, exits 0 and starts with the help line.
      auto help = run_cli({command.name, "--help"});
      CHECK(help.rc == 0);
      CHECK(help.err.empty());
      CHECK(help.out.rfind(std::string(command.help) + "\nUsage: funnel " + command.name, 0) == 0);
    }
  }

  TEST_CASE("a command that is not in the table is a usage error") {
    auto r = run_cli({"reprot"});
    CHECK(r.rc == static_cast<int>(funnel::ExitCode::usage));
    CHECK(r.out.empty());
    CHECK(!r.err.empty());
  }
}

TEST_SUITE("format") {
  enum class Kind { text, junit, json };
  constexpr funnel::FormatChoice<Kind> kKinds[] = {
      {"text", Kind::text}, {"junit", Kind::junit}, {"json", Kind::json}, {"table", Kind::text, true}};

  TEST_CASE("a listed name and an alias select their value") {
    CHECK(funnel::parse_format("junit", kKinds) == Kind::junit);
    CHECK(funnel::parse_format("json", kKinds) == Kind::json);
    CHECK(funnel::parse_format("table", kKinds) == Kind::text);
  }

  TEST_CASE("an unknown name is a usage error listing the names but not the aliases") {
    CHECK_THROWS_WITH_AS(funnel::parse_format("xml", kKinds), "unknown --format 'xml' (text, junit, json)",
                         funnel::Error);
    CHECK_THROWS_WITH_AS(funnel::parse_format("jsn", kKinds),
                         "unknown --format 'jsn' (text, junit, json) (did you mean 'json'?)", funnel::Error);
    CHECK_THROWS_WITH_AS(funnel::parse_format("Json", kKinds),
                         "unknown --format 'Json' (text, junit, json) (did you mean 'json'?)",
                         funnel::Error);  // names are exact: no case folding
    try {
      funnel::parse_format("", kKinds);
      FAIL("no error");
    } catch (const funnel::Error& e) {
      CHECK(e.code() == funnel::ExitCode::usage);
    }
  }

  TEST_CASE("the help line lists the names without aliases") {
    CHECK(funnel::format_list(funnel::format_names<Kind>(kKinds)) == "text, junit, json");
  }

  TEST_CASE("inspect, forecast and diff refuse a format with the same message as the others") {
    auto inspect = run_cli({"inspect", "-f", "csv", "examples/crm_events.csv"});
    CHECK(inspect.rc == static_cast<int>(funnel::ExitCode::usage));
    CHECK(inspect.err == "funnel: unknown --format 'csv' (table, json)\n");
    auto forecast = run_cli({"forecast", "-f", "jsn", "examples/crm_events.csv"});
    CHECK(forecast.rc == static_cast<int>(funnel::ExitCode::usage));
    CHECK(forecast.err == "funnel: unknown --format 'jsn' (table, csv, json, html, svg) (did you mean 'json'?)\n");
    // diff refuses it before reading the reports, as every other command does with its input.
    auto diff = run_cli({"diff", "-f", "xml", "/nonexistent/a.json", "/nonexistent/b.json"});
    CHECK(diff.rc == static_cast<int>(funnel::ExitCode::usage));
    CHECK(diff.err == "funnel: unknown --format 'xml' (table, csv, json)\n");
  }
}

TEST_SUITE("text") {
  TEST_CASE("trim_blanks takes spaces and tabs only") {
    CHECK(funnel::trim_blanks("  a b\t") == "a b");
    CHECK(funnel::trim_blanks("\t\t") == "");
    CHECK(funnel::trim_blanks("") == "");
    CHECK(funnel::trim_blanks("\na\r") == "\na\r");
    CHECK(funnel::trim_blanks("\xC2\xA0x") == "\xC2\xA0x");  // NBSP is a character here
  }

  TEST_CASE("trim_space takes every ASCII white space") {
    CHECK(funnel::trim_space(" \t\r\n\v\fa b\n") == "a b");
    CHECK(funnel::trim_space(" \n ") == "");
    CHECK(funnel::trim_space("\xC2\xA0") == "\xC2\xA0");
  }

  TEST_CASE("lower_ascii and iequals_ascii change A-Z only") {
    CHECK(funnel::lower_ascii("Closed WON-2 \xC3\x89t\xC3\xA9") == "closed won-2 \xC3\x89t\xC3\xA9");  // É stays
    CHECK(funnel::to_lower_ascii('@') == '@');
    CHECK(funnel::to_lower_ascii('[') == '[');
    CHECK(funnel::to_lower_ascii('Z') == 'z');
    CHECK(funnel::iequals_ascii("N/A", "n/a"));
    CHECK(funnel::iequals_ascii("None", "none"));
    CHECK(!funnel::iequals_ascii("nonE ", "none"));
    CHECK(!funnel::iequals_ascii("p", "P"));  // the second argument is written in lower case
  }
}
