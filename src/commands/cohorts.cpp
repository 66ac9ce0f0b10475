// funnel cohorts: conversion per entry cohort (week, month or quarter of entry).
#include <CLI/CLI.hpp>

#include "common.h"

namespace funnel::commands {
namespace {

struct CohortsCommand : ExportOptions {
  CohortsCommand() { format = "table"; }
};

}  // namespace

std::unique_ptr<Options> setup_cohorts(CLI::App& app) {
  auto o = std::make_unique<CohortsCommand>();
  app.add_option("files", o->report.files, kFilesHelp);
  define_report_output(app, *o, ReportKind::cohorts);
  define_input(app, *o);
  define_metrics(app, *o);
  app.add_option("--every", o->every, "Period: week (ISO, Monday start), month or quarter, in --tz")
      ->capture_default_str()
      ->group("Metrics");
  return o;
}

int run_cohorts(CLI::App& app, Options& options, Streams& streams) {
  return print_tables(app, static_cast<CohortsCommand&>(options), ReportKind::cohorts, streams);
}

}  // namespace funnel::commands
