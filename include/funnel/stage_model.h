// The stage model: ordered stages in TOFU/MOFU/BOFU sections, their aliases, the
// terminal "lost" values and the "churned" values (an outcome after won, not a stage).
// Built-in presets and user models resolve through the same code.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace funnel {

enum class Section { tofu, mofu, bofu };
std::string_view section_name(Section s);

struct Stage {
  std::string name;
  Section section = Section::mofu;
  std::vector<std::string> aliases;  ///< other spellings; the name itself always matches
};

/// Lower-cases ASCII and drops spaces, '_' and '-': "Closed Won" and "closed_won" match.
std::string normalize_name(std::string_view text);

/// What a stage cell or a column name means under a model.
struct StageRef {
  static constexpr int lost = -1;
  static constexpr int unknown = -2;
  /// A customer who cancelled: evidence for retention, never a funnel stage.
  static constexpr int churned = -3;
  int index = unknown;  ///< a stage index, or lost / unknown / churned
};

/// A user's changes to a preset, from flags or a config file.
struct StageModelSpec {
  std::string preset = "default";
  std::vector<std::string> stages;  ///< replaces the preset's stages when non-empty
  std::vector<std::string> tofu, mofu, bofu;
  std::vector<std::string> aliases;  ///< "stage=alias"
  std::vector<std::string> lost;     ///< extra lost values
  /// The preset's first stages to leave out: a wide export has no column for them
  /// (unused_leading_stages in layouts.h). Ignored with `stages`.
  std::size_t skip_leading = 0;
};

class StageModel {
 public:
  /// Builds and validates a model; throws funnel::Error(ExitCode::usage) on a bad spec.
  static StageModel build(const StageModelSpec& spec);
  static std::vector<std::string> preset_names();

  const std::vector<Stage>& stages() const { return stages_; }
  int size() const { return static_cast<int>(stages_.size()); }
  /// Index of the last stage: reaching it means won.
  int won() const { return size() - 1; }
  const std::vector<std::string>& lost_values() const { return lost_; }
  /// Values that mark a won lead as churned (churned, churn, cancelled customer, ...).
  static const std::vector<std::string>& churned_values();

  /// Resolves a stage cell ("Marketing Qualified Lead", "closed lost").
  StageRef resolve(std::string_view value) const;
  /// Resolves a wide-shape column name ("mql_at", "Became a Lead Date",
  /// "hs_lifecyclestage_customer_date", "Deal - Won time"); unknown when it is not one.
  StageRef resolve_column(std::string_view header) const;
  /// Every stage name, alias, lost and churned value, for "did you mean".
  std::vector<std::string> spellings() const;

 private:
  std::vector<Stage> stages_;
  std::vector<std::string> lost_;
  std::unordered_map<std::string, int> lookup_;  ///< normalized spelling -> StageRef index
};

}  // namespace funnel
