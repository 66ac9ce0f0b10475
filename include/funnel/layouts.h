// CRM export layouts: which export a header is (HubSpot contacts or deals with "Date entered"
// columns, Salesforce report and Data Export files, Zoho CRM), the column roles its header
// settles, and the stage flags it needs beyond them. detect_schema applies the roles; the stage
// model is fixed before any header is read, so the flags are printed by funnel inspect.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "funnel/events.h"
#include "funnel/stage_model.h"

namespace funnel {

struct Layout {
  std::string name;         ///< "hubspot-contacts", "salesforce-leads", ...
  std::string description;  ///< which export, for funnel inspect
  /// Column roles the header settles, as header names ("" leaves the role to detect_schema).
  std::string shape, id, stage;
  /// The stage model the export needs: a preset, or stages and lost values the header names.
  std::string preset;
  std::vector<std::string> stages, lost;

  /// The flags for that model, in command-line order: {"--preset", "salesforce"}, ...
  std::vector<std::pair<std::string, std::string>> flags() const;
  /// `user` with the layout's stage flags applied.
  StageModelSpec stage_spec(StageModelSpec user) const;
};

/// The layout of an export with this header, or nothing when it is no known CRM export.
std::optional<Layout> recognize_layout(const std::vector<std::string>& header);

/// A HubSpot stage-history column, `Date entered "Lead (Lifecycle Stage Pipeline)"` (the inner
/// quotes are the header's own, after CSV unquoting): its stage and pipeline.
struct DateEnteredColumn {
  std::string stage, pipeline;
};
std::optional<DateEnteredColumn> date_entered_column(std::string_view header);

/// How many of a preset's first stages a wide export has no date column for (HubSpot's
/// Subscriber in a contacts export without it): in the wide shape a stage is entered only
/// through its column, so such a stage would be "reached" by every lead and say nothing.
/// 0 for user stage lists, other shapes (any row may name any stage), a header that does not
/// detect, and whenever fewer than two stages would remain.
std::size_t unused_leading_stages(const StageModelSpec& stages, const std::vector<std::string>& header,
                                  const ColumnSpec& columns);

/// Salesforce Data Export writes `000000000000000AAA` (and 15-character exports
/// `000000000000000`) for an id that is not set: an empty id.
inline bool is_null_id(std::string_view id) {
  if (id.size() != 18 && id.size() != 15) return false;
  return id.substr(0, 15) == "000000000000000" && (id.size() == 15 || id.substr(15) == "AAA");
}

}  // namespace funnel
