#include "funnel/spend.h"

#include <vector>

#include <fmt/format.h>

#include "funnel/csv.h"
#include "funnel/diagnostics.h"
#include "funnel/stage_model.h"

namespace funnel {

/// --spend: reads source,cost rows (several rows of a source, e.g. one per period, add up).
std::map<std::string, double> read_spend(const std::string& path, DecimalMark decimal) {
  RecordReader reader(path, nullptr, ReadOptions{});
  const auto& header = reader.header();
  if (header.empty()) throw Error(ExitCode::no_data, fmt::format("{}: empty spend file", path));
  int source = -1, cost = -1;
  for (std::size_t i = 0; i < header.size(); ++i) {
    std::string name = normalize_name(header[i]);
    if (name == "source" || name == "channel" || name == "segment") source = static_cast<int>(i);
    if (name == "cost" || name == "spend" || name == "amount") cost = static_cast<int>(i);
  }
  if (source < 0 || cost < 0) {
    throw Error(ExitCode::schema, fmt::format("{}:1: a spend file needs a 'source' and a 'cost' column", path));
  }
  struct Cost {
    std::string source;
    double value;
    char ambiguous;  ///< "1,234": settled by the column's mark once every row is read
  };
  std::vector<Cost> costs;
  AmountReader amounts(decimal);
  Record record;
  while (reader.next(record)) {
    auto field = [&](int i) {
      return static_cast<std::size_t>(i) < record.fields.size()
                 ? trim_blanks(record.fields[static_cast<std::size_t>(i)])
                 : std::string_view();
    };
    ParsedAmount a = amounts.read(field(cost));
    if (a.status != ParsedAmount::Status::ok) {
      throw Error(
          ExitCode::bad_value,
          fmt::format("{}:{}: column '{}': {} {}", path, record.line, header[static_cast<std::size_t>(cost)],
                      a.status == ParsedAmount::Status::empty ? "no cost in" : a.problem, quote_cell(field(cost))));
    }
    std::string label(field(source));
    costs.push_back({label.empty() ? "(none)" : label, a.value, a.ambiguous_separator});
  }
  std::map<std::string, double> spend;
  for (const Cost& c : costs) {
    spend[c.source] += c.ambiguous != 0 ? settle_amount(c.value, c.ambiguous, amounts.column_mark()) : c.value;
  }
  return spend;
}

/// Joins spend to the segments: cost per lead and per stage, CAC and ROI.
SpendJoin join_spend(FunnelTables& tables, const std::map<std::string, double>& spend) {
  SpendJoin join;
  double total = 0;
  for (const auto& [source, cost] : spend) total += cost;
  std::map<std::string, bool> used;
  for (SegmentTable& seg : tables.segments) {
    double cost = 0;
    if (seg.label == "(all)") {
      cost = total;
    } else if (auto it = spend.find(seg.label); it != spend.end()) {
      cost = it->second;
      used[seg.label] = true;
    } else {
      join.segments_without_spend.push_back(seg.label);
      continue;
    }
    Spend& s = seg.overall.spend;
    s.present = true;
    s.cost = cost;
    for (const StageRow& row : seg.stages) {
      s.per_stage.push_back(row.reached > 0 ? std::optional<double>(cost / static_cast<double>(row.reached))
                                            : std::nullopt);
    }
    if (seg.overall.won > 0) s.cac = cost / static_cast<double>(seg.overall.won);
    if (seg.overall.money.present && cost > 0) s.roi = (seg.overall.money.won_revenue - cost) / cost;
  }
  for (const auto& [source, cost] : spend) {
    if (!used.count(source)) join.unmatched.push_back(source);
  }
  return join;
}

}  // namespace funnel
