// funnel inspect: reads the inputs as funnel report would (src/inspect/sample.cpp), guesses
// what the header does not say (guess.cpp), suggests the flags and the command line
// (suggest.cpp), and hands the plain result to a renderer (src/render/inspect_*.cpp).
#include "funnel/inspect.h"

#include <algorithm>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "funnel/diagnostics.h"
#include "funnel/inspection.h"
#include "funnel/joins.h"
#include "funnel/layouts.h"
#include "inspect/guess.h"
#include "inspect/sample.h"
#include "inspect/suggest.h"

namespace funnel {
namespace {

/// Each column's role under the schema; empty roles when the columns are not mapped.
std::vector<ColumnRole> roles(const inspecting::Sample& sample, const InspectedFile& f) {
  std::vector<ColumnRole> out(f.header.size());
  if (!sample.schema || !f.same_header) return out;
  for (auto& r : out) r.role = "unused";
  const Schema& s = *sample.schema;
  auto set = [&](int column, const char* role, std::string stage = {}) {
    if (column < 0) return;
    ColumnRole& r = out[static_cast<std::size_t>(column)];
    if (r.role == "unused") r = {role, std::move(stage)};
  };
  set(s.id, "id");
  set(s.stage, "stage");
  set(s.time, "time");
  set(s.status, "status");
  set(s.created, "created");
  set(s.closed, "closed");
  set(s.churned, "churned");
  set(s.won_flag, "won_flag");
  set(s.closed_flag, "closed_flag");
  for (const auto& st : s.stage_times)
    set(st.column, "stage_time", inspecting::ref_name(sample.model, StageRef{st.stage}));
  for (int c : s.segments) set(c, "segment");
  return out;
}

/// Each later file with another header: how funnel report would join it (its plan), a column
/// it shares by name with the first file, and the column pair whose values overlap most.
void find_joins(const inspecting::Sample& sample, const ReportOptions& options, Inspection& in) {
  const auto& files = sample.files;
  if (std::all_of(files.begin(), files.end(), [](const InspectedFile& f) { return f.same_header; })) return;
  std::optional<JoinPlan> plan;
  try {
    plan = plan_inputs(options, sample.model);
  } catch (const Error& e) {
    // The first file's own columns come first: said above, not again.
    in.join_error = in.error && *in.error == e.what() ? std::string("the first file's columns (above) first")
                                                      : std::string(e.what());
  }
  const auto& first = files.front();
  for (std::size_t i = 1; i < files.size(); ++i) {
    const InspectedFile& f = files[i];
    if (f.same_header) continue;
    JoinFinding j;
    j.file = f.name;
    for (const auto& h : f.header) {
      if (j.by_name.empty() && std::any_of(first.header.begin(), first.header.end(), [&](const std::string& g) {
            return normalize_name(g) == normalize_name(h);
          }))
        j.by_name = h;
    }
    const auto& mine = sample.column_values[i];
    const auto& theirs = sample.column_values.front();
    for (std::size_t c = 0; c < mine.size(); ++c) {
      for (std::size_t d = 0; d < theirs.size(); ++d) {
        std::uint64_t matched = 0;
        for (const auto& v : mine[c]) matched += theirs[d].count(v);
        if (matched > j.matched) {
          j.matched = matched;
          j.sampled = mine[c].size();
          j.value_column = f.header[c];
          j.value_first = first.header[d];
        }
      }
    }
    if (plan) {
      for (const PlannedInput& p : plan->inputs) {
        if (p.path != f.path) continue;
        j.role = std::string(role_name(p.role));
        if (p.role == InputRole::lookup) {
          j.how = fmt::format("adds its columns for --by through '{}'", p.key);
        } else if (p.role == InputRole::linked) {
          j.how = fmt::format("its rows continue the leads whose '{}' names them", plan->inputs[0].link_out);
          for (const PlannedInput& q : plan->inputs) {
            if (q.primary && !q.link_out.empty())
              j.how = fmt::format(
                  "its rows continue the leads whose '{}' names "
                  "them",
                  q.link_out);
          }
        } else if (p.id_list != 0) {
          j.how = fmt::format("'{}' lists the leads each row is about ('{}' between ids)", p.columns.id, p.id_list);
        } else {
          j.how = p.columns.id.empty() ? std::string("rows about the first file's leads by their id")
                                       : fmt::format("rows about the first file's leads by '{}'", p.columns.id);
        }
      }
    }
    in.joins.push_back(std::move(j));
  }
}

}  // namespace

std::string plural(std::uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string delimiter_name(char d) {
  switch (d) {
    case ',': return "comma";
    case ';': return "semicolon";
    case '\t': return "tab";
    case '|': return "pipe";
    default: return std::string(1, d);
  }
}

Inspection inspect_inputs(const ReportOptions& options, std::istream* stdin_stream) {
  auto sample = std::make_unique<inspecting::Sample>(options);
  inspecting::read_sample(*sample, stdin_stream);
  inspecting::StageValues values = inspecting::guess_stage_values(*sample);
  inspecting::Suggested suggested = inspecting::suggest(*sample, values);

  Inspection in;
  // Read off the sample's header before its files move into the result.
  if (sample->schema) in.shape_reason = inspecting::shape_reason(*sample);
  if (!sample->files.empty()) in.layout = recognize_layout(sample->header());
  in.files = sample->files;
  for (auto& f : in.files) f.roles = roles(*sample, f);
  for (const auto& stage : sample->model.stages()) in.stages.push_back(stage.name);
  in.schema = sample->schema;
  in.error = sample->error;
  in.rows_read = sample->rows_read;
  in.records = sample->records;
  in.distinct_ids = sample->ids.size();
  in.empty_ids = sample->empty_ids;
  in.empty_stages = sample->empty_stages;
  in.no_stage_date = sample->no_stage_date;
  in.unknown_rows = values.unknown_rows;
  in.values = std::move(values.values);
  for (const auto& t : sample->times) in.times.push_back(t.found);
  in.guessing = suggested.guessing;
  in.profiled = sample->profiled;
  in.guessed_id = suggested.guesses.id;
  in.guessed_stage = suggested.guesses.stage;
  in.guessed_time = suggested.guesses.time;
  in.suggestions = std::move(suggested.suggestions);
  in.notes = std::move(suggested.notes);
  in.suggested_shape = suggested.suggested_shape;
  in.command = std::move(suggested.command);
  // Two columns ending in "id" and one of them looks like the lead id (Olist's mql_id beside
  // landing_page_id): say which, rather than "no lead id column" beside "looks like the lead id".
  if (in.error && in.guessed_id && in.error->find(":1: no lead id column") != std::string::npos) {
    std::vector<std::string> ids;
    for (const auto& h : in.files.front().header) {
      const std::string n = normalize_name(h);
      if (n.size() > 2 && n.compare(n.size() - 2, 2, "id") == 0) ids.push_back(h);
    }
    const std::string& id = in.files.front().header[static_cast<std::size_t>(*in.guessed_id)];
    if (ids.size() > 1) {
      in.error = fmt::format(
          "{}:1: {} columns end in 'id' ({}), so funnel does not pick the lead id itself; '{}' looks "
          "like it: --id {} (suggested below)",
          in.files.front().name, ids.size(), fmt::join(ids, ", "), id, id);
    }
  }
  find_joins(*sample, options, in);
  in.exit_code = in.error || in.join_error ? static_cast<int>(ExitCode::schema) : 0;
  return in;
}

int inspect(const ReportOptions& options, std::istream* stdin_stream, std::ostream& out, bool json) {
  Inspection in = inspect_inputs(options, stdin_stream);
  if (json) {
    render_inspection_json(in, out);
  } else {
    render_inspection_text(in, out);
  }
  return in.exit_code;
}

}  // namespace funnel
