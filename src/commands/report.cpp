// funnel report: conversion and drop-off tables.
#include <CLI/CLI.hpp>

#include "common.h"

namespace funnel::commands {

std::unique_ptr<Options> setup_report(CLI::App& app) {
  auto o = setup_tables(app, ReportKind::funnel);
  app.add_option("--spend", o->report.spend,
                 "A CSV FILE of source,cost: cost per lead and per stage, CAC and ROI per --by segment")
      ->group("Input");
  app.add_option("--top", o->report.top_segments, "Keep the N segments with the most leads; fold the rest into (other)")
      ->group("Input")
      ->check(CLI::Range(std::size_t{1}, std::size_t{kMaxCount}));
  return o;
}

int run_report(CLI::App& app, Options& options, Streams& streams) {
  return print_tables(app, static_cast<ExportOptions&>(options), ReportKind::funnel, streams);
}

}  // namespace funnel::commands
