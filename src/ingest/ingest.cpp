#include "funnel/ingest.h"

#include <exception>
#include <filesystem>
#include <limits>
#include <thread>

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "attributes.h"
#include "batch_queue.h"
#include "funnel/joins.h"
#include "funnel/lead_path.h"
#include "funnel/lookup.h"
#include "funnel/time_reader.h"
#include "reader.h"
#include "row_batch.h"
#include "warnings.h"

namespace funnel {
namespace {

using ingest_detail::AmbiguousAmount;
using ingest_detail::AmountConflicts;
using ingest_detail::BatchQueue;
using ingest_detail::LeadAmount;
using ingest_detail::Reader;
using ingest_detail::RowBatch;

/// Thrown on the reading thread when the applying thread has stopped.
struct Cancelled {};

/// The bytes an input holds from where it stands: a file's size, stdin's when it is
/// redirected from a file (`funnel - < FILE`); 0 for a pipe or an error.
std::uintmax_t bytes_ahead(const std::string& path, const std::istream* stdin_stream) {
  if (path != "-") {
    std::error_code error;
    const std::uintmax_t size = std::filesystem::file_size(path, error);
    return error ? 0 : size;
  }
  struct stat st;
  if (stdin_stream != nullptr || ::fstat(0, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  const off_t at = ::lseek(0, 0, SEEK_CUR);
  return at >= 0 && at <= st.st_size ? static_cast<std::uintmax_t>(st.st_size - at) : 0;
}

/// Churn and own probabilities, which the extractor kept by lead id, by lead index.
void collect_side_evidence(LeadData& data, const EventExtractor& extractor) {
  const LeadStore& store = *data.store;
  if (extractor.churn_evidence()) {
    data.churn.assign(store.size(), std::nullopt);
    for (const auto& [id, time] : extractor.churned()) {
      if (auto lead = store.find(id)) data.churn[*lead] = time;
    }
  }
  if (!extractor.probabilities().empty()) {
    data.probabilities.assign(store.size(), std::numeric_limits<double>::quiet_NaN());
    for (const auto& [id, p] : extractor.probabilities()) {
      if (auto lead = store.find(id)) data.probabilities[*lead] = p.value;
    }
  }
  data.input.invalid_probabilities = extractor.invalid_probabilities();
}

/// Reads on this thread and applies each batch as it fills.
void read_and_apply(Reader& reader, LeadStore& store, std::vector<std::string>* labels,
                    std::vector<LeadAmount>* amounts, std::vector<AmbiguousAmount>* ambiguous,
                    AmountConflicts* conflicts) {
  RowBatch batch;
  reader.sink = [&](RowBatch* full) {
    full->apply(store, labels, amounts, ambiguous, conflicts);
    return full;
  };
  reader.run(&batch);
}

/// One thread reads and parses (with a helper for the pieces of a big file), this one
/// applies rows to the store: the store has one writer and needs no locks. Sixteen batches
/// (64K rows, about four pieces) in flight, so a piece parser seldom waits for a free batch.
void read_then_apply(Reader& reader, LeadStore& store, std::vector<std::string>* labels,
                     std::vector<LeadAmount>* amounts, std::vector<AmbiguousAmount>* ambiguous,
                     AmountConflicts* conflicts) {
  BatchQueue<RowBatch> queue(16);
  std::exception_ptr failure;
  reader.sink = [&](RowBatch* full) {
    queue.push_full(full);
    RowBatch* next = queue.take_free();
    if (next == nullptr) throw Cancelled{};
    return next;
  };
  std::thread thread([&] {
    try {
      reader.run(queue.take_free());
    } catch (const Cancelled&) {
    } catch (...) {
      failure = std::current_exception();
    }
    queue.finish();
  });
  try {
    while (RowBatch* batch = queue.take_full()) {
      batch->apply(store, labels, amounts, ambiguous, conflicts);
      queue.give_back(batch);
    }
  } catch (...) {
    queue.cancel();
    thread.join();
    throw;
  }
  thread.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

std::uint64_t likely_leads(std::uint64_t bytes, std::size_t columns) {
  // Exports hold 80 bytes a lead (wide, few columns) to thousands: a table too big costs
  // its pages, so the guess stays low.
  return bytes / std::max<std::uint64_t>(192, std::uint64_t{16} * columns);
}

LeadData ingest(const IngestOptions& options, std::istream* stdin_stream, Diagnostics& diagnostics) {
  LeadData data;
  data.zone = Zone(options.tz);
  data.model = StageModel::build(options.stages);
  data.segmented = !options.columns.by.empty();
  // --where columns ride on the segment key while reading (settle_attributes drops them).
  const bool keyed = data.segmented || !options.columns.attributes.empty();
  InputCounts& input = data.input;
  input.files = options.files.empty() ? std::vector<std::string>{"-"} : options.files;

  auto owned_store =
      std::make_shared<LeadStore>(data.model.size(), LeadStore::Keep{keyed, options.lead_activity});
  LeadStore& store = *owned_store;
  data.store = owned_store;
  store.set_last_touch(options.last_touch);
  // Room for as many leads as the files could hold (about one per 64 bytes): address space
  // only, so the lead records never move while they grow.
  std::uintmax_t bytes = 0;
  for (const auto& path : input.files) bytes += bytes_ahead(path, stdin_stream);
  if (bytes > 0) store.reserve(static_cast<std::size_t>(bytes / 64));  // a pipe: see LeadStore::insert
  std::vector<std::string>* labels = keyed ? &data.labels : nullptr;
  std::vector<LeadAmount> lead_amounts;
  std::vector<LeadAmount>* amounts = options.amount.empty() ? nullptr : &lead_amounts;
  std::vector<AmbiguousAmount> ambiguous;  // "1,234": settled once the column is read
  AmountConflicts conflicts;

  // A join: each input's role from its header; the lookups read whole before any row.
  const JoinPlan plan = plan_inputs(options, data.model);
  std::vector<LookupTable> lookups;
  input.joined = plan.joined;
  for (const PlannedInput& in : plan.inputs) {
    if (in.role != InputRole::lookup) continue;
    ReadOptions read{options.delimiter, options.encoding, options.lenient, options.skip_lines, options.trust_quotes};
    lookups.push_back(LookupTable::read(in.path, in.key, read, options.lookup_duplicates));
    const LookupTable& t = lookups.back();
    LookupFaults faults;
    faults.file = t.file();
    faults.key = t.key_name();
    faults.duplicates = t.duplicates;
    faults.first_duplicates = t.first_duplicates;
    faults.empty_keys = t.empty_keys;
    faults.first_empty = t.first_empty;
    input.lookups.push_back(std::move(faults));
    input.per_file.push_back({t.file(), "lookup", t.rows_read, t.rows_used, t.empty_keys + t.duplicates});
  }

  Reader reader(options, stdin_stream, data.model, input, keyed, TimeFormat::parse(options.date_format),
                &data.zone);
  reader.plan = &plan;
  reader.lookups = &lookups;
  reader.first_rejects = &data.first_rejects;
  if (!options.rejects.empty()) {
    data.rejects_csv = "file,line,reason,raw\n";
    reader.rejects_csv = &data.rejects_csv;
  }
  if (!options.trace_id.empty()) reader.trace = &data.trace;
  // The id table, from a low guess once the header is known (see likely_leads), on the
  // reading thread before it hands any row on.
  reader.columns_known = [&store, bytes](std::size_t columns) {
    store.expect_leads(static_cast<std::size_t>(likely_leads(bytes, columns)));
  };
  if (options.threads <= 1) {
    read_and_apply(reader, store, labels, amounts, &ambiguous, &conflicts);
  } else {
    read_then_apply(reader, store, labels, amounts, &ambiguous, &conflicts);
  }

  if (input.rows_read == 0) {
    throw Error(ExitCode::no_data,
                fmt::format("{}: header only: no data rows", input.files.size() == 1 ? reader.first_file() : "input"));
  }
  ingest_detail::warn_unknown_stages(*reader.extractor(), data.model, input.shape, diagnostics);
  input.placeholder_times = reader.extractor()->placeholders().cells;
  input.epoch_zero_times = reader.extractor()->epoch_zeros().cells;
  ingest_detail::warn_rows(data, options, *reader.extractor(), diagnostics);
  ingest_detail::warn_joins(input, diagnostics);
  input.ids = store.size();
  if (!options.amount.empty()) {
    // The column's decimal mark is known only now: it settles the ambiguous amounts.
    const DecimalMark mark = reader.amount_evidence().mark;
    for (const AmbiguousAmount& a : ambiguous) {
      if (lead_amounts.size() <= a.lead) lead_amounts.resize(std::size_t{a.lead} + 1);
      conflicts.add(lead_amounts[a.lead].offer(settle_amount(a.thousands, a.separator, mark), a.time, a.won_row, a.at));
    }
    input.conflicting_amounts = conflicts.count;
    data.amounts.assign(store.size(), ingest_detail::kNoAmount);
    for (std::size_t i = 0; i < lead_amounts.size(); ++i) data.amounts[i] = lead_amounts[i].value;
    ingest_detail::warn_amounts(input, reader.first_invalid_amount(), reader.amount_evidence(), options.amount,
                                diagnostics);
    ingest_detail::warn_amount_conflicts(conflicts, reader.amount_files(), options.amount, diagnostics);
  }
  collect_side_evidence(data, *reader.extractor());
  ingest_detail::warn_probabilities(*reader.extractor(), diagnostics);
  if (options.trace_id.empty()) store.release_index();  // only explain looks a lead up by id later
  data.header = reader.header();
  // Segment keys hold the --by values apart; labels join them for display.
  data.segment_values.reserve(data.labels.size());
  for (std::string& label : data.labels) {
    std::vector<std::string> values;
    for (std::size_t start = 0;;) {
      const std::size_t end = label.find(kSegmentValueSeparator, start);
      values.push_back(label.substr(start, end == std::string::npos ? std::string::npos : end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
    if (values.size() > 1) label = fmt::format("{}", fmt::join(values, " / "));
    data.segment_values.push_back(std::move(values));
  }
  ingest_detail::settle_attributes(data, store, options);
  return data;
}

}  // namespace funnel
