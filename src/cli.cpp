#include "funnel/cli.h"

#include <memory>
#include <sstream>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "funnel/commands/command.h"
#include "funnel/diagnostics.h"
#include "funnel/output.h"
#include "funnel/version.h"

namespace funnel {
namespace commands {

// Each pair is defined in src/commands/NAME.cpp.
std::unique_ptr<Options> setup_report(CLI::App& app);
int run_report(CLI::App& app, Options& options, Streams& streams);
std::unique_ptr<Options> setup_summary(CLI::App& app);
int run_summary(CLI::App& app, Options& options, Streams& streams);
std::unique_ptr<Options> setup_cohorts(CLI::App& app);
int run_cohorts(CLI::App& app, Options& options, Streams& streams);
std::unique_ptr<Options> setup_trend(CLI::App& app);
int run_trend(CLI::App& app, Options& options, Streams& streams);
std::unique_ptr<Options> setup_inspect(CLI::App& app);
int run_inspect(CLI::App& app, Options& options, Streams& streams);
std::unique_ptr<Options> setup_leads(CLI::App& app);
int run_leads(CLI::App& app, Options& options, Streams& streams);
std::unique_ptr<Options> setup_paths(CLI::App& app);
int run_paths(CLI::App& app, Options& options, Streams& streams);
std::unique_ptr<Options> setup_explain(CLI::App& app);
int run_explain(CLI::App& app, Options& options, Streams& streams);
std::unique_ptr<Options> setup_check(CLI::App& app);
int run_check(CLI::App& app, Options& options, Streams& streams);
std::unique_ptr<Options> setup_diff(CLI::App& app);
int run_diff(CLI::App& app, Options& options, Streams& streams);
std::unique_ptr<Options> setup_forecast(CLI::App& app);
int run_forecast(CLI::App& app, Options& options, Streams& streams);
std::unique_ptr<Options> setup_sql(CLI::App& app);
int run_sql(CLI::App& app, Options& options, Streams& streams);
std::unique_ptr<Options> setup_completions(CLI::App& app);
int run_completions(CLI::App& app, Options& options, Streams& streams);

namespace {

/// The command table, in the order `funnel --help` lists the commands.
constexpr Command kCommands[] = {
    {"report", "Print conversion and drop-off tables", setup_report, run_report},
    {"summary", "One row per segment: leads, outcomes, win rate, revenue, cycle, cost, CAC, ROI, churn; sortable",
     setup_summary, run_summary},
    {"cohorts", "Conversion per entry cohort (week, month or quarter of entry)", setup_cohorts, run_cohorts},
    {"trend", "Leads entering each stage per week, month or quarter", setup_trend, run_trend},
    {"inspect", "Show what funnel sees in an export: dialect, shape, columns, stage values, suggested flags",
     setup_inspect, run_inspect},
    {"leads", "One row per lead: its path, furthest stage, status, skips and regressions", setup_leads, run_leads},
    {"paths", "The most common stage sequences, with counts and shares", setup_paths, run_paths},
    {"explain", "Show one lead's rows (file:line) and every decision made for it", setup_explain, run_explain},
    {"check", "Fail (exit 1) when a rule or a baseline comparison does not hold: for CI and cron", setup_check,
     run_check},
    {"diff", "Compare two saved reports stage by stage, with significance", setup_diff, run_diff},
    {"forecast", "Expected wins and revenue from the open leads, by stage and segment", setup_forecast, run_forecast},
    {"sql", "Print one SQL query (DuckDB, PostgreSQL, ClickHouse) whose result is funnel report -f csv", setup_sql,
     run_sql},
    {"completions", "Print a shell completion script (bash, zsh, fish)", setup_completions, run_completions},
};

}  // namespace

std::span<const Command> command_table() { return kCommands; }

}  // namespace commands

int run(int argc, const char* const* argv, Streams& streams) {
  CLI::App app{"funnel: conversion and drop-off tables from CRM exports", "funnel"};
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);
  // Only the command being run gets its options (CLI11 builds some 300 option objects for
  // all of them: more than half the start-up of a small report). The others stay names with
  // help lines, which is all the top-level help and a misspelt command's message use; the
  // completion scripts need every option. The command is the first word that is not an
  // option (the top level has flags only).
  std::string_view chosen;
  for (int i = 1; i < argc && chosen.empty(); ++i) {
    if (argv[i][0] != '-') chosen = argv[i];
  }
  struct Entry {
    const commands::Command& command;
    CLI::App* app;
    std::unique_ptr<commands::Options> options;  ///< null when not set up
  };
  std::vector<Entry> entries;
  entries.reserve(commands::command_table().size());
  for (const commands::Command& command : commands::command_table()) {
    CLI::App* sub = app.add_subcommand(command.name, command.help);
    bool wanted = chosen == command.name || chosen == "completions";
    entries.push_back({command, sub, wanted ? command.setup(*sub) : nullptr});
  }

  // The one place errors become messages and exit codes.
  try {
    app.parse(argc, argv);
    for (Entry& entry : entries) {
      if (entry.app->parsed() && entry.options) return entry.command.run(*entry.app, *entry.options, streams);
    }
  } catch (const CLI::ParseError& e) {
    std::ostringstream help;  // --help, --version: written and checked as any output
    int code = app.exit(e, help, streams.err);
    if (code != 0) return static_cast<int>(ExitCode::usage);
    try {
      write_stdout(streams.out, help.str(), false);
    } catch (const Error& failed) {
      streams.err << "funnel: " << failed.what() << '\n';
      return static_cast<int>(failed.code());
    }
    return 0;
  } catch (const Error& e) {
    streams.err << "funnel: " << e.what() << '\n';
    return static_cast<int>(e.code());
  } catch (const std::bad_alloc&) {
    streams.err << "funnel: out of memory: the input needs more memory than this process may use\n";
    return static_cast<int>(ExitCode::out_of_memory);
  } catch (const std::exception& e) {
    streams.err << "funnel: internal error: " << e.what() << '\n';
    return static_cast<int>(ExitCode::internal);
  }
  return static_cast<int>(ExitCode::usage);
}

}  // namespace funnel
