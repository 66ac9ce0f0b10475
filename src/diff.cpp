// funnel diff's numbers: two saved reports stage by stage, the change in each step
// conversion and its two-sided p-value (two-proportion test).
#include <algorithm>

#include <fmt/format.h>

#include "funnel/check.h"
#include "funnel/diagnostics.h"
#include "funnel/stats.h"

namespace funnel {

std::vector<DiffRow> diff_reports(const SavedReport& a, const SavedReport& b, double significance) {
  // Segments by label, "(all)" first, as reports list them.
  std::vector<const SavedSegment*> order;
  for (const SavedSegment& seg : a.segments) order.push_back(&seg);
  std::sort(order.begin(), order.end(), [](const SavedSegment* x, const SavedSegment* y) {
    if ((x->label == "(all)") != (y->label == "(all)")) return x->label == "(all)";
    return x->label < y->label;
  });
  std::vector<DiffRow> rows;
  for (const SavedSegment* seg : order) {
    const SavedSegment* other = b.find(seg->label);
    if (other == nullptr) continue;
    const auto& stages_a = seg->stages;
    const auto& stages_b = other->stages;
    if (stages_a.size() != stages_b.size()) {
      throw Error(ExitCode::schema,
                  fmt::format("segment {}: the reports have different stages", quote_cell(seg->label)));
    }
    for (std::size_t k = 0; k < stages_a.size(); ++k) {
      if (stages_a[k].name != stages_b[k].name) {
        throw Error(ExitCode::schema, fmt::format("stage {} is '{}' in the first report and '{}' in the second", k + 1,
                                                  stages_a[k].name, stages_b[k].name));
      }
      DiffRow row;
      row.segment = seg->label;
      row.stage = stages_a[k].name;
      row.reached_a = stages_a[k].reached;
      row.reached_b = stages_b[k].reached;
      if (k > 0) {
        std::uint64_t na = stages_a[k - 1].reached, nb = stages_b[k - 1].reached;
        if (na > 0) row.rate_a = static_cast<double>(row.reached_a) / static_cast<double>(na);
        if (nb > 0) row.rate_b = static_cast<double>(row.reached_b) / static_cast<double>(nb);
        if (auto z = two_proportion_z(row.reached_b, nb, row.reached_a, na)) row.p = two_sided_p(*z);
      }
      if (row.rate_a && row.rate_b) row.change_pp = (*row.rate_b - *row.rate_a) * 100;
      row.significant = row.p && *row.p < significance;
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

void render_diff(const SavedReport& a, const SavedReport& b, double significance, const std::string& format,
                 std::ostream& out) {
  render_diff(diff_reports(a, b, significance), significance, format, out);
}

}  // namespace funnel
