// funnel cohorts: conversion per entry cohort (week, month or quarter of entry).
#include <CLI/CLI.hpp>

#include "common.h"

namespace funnel::commands {

std::unique_ptr<Options> setup_cohorts(CLI::App& app) { return setup_tables(app, ReportKind::cohorts); }

int run_cohorts(CLI::App& app, Options& options, Streams& streams) {
  return print_tables(app, static_cast<ExportOptions&>(options), ReportKind::cohorts, streams);
}

}  // namespace funnel::commands
