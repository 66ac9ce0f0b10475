// Win probabilities as exports and teams write them: Salesforce's "Probability (%)" (60),
// Pipedrive's deal probability, a spreadsheet's 60% or 0.6.
//
// How a probability is read (read_probability; these rules are the man page's):
// - Blanks around the value are ignored. Nothing left, or one of "-", N/A, NA, null, none
//   (any letter case) is no probability: Status::empty.
// - A number: digits with at most one decimal mark, '.' or ',' ("0.6", "0,6", ".5"), an
//   optional leading '+', and an optional '%' after it (blanks between allowed).
// - With '%', or in a column whose header holds '%' ("Probability (%)"), the number is a
//   percent. Otherwise a number above 1 is a percent (60 is 60%) and one of at most 1 is a
//   fraction (0.6 is 60%, 1 is 100%).
// - Invalid, counted and never used: a negative value ("negative probability"), more than
//   100% ("more than 100%"), and any other text ("not a number").
#pragma once

#include <string>
#include <string_view>

namespace funnel {

struct ParsedProbability {
  enum class Status {
    ok,       ///< value holds a probability from 0 to 1
    empty,    ///< blank or a "no value" marker: no probability
    invalid,  ///< not a number, negative, or above 100%
  };
  Status status = Status::empty;
  double value = 0;
  std::string problem;  ///< why invalid, for messages
};

/// Reads one probability cell or option value; `percent`: the column's values are percents.
ParsedProbability read_probability(std::string_view text, bool percent = false);

}  // namespace funnel
