#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "funnel/csv.h"
#include "funnel/diagnostics.h"
#include "funnel/joins.h"

namespace funnel {
namespace {

// Columns of a file that list the leads a row is about (HubSpot deals: Associated Contact IDs).
const std::vector<std::string> kLeadListNames = {"associated_contact_ids", "associated_contacts_ids", "contact_ids",
                                                 "associated_lead_ids", "lead_ids"};

int column_of(const std::vector<std::string>& header, std::string_view name) {
  const std::string wanted = normalize_name(name);
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (normalize_name(header[i]) == wanted) return static_cast<int>(i);
  }
  return -1;
}

bool has(const std::vector<std::string>& header, std::string_view name) {
  return !name.empty() && column_of(header, name) >= 0;
}

/// Whether `path` is the input an [[input]] table's `file` names: the same path, or one ending
/// in "/" + file.
bool names(const std::string& path, const std::string& file) {
  if (path == file) return true;
  return path.size() > file.size() && path.compare(path.size() - file.size(), file.size(), file) == 0 &&
         path[path.size() - file.size() - 1] == '/';
}

/// The command line's column options as one file takes them: each where the file has the
/// column; then the file's own [[input]] roles.
ColumnSpec file_columns(const ColumnSpec& global, const InputRoles* roles, const std::vector<std::string>& header) {
  ColumnSpec spec;
  spec.shape = global.shape;
  if (has(header, global.id)) spec.id = global.id;
  if (has(header, global.stage)) spec.stage = global.stage;
  if (has(header, global.time)) spec.time = global.time;
  for (const auto& pair : global.stage_times) {
    auto eq = pair.find('=');
    if (eq == std::string::npos || has(header, pair.substr(eq + 1))) spec.stage_times.push_back(pair);
  }
  spec.probability = has(header, global.probability) || global.probability == "none" ? global.probability : "";
  spec.find_probability = global.find_probability;
  if (roles != nullptr) {
    const ColumnSpec& own = roles->columns;
    if (!own.shape.empty()) spec.shape = own.shape;
    if (!own.id.empty()) spec.id = own.id;
    if (!own.stage.empty()) spec.stage = own.stage;
    if (!own.time.empty()) spec.time = own.time;
    if (!own.stage_times.empty()) spec.stage_times = own.stage_times;
  }
  return spec;
}

/// The first column of `table` (in its order) that one of `headers` has too.
std::string shared_column(const std::vector<std::string>& table, const std::vector<const PlannedInput*>& evidence) {
  for (const auto& name : table) {
    for (const PlannedInput* in : evidence) {
      if (has(in->header, name)) return name;
    }
  }
  return {};
}

}  // namespace

std::string_view role_name(InputRole role) {
  switch (role) {
    case InputRole::evidence: return "evidence";
    case InputRole::linked: return "linked";
    case InputRole::lookup: return "lookup";
  }
  return "evidence";
}

JoinPlan plan_inputs(const IngestOptions& options, const StageModel& model) {
  JoinPlan plan;
  std::vector<std::string> files = options.files.empty() ? std::vector<std::string>{"-"} : options.files;
  const bool stdin_read = std::find(files.begin(), files.end(), "-") != files.end();
  const bool asked = !options.lookups.empty() || !options.input_roles.empty() || !options.links.empty();
  auto simple = [&] {
    for (const auto& f : files) plan.inputs.push_back({f, InputRole::evidence, true, {}, options.columns, {}, 0, {}});
    return plan;
  };
  if (stdin_read) {
    if (asked) {
      throw Error(ExitCode::usage,
                  "--lookup, --link and [[input]] join files by their headers, read first: name the files, not -");
    }
    return simple();
  }
  if (files.size() == 1 && !asked) return simple();

  ReadOptions read{options.delimiter, options.encoding, true, options.skip_lines, options.trust_quotes};
  auto header_of = [&](const std::string& path) {
    RecordReader reader(path, nullptr, read);
    return reader.header();
  };
  std::vector<std::vector<std::string>> headers;
  for (const auto& f : files) headers.push_back(header_of(f));
  const bool one_header =
      std::all_of(headers.begin(), headers.end(), [&](const auto& h) { return same_header(h, headers.front()); });
  if (one_header && !asked) return simple();
  plan.joined = true;

  // Which [[input]] table, if any, each file takes; every table must name an input.
  std::vector<std::string> all = files;
  all.insert(all.end(), options.lookups.begin(), options.lookups.end());
  auto roles_of = [&](const std::string& path) -> const InputRoles* {
    for (const auto& r : options.input_roles) {
      if (names(path, r.file)) return &r;
    }
    return nullptr;
  };
  for (const auto& r : options.input_roles) {
    if (std::none_of(all.begin(), all.end(), [&](const std::string& f) { return names(f, r.file); })) {
      throw Error(ExitCode::usage, fmt::format("{}: [[input]] file '{}' is not among the inputs ({})", r.where, r.file,
                                               fmt::join(all, ", ")));
    }
    if (!r.role.empty() && r.role != "evidence" && r.role != "lookup") {
      throw Error(ExitCode::usage, fmt::format("{}: role must be evidence or lookup, not '{}'", r.where, r.role));
    }
  }

  // Evidence and lookups, in the order given.
  std::vector<PlannedInput> given;
  for (std::size_t i = 0; i < all.size(); ++i) {
    PlannedInput in;
    in.path = all[i];
    in.header = i < headers.size() ? headers[i] : header_of(all[i]);
    const InputRoles* roles = roles_of(in.path);
    const bool lookup = i >= files.size() || (roles != nullptr && roles->role == "lookup");
    in.role = lookup ? InputRole::lookup : InputRole::evidence;
    in.primary = !lookup && same_header(in.header, headers.front());
    if (lookup && i == 0) {
      throw Error(ExitCode::usage,
                  fmt::format("{}: the first file names the leads; a lookup cannot be first", in.path));
    }
    if (!lookup) in.columns = file_columns(options.columns, roles, in.header);
    if (roles != nullptr) in.key = roles->key;
    given.push_back(std::move(in));
  }

  // Links: a column of the first file naming another file's ids, or a column of another file
  // listing lead ids.
  std::vector<std::string> links = options.links;
  for (const auto& r : options.input_roles) {
    if (!r.link.empty()) links.push_back(r.link);
  }
  const std::vector<std::string>& first = headers.front();
  Schema first_schema = detect_schema(first, model, given.front().columns, files.front());
  const std::string first_id = first[static_cast<std::size_t>(first_schema.id)];
  std::vector<const PlannedInput*> primaries;
  for (const auto& in : given) {
    if (in.primary) primaries.push_back(&in);
  }
  for (auto& in : given) {
    if (in.role != InputRole::evidence || in.primary) continue;
    // A lead list in this file: its id column.
    std::string list;
    for (const auto& l : links) {
      if (has(in.header, l)) list = l;
    }
    if (list.empty() && in.columns.id.empty()) {
      for (const auto& n : kLeadListNames) {
        if (has(in.header, n)) list = in.header[static_cast<std::size_t>(column_of(in.header, n))];
      }
    }
    if (!list.empty()) {
      in.columns.id = list;
      in.id_list = ';';
      detect_schema(in.header, model, in.columns, in.path);
      continue;
    }
    Schema schema;
    try {
      schema = detect_schema(in.header, model, in.columns, in.path);
    } catch (const Error& e) {
      // No lead ids or no stages: a lookup when it shares a column with the leads' rows.
      const InputRoles* roles = roles_of(in.path);
      if (e.code() != ExitCode::schema || (roles != nullptr && roles->role == "evidence")) throw;
      if (shared_column(in.header, primaries).empty()) {
        throw Error(ExitCode::schema, fmt::format("{}; it shares no column with {}, so it is no lookup table either",
                                                  e.what(), files.front()));
      }
      in.role = InputRole::lookup;
      continue;
    }
    // Linked through a column of the first file: one --link names, or one whose name ends in
    // this file's id column name (Converted Opportunity ID -> Opportunity ID).
    const std::string own_id = normalize_name(in.header[static_cast<std::size_t>(schema.id)]);
    std::string out;
    for (const auto& l : links) {
      if (has(first, l)) out = first[static_cast<std::size_t>(column_of(first, l))];
    }
    if (out.empty() && !has(first, own_id)) {
      for (std::size_t c = 0; c < first.size(); ++c) {
        const std::string n = normalize_name(first[c]);
        if (static_cast<int>(c) != first_schema.id && n.size() > own_id.size() &&
            n.compare(n.size() - own_id.size(), own_id.size(), own_id) == 0) {
          out = first[c];
        }
      }
    }
    if (!out.empty()) {
      in.role = InputRole::linked;
      for (auto& p : given) {
        if (p.primary) p.link_out = out;
      }
    }
  }
  for (const auto& l : links) {
    bool found = std::any_of(given.begin(), given.end(), [&](const PlannedInput& in) { return has(in.header, l); });
    if (!found) {
      throw Error(ExitCode::schema, fmt::format("--link names column '{}', which no input has", l));
    }
  }

  // Lookup keys: given, or the first column the table shares with the leads' rows.
  std::vector<const PlannedInput*> evidence;
  for (const auto& in : given) {
    if (in.role != InputRole::lookup) evidence.push_back(&in);
  }
  for (auto& in : given) {
    if (in.role != InputRole::lookup) continue;
    if (in.key.empty()) in.key = shared_column(in.header, evidence);
    if (in.key.empty()) {
      throw Error(ExitCode::schema,
                  fmt::format("{}:1: lookup shares no column with the leads' rows (its header: {}); name its key "
                              "with key = \"COLUMN\" in an [[input]] table",
                              in.path, fmt::join(in.header, ", ")));
    }
  }

  // Every column the command line names is in some input.
  auto somewhere = [&](const std::string& name, std::string_view flag, bool lookups_too) {
    if (name.empty()) return;
    for (const auto& in : given) {
      if ((lookups_too || in.role != InputRole::lookup) && has(in.header, name)) return;
    }
    std::vector<std::string> columns;
    for (const auto& in : given) columns.insert(columns.end(), in.header.begin(), in.header.end());
    throw Error(ExitCode::schema,
                fmt::format("{} names column '{}', which is in no input{}", flag, name, did_you_mean(name, columns)));
  };
  somewhere(options.columns.id, "--id", false);
  somewhere(options.columns.stage, "--stage-col", false);
  somewhere(options.columns.time, "--time-col", false);
  for (const auto& pair : options.columns.stage_times) {
    auto eq = pair.find('=');
    if (eq != std::string::npos) somewhere(pair.substr(eq + 1), "--stage-time", false);
  }
  for (const auto& by : options.columns.by) somewhere(by, "--by", true);
  if (options.columns.probability != "none") somewhere(options.columns.probability, "--probability-column", false);
  somewhere(options.amount, "--amount", false);

  // Lookups first (read whole before any row), then the files naming the leads, then the rest.
  for (auto& in : given) {
    if (in.role == InputRole::lookup) plan.inputs.push_back(in);
  }
  for (auto& in : given) {
    if (in.primary) plan.inputs.push_back(in);
  }
  for (auto& in : given) {
    if (in.role != InputRole::lookup && !in.primary) plan.inputs.push_back(in);
  }
  return plan;
}

void join_segments(Schema& schema, const std::vector<std::string>& by, const std::vector<LookupTable>& lookups) {
  schema.segments.clear();
  schema.looked_up.clear();
  for (std::size_t i = 0; i < by.size(); ++i) {
    int own = column_of(schema.header, by[i]);
    schema.segments.push_back(own);
    if (own >= 0) continue;
    for (const LookupTable& table : lookups) {
      const int key = column_of(schema.header, table.key_name());
      const int value = table.column(by[i]);
      if (key >= 0 && value >= 0) {
        schema.looked_up.push_back({i, key, &table, value});
        break;
      }
    }
  }
}

}  // namespace funnel
