// funnel inspect, suggesting: the flags that make funnel report read the export right, each
// with its reason, notes for what no flag fixes, and the whole funnel report command line.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "guess.h"
#include "sample.h"

namespace funnel::inspecting {

struct Suggested {
  std::vector<Suggestion> suggestions;
  std::vector<std::string> notes;
  std::optional<Shape> suggested_shape;  ///< the shape with the suggested column flags
  bool guessing = false;                 ///< the schema failed and content guesses were tried
  ColumnGuesses guesses;
  std::string command;  ///< "funnel report ..." with the options given and the suggestions
};

Suggested suggest(const Sample& sample, const StageValues& values);

/// One shell word: bare when it holds only harmless characters, else quoted (always, when
/// `always`).
std::string shell_quote(std::string_view s, bool always);

}  // namespace funnel::inspecting
