#include "funnel/report.h"

#include <algorithm>
#include <chrono>
#include <ostream>
#include <cmath>
#include <limits>
#include <map>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "funnel/csv.h"
#include "funnel/time_reader.h"

namespace funnel {
namespace {

/// Appends `text` as an RFC 4180 field: quoted (quotes doubled) when `always` or when it
/// holds a comma, quote or line break.
void append_csv_field(std::string& out, std::string_view text, bool always) {
  if (!always && text.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += text;
    return;
  }
  out += '"';
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

/// The index of a column named by an option; throws funnel::Error(ExitCode::schema).
int find_column(const std::vector<std::string>& header, const std::string& name, const char* option, const std::string& file) {
  int found = -1;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (normalize_name(header[i]) != normalize_name(name)) continue;
    if (found >= 0) throw Error(ExitCode::schema, fmt::format("{}:1: {}: two columns are named '{}'", file, option, name));
    found = static_cast<int>(i);
  }
  if (found < 0) {
    throw Error(ExitCode::schema, fmt::format("{}:1: {}: no column '{}' in the header{}", file, option, name,
                                              did_you_mean(name, header)));
  }
  return found;
}

void warn_unknown_stages(const EventExtractor& extractor, const StageModel& model, Shape shape,
                         Diagnostics& diagnostics) {
  std::vector<std::string> spellings;
  for (const auto& s : model.spellings()) spellings.push_back(normalize_name(s));
  for (const auto& [value, u] : extractor.unknown_stages()) {
    std::string hint = did_you_mean(normalize_name(value), spellings);
    // Only a printable value can be pasted back as an option.
    bool printable = std::all_of(value.begin(), value.end(), [](char c) {
      return static_cast<unsigned char>(c) >= 0x20 && c != '"' && c != 0x7f;
    });
    std::string fix = printable ? fmt::format("; name it with --alias \"STAGE={}\" or --lost \"{}\"", value, value) : "";
    diagnostics.warn(fmt::format("{}:{}: unknown stage {} in {} row{} ({}){}{}", u.file, u.first_line,
                                 quote_cell(value), u.rows, u.rows == 1 ? "" : "s",
                                 shape == Shape::snapshot ? "those deals count at the first stage only"
                                                          : "rows reported, not counted",
                                 fix, hint));
  }
}

constexpr double kNoAmount = std::numeric_limits<double>::quiet_NaN();

/// A lead's deal value so far: the amount on its won row, else its latest non-empty amount.
struct LeadAmount {
  double value = kNoAmount;
  Timestamp time = kNoTime;
  bool won = false;

  void offer(double amount, Timestamp t, bool won_row) {
    if (won && !won_row) return;
    bool take = std::isnan(value) || (won_row && !won);
    if (!take) {
      // Later rows win; untimed rows lose to timed ones; equal times keep the larger amount,
      // so the row order never matters.
      if (t != kNoTime && (time == kNoTime || t > time)) take = true;
      else if (t == time && amount > value) take = true;
    }
    if (take) {
      value = amount;
      time = t;
      won = won || won_row;
    }
  }
};

/// Rows on their way from the reader to the lead store. Ids are copied because a record's
/// memory is gone once the next record is read; a batch lets the store overlap its cache
/// misses, and lets reading and applying run on two threads.
class RowBatch {
 public:
  static constexpr std::size_t kRows = 4096;

  bool full() const { return ends_.size() == kRows; }
  bool empty() const { return ends_.empty(); }

  void add(const RowEvidence& row, std::uint32_t segment, double amount = kNoAmount, bool won_row = false) {
    amounts_.push_back(amount);
    won_rows_.push_back(won_row);
    ids_.append(row.id);
    ends_.push_back(ids_.size());
    for (const Evidence& e : row.items) items_.push_back(e);
    item_ends_.push_back(items_.size());
    segments_.push_back(segment);
    segment_empty_.push_back(row.segment_empty);
    touches_.push_back(row.touch);
  }

  /// Segment labels first seen in this batch, in id order.
  std::vector<std::string> new_labels;

  /// Applies the rows to the store; `labels` (may be null: no breakdown) receives the new labels.
  void apply(LeadStore& store, std::vector<std::string>* labels, std::vector<LeadAmount>* amounts = nullptr) {
    if (labels != nullptr) {
      for (auto& label : new_labels) labels->push_back(std::move(label));
    }
    const std::size_t n = ends_.size();
    views_.clear();
    std::size_t begin = 0;
    for (std::size_t end : ends_) {
      views_.emplace_back(ids_.data() + begin, end - begin);
      begin = end;
    }
    leads_.resize(n);
    store.intern_batch(views_.data(), n, leads_.data());
    std::size_t item = 0;
    for (std::size_t i = 0; i < n; ++i) {
      for (; item < item_ends_[i]; ++item) store.add(leads_[i], items_[item].stage, items_[item].time);
      if (labels != nullptr) store.touch(leads_[i], segments_[i], segment_empty_[i], touches_[i], *labels);
      if (amounts != nullptr && !std::isnan(amounts_[i])) {
        if (amounts->size() <= leads_[i]) amounts->resize(std::size_t{leads_[i]} + 1);
        (*amounts)[leads_[i]].offer(amounts_[i], touches_[i], won_rows_[i]);
      }
    }
    clear();
  }

  void clear() {
    new_labels.clear();
    ids_.clear();
    ends_.clear();
    items_.clear();
    item_ends_.clear();
    segments_.clear();
    segment_empty_.clear();
    touches_.clear();
    amounts_.clear();
    won_rows_.clear();
  }

 private:
  std::string ids_;
  std::vector<std::size_t> ends_, item_ends_;
  std::vector<Evidence> items_;
  std::vector<std::uint32_t> segments_;
  std::vector<bool> segment_empty_;
  std::vector<Timestamp> touches_;
  std::vector<double> amounts_;
  std::vector<bool> won_rows_;
  std::vector<std::string_view> views_;
  std::vector<std::uint32_t> leads_;
};

/// The reading half: files -> records -> evidence -> batches handed to `sink`.
struct Reader {
  const ReportOptions& options;
  std::istream* stdin_stream;
  const StageModel& model;
  InputCounts& input;
  bool segmented;
  std::function<RowBatch*(RowBatch*)> sink;  ///< takes a full batch, returns an empty one

  Schema schema;
  std::unique_ptr<EventExtractor> extractor;
  std::string first_file;
  std::vector<RejectedRow>* first_rejects = nullptr;
  std::string* rejects_csv = nullptr;
  TimeFormat format;
  const Zone* zone = nullptr;

  void rejected(const std::string& file, const Reject& r) {
    ++input.rows_read;
    ++input.rows_reported;
    ++input.reported_by_reason[r.family];
    if (first_rejects->size() < 5) first_rejects->push_back({file, r.line, r.reason});
    if (rejects_csv != nullptr) {
      auto cell = [](std::string_view text) {
        std::string out;
        append_csv_field(out, text, true);
        return out;
      };
      *rejects_csv += fmt::format("{},{},{},{}\n", cell(file), r.line, cell(r.reason), cell(r.raw));
    }
  }

  static bool scientific(std::string_view id) {
    // Excel shows long numbers as 1.23457E+11 and saves them so: distinct ids merge.
    auto e = id.find_first_of("Ee");
    if (e == std::string_view::npos || e == 0 || e + 2 > id.size() || (id[e + 1] != '+' && id[e + 1] != '-')) return false;
    for (std::size_t i = 0; i < e; ++i) {
      if (!(std::isdigit(static_cast<unsigned char>(id[i])) || (id[i] == '.' && i > 0))) return false;
    }
    for (std::size_t i = e + 2; i < id.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(id[i]))) return false;
    }
    return true;
  }

  StringMap<std::uint32_t> label_ids;
  std::vector<std::string> first_labels;  // the first few labels, scanned before hashing

  std::uint32_t intern_label(std::string_view label, RowBatch* batch) {
    for (std::size_t i = 0; i < first_labels.size(); ++i) {
      if (first_labels[i] == label) return static_cast<std::uint32_t>(i);
    }
    auto it = label_ids.find(label);
    if (it != label_ids.end()) return it->second;
    auto id = static_cast<std::uint32_t>(label_ids.size());
    label_ids.emplace(std::string(label), id);
    if (first_labels.size() < 16) first_labels.emplace_back(label);
    batch->new_labels.emplace_back(label);
    return id;
  }

  /// A record whose dates wait for their column's day/month order, kept until it is known.
  struct PendingRow {
    std::string file;
    std::uint64_t line;
    std::vector<std::string> fields;
    int column;
  };
  std::deque<PendingRow> pending;
  static constexpr std::size_t kMaxPending = 100000;

  /// Turns one record into evidence and hands it on; false when it had to wait.
  std::vector<TraceRow>* trace = nullptr;
  int amount_column = -1;
  AmountReader amount_reader{options.decimal};
  std::string first_invalid_amount = {};

  void keep_trace(const Record& record, const std::string& file, const RowEvidence& evidence) {
    TraceRow row{file, record.line, {}, evidence.items, std::string(evidence.reported)};
    for (std::size_t i = 0; i < record.fields.size(); ++i) {
      if (i > 0) row.raw += ',';
      append_csv_field(row.raw, record.fields[i], false);
    }
    if (!row.reported.empty()) row.evidence.clear();
    trace->push_back(std::move(row));
  }

  bool take(const Record& record, const std::string& file, RowEvidence& evidence, RowBatch*& batch) {
    extractor->extract(record, file, evidence);
    if (evidence.pending_column >= 0) return false;
    if (trace != nullptr && evidence.id == options.trace_id) keep_trace(record, file, evidence);
    if (!evidence.reported.empty()) {
      ++input.rows_reported;
      ++input.reported_by_reason[std::string(evidence.reported)];
      return true;
    }
    ++input.rows_used;
    double amount = kNoAmount;
    bool won_row = false;
    if (amount_column >= 0) {
      std::string_view cell = static_cast<std::size_t>(amount_column) < record.fields.size()
                                  ? record.fields[static_cast<std::size_t>(amount_column)] : std::string_view();
      ParsedAmount parsed = amount_reader.read(cell);
      if (parsed.status == ParsedAmount::Status::ok) {
        amount = parsed.value;
      } else if (parsed.status == ParsedAmount::Status::invalid) {
        if (input.invalid_amounts++ == 0) {
          first_invalid_amount = fmt::format("{}:{}: column '{}': {} {}", file, record.line,
                                             schema.header[static_cast<std::size_t>(amount_column)], parsed.problem, quote_cell(cell));
        }
      }
      for (const Evidence& e : evidence.items) won_row = won_row || e.stage == model.won();
    }
    if (evidence.id.size() > 2 && (evidence.id[1] == '.' || evidence.id[1] == 'E' || evidence.id[1] == 'e') &&
        scientific(evidence.id)) {
      ++input.scientific_ids;
    }
    std::uint32_t segment = segmented ? intern_label(evidence.segment, batch) : 0;
    batch->add(evidence, segment, amount, won_row);
    if (batch->full()) batch = sink(batch);
    return true;
  }

  void keep_pending(const Record& record, const std::string& file, int column) {
    if (pending.size() == kMaxPending) ambiguous_dates();
    PendingRow row{file, record.line, {}, column};
    for (auto field : record.fields) row.fields.emplace_back(field);
    pending.push_back(std::move(row));
  }

  /// Once a column has settled its order, the rows that waited are read again.
  void retry_pending(RowEvidence& evidence, RowBatch*& batch) {
    Record record;
    std::size_t n = pending.size();
    for (std::size_t i = 0; i < n; ++i) {
      PendingRow row = std::move(pending.front());
      pending.pop_front();
      record.line = row.line;
      record.fields.assign(row.fields.begin(), row.fields.end());
      if (!take(record, row.file, evidence, batch)) keep_pending(record, row.file, evidence.pending_column);
    }
  }

  [[noreturn]] void ambiguous_dates() const {
    const PendingRow& row = pending.front();
    const std::string& column = schema.header[static_cast<std::size_t>(row.column)];
    throw Error(ExitCode::bad_value,
                fmt::format("{}:{}: column '{}': cannot tell day from month in {} and {} other rows of "
                            "this column (every day is 12 or less); set --date-format dmy (day first) or "
                            "mdy (month first)",
                            row.file, row.line, column, quote_cell(row.fields[static_cast<std::size_t>(row.column)]),
                            pending.size() - 1));
  }

  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now(), last_shown = started;
  bool shown_progress = false;

  /// Long runs on a terminal: the rows read so far, at most once a second, after the first second.
  void show_progress() {
    auto now = std::chrono::steady_clock::now();
    if (now - started < std::chrono::seconds(1) || (shown_progress && now - last_shown < std::chrono::seconds(1))) return;
    last_shown = now;
    shown_progress = true;
    *options.progress << fmt::format("\rfunnel: {} rows read...", input.rows_read) << std::flush;
  }

  void run(RowBatch* batch) {
    std::vector<std::string> first_header;
    Record record;
    RowEvidence evidence;
    std::size_t settled = 0;
    for (const auto& path : input.files) {
      ReadOptions read{options.delimiter, options.encoding, options.lenient, options.skip_lines};
      RecordReader reader(path, stdin_stream, read);
      reader.on_reject([this, &reader](const Reject& r) { rejected(reader.name(), r); });
      if (reader.header().empty()) {
        throw Error(ExitCode::no_data, fmt::format("{}: empty input: no header line", reader.name()));
      }
      if (!extractor) {
        first_header = reader.header();
        first_file = reader.name();
        schema = detect_schema(first_header, model, options.columns, reader.name());
        extractor = std::make_unique<EventExtractor>(schema, model, options.strict_stages, format, zone);
        input.delimiter = reader.dialect().delimiter;
        if (!options.amount.empty()) amount_column = find_column(first_header, options.amount, "--amount", reader.name());
        input.shape = schema.shape;
      } else if (!same_header(reader.header(), first_header)) {
        throw Error(ExitCode::schema,
                    fmt::format("{}:1: header differs from {}'s: several files must share one header",
                                reader.name(), first_file));
      }
      const std::string& name = reader.name();
      while (reader.next(record)) {
        if ((++input.rows_read & 0xFFFF) == 0 && options.progress != nullptr) show_progress();
        if (!take(record, name, evidence, batch)) {
          keep_pending(record, name, evidence.pending_column);
        } else if (!pending.empty() && extractor->settled_columns() != settled) {
          settled = extractor->settled_columns();
          retry_pending(evidence, batch);
        }
      }
      input.blank_lines += reader.blank_lines();
      input.trailing_delimiters += reader.trailing_delimiters();
    }
    if (shown_progress) *options.progress << "\r\033[K" << std::flush;
    if (!pending.empty()) ambiguous_dates();
    input.guessed_amounts = amount_reader.guessed();
    if (extractor) {
      input.dst_gaps = extractor->dst_gaps();
      input.dst_overlaps = extractor->dst_overlaps();
    }
    sink(batch);
  }
};

/// Batches between the reading thread and the applying thread: a few in flight, the rest
/// recycled, so memory stays bounded whatever the input size.
class BatchQueue {
 public:
  explicit BatchQueue(std::size_t depth) {
    for (std::size_t i = 0; i < depth; ++i) {
      pool_.push_back(std::make_unique<RowBatch>());
      free_.push_back(pool_.back().get());
    }
  }
  RowBatch* take_free() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !free_.empty() || cancelled_; });
    if (cancelled_) return nullptr;
    RowBatch* b = free_.front();
    free_.pop_front();
    return b;
  }
  void push_full(RowBatch* b) {
    std::lock_guard lock(mutex_);
    full_.push_back(b);
    changed_.notify_all();
  }
  /// Null when the reader is done and every batch has been taken.
  RowBatch* take_full() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !full_.empty() || done_; });
    if (full_.empty()) return nullptr;
    RowBatch* b = full_.front();
    full_.pop_front();
    return b;
  }
  void give_back(RowBatch* b) {
    std::lock_guard lock(mutex_);
    free_.push_back(b);
    changed_.notify_all();
  }
  void finish() {
    std::lock_guard lock(mutex_);
    done_ = true;
    changed_.notify_all();
  }
  void cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    changed_.notify_all();
  }

 private:
  std::vector<std::unique_ptr<RowBatch>> pool_;
  std::deque<RowBatch*> free_, full_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool done_ = false, cancelled_ = false;
};

struct Cancelled {};

/// The earliest known stage time of a lead, or kNoTime.
Timestamp entry_of(const LeadStore& store, std::uint32_t lead) {
  Timestamp entry = kNoTime;
  for (int k = 0; k < store.stage_count(); ++k) {
    Timestamp t = store.entered(lead, k) ? store.first(lead, k) : kNoTime;
    if (t != kNoTime && (entry == kNoTime || t < entry)) entry = t;
  }
  return entry;
}

/// One funnel per entry period: leads are segmented by the local period of their entry.
void build_cohorts(Report& report, const LeadStore& store, const ReportOptions& options) {
  std::vector<std::string> labels;
  std::map<std::string, std::uint32_t> index;
  std::map<std::string, PeriodSpan> spans;
  std::vector<std::uint32_t> assignment(store.size(), kNoSegment);
  for (std::uint32_t lead = 0; lead < store.size(); ++lead) {
    Timestamp entry = entry_of(store, lead);
    if (entry == kNoTime) continue;
    PeriodSpan span = period_of(day_of(report.zone.to_local(entry)), options.every);
    auto [it, added] = index.emplace(span.label, static_cast<std::uint32_t>(labels.size()));
    if (added) {
      labels.push_back(span.label);
      spans.emplace(span.label, span);
    }
    assignment[lead] = it->second;
  }
  report.tables = build_tables(store, report.model, labels, options.funnel, &assignment);
  // A cohort is complete when its period, plus the conversion window, ended by the as-of time.
  Timestamp as_of_local = report.tables.as_of == kNoTime ? kNoTime : report.zone.to_local(report.tables.as_of);
  for (std::size_t s = 1; s < report.tables.segments.size(); ++s) {
    const PeriodSpan& span = spans.at(report.tables.segments[s].label);
    bool complete = as_of_local != kNoTime && span.end_day * 86400 + options.funnel.window <= as_of_local;
    report.cohorts.push_back({span.label, span.first_day, complete});
  }
}

/// Leads entering each stage per local period, by the stage's first entry time.
void build_trend(Report& report, const LeadStore& store, const ReportOptions& options) {
  const auto n = static_cast<std::size_t>(store.stage_count());
  std::map<std::int64_t, std::pair<std::string, std::vector<std::uint64_t>>> periods;
  const FunnelOptions& f = options.funnel;
  for (std::uint32_t lead = 0; lead < store.size(); ++lead) {
    for (std::size_t k = 0; k < n; ++k) {
      if (!store.entered(lead, static_cast<int>(k))) continue;
      Timestamp t = store.first(lead, static_cast<int>(k));
      if (t == kNoTime || (f.since != kNoTime && t < f.since) || (f.until != kNoTime && t >= f.until)) continue;
      PeriodSpan span = period_of(day_of(report.zone.to_local(t)), options.every);
      auto& slot = periods[span.first_day];
      if (slot.second.empty()) slot = {span.label, std::vector<std::uint64_t>(n, 0)};
      ++slot.second[k];
    }
  }
  if (periods.empty()) return;
  // Every period from the first to the last, quiet ones as zeros, so a series has no holes.
  for (std::int64_t day = periods.begin()->first; day <= periods.rbegin()->first;) {
    PeriodSpan span = period_of(day, options.every);
    auto it = periods.find(span.first_day);
    report.trend.periods.push_back(span.label);
    report.trend.first_days.push_back(span.first_day);
    report.trend.entered.push_back(it != periods.end() ? it->second.second : std::vector<std::uint64_t>(n, 0));
    day = span.end_day;
  }
}

/// --top N: the N segments with the most leads keep their label, the rest become "(other)".
FunnelTables build_top_tables(const LeadStore& store, const StageModel& model, const std::vector<std::string>& labels,
                              const ReportOptions& options, const std::vector<double>* amounts, const ChurnTimes* churn) {
  std::vector<std::uint64_t> leads(labels.size());
  for (std::uint32_t lead = 0; lead < store.size(); ++lead) {
    if (judge_lead(store, lead, options.funnel, kNoTime).excluded == Exclusion::none) ++leads[store.segment(lead)];
  }
  std::vector<std::uint32_t> order(labels.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  // Most leads first; equal counts in label byte order, so the cut is deterministic.
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return leads[a] != leads[b] ? leads[a] > leads[b] : labels[a] < labels[b];
  });
  std::vector<std::string> kept;
  std::vector<std::uint32_t> remap(labels.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (i < options.top_segments) {
      remap[order[i]] = static_cast<std::uint32_t>(kept.size());
      kept.push_back(labels[order[i]]);
    } else {
      remap[order[i]] = static_cast<std::uint32_t>(options.top_segments);
    }
  }
  kept.emplace_back("(other)");
  std::vector<std::uint32_t> assignment(store.size());
  for (std::uint32_t lead = 0; lead < store.size(); ++lead) assignment[lead] = remap[store.segment(lead)];
  FunnelTables tables = build_tables(store, model, kept, options.funnel, &assignment, amounts, churn);
  // "(other)" goes last, after the kept labels in byte order.
  auto other = std::find_if(tables.segments.begin() + 1, tables.segments.end(),
                            [](const SegmentTable& t) { return t.label == "(other)"; });
  if (other != tables.segments.end()) std::rotate(other, other + 1, tables.segments.end());
  return tables;
}

/// Churn and own probabilities, which the extractor kept by lead id, by lead index.
void collect_side_evidence(Report& report, const EventExtractor& extractor, Diagnostics& diagnostics) {
  const LeadStore& store = *report.store;
  if (extractor.churn_evidence()) {
    report.churn.assign(store.size(), std::nullopt);
    for (const auto& [id, time] : extractor.churned()) {
      if (auto lead = store.find(id)) report.churn[*lead] = time;
    }
  }
  if (!extractor.probabilities().empty()) {
    report.probabilities.assign(store.size(), std::numeric_limits<double>::quiet_NaN());
    for (const auto& [id, p] : extractor.probabilities()) {
      if (auto lead = store.find(id)) report.probabilities[*lead] = p.value;
    }
  }
  report.input.invalid_probabilities = extractor.invalid_probabilities();
  if (extractor.invalid_probabilities() > 0) {
    const std::uint64_t n = extractor.invalid_probabilities();
    diagnostics.warn(fmt::format("{}; {} probabilit{} not used (those leads fall back to their stage's probability)",
                                 extractor.first_invalid_probability(), n, n == 1 ? "y" : "ies"));
  }
}

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
  std::map<std::string, double> spend;
  AmountReader amounts(decimal);
  Record record;
  while (reader.next(record)) {
    auto field = [&](int i) {
      return static_cast<std::size_t>(i) < record.fields.size() ? trim_blanks(record.fields[static_cast<std::size_t>(i)]) : std::string_view();
    };
    ParsedAmount a = amounts.read(field(cost));
    if (a.status != ParsedAmount::Status::ok) {
      throw Error(ExitCode::bad_value, fmt::format("{}:{}: column '{}': {} {}", path, record.line, header[static_cast<std::size_t>(cost)],
                                                   a.status == ParsedAmount::Status::empty ? "no cost in" : a.problem, quote_cell(field(cost))));
    }
    std::string label(field(source));
    spend[label.empty() ? "(none)" : label] += a.value;
  }
  return spend;
}

/// Joins spend to the segments: cost per lead and per stage, CAC and ROI.
void join_spend(Report& report, const std::map<std::string, double>& spend) {
  double total = 0;
  for (const auto& [source, cost] : spend) total += cost;
  std::map<std::string, bool> used;
  for (SegmentTable& seg : report.tables.segments) {
    double cost = 0;
    if (seg.label == "(all)") {
      cost = total;
    } else if (auto it = spend.find(seg.label); it != spend.end()) {
      cost = it->second;
      used[seg.label] = true;
    } else {
      report.segments_without_spend.push_back(seg.label);
      continue;
    }
    Spend& s = seg.overall.spend;
    s.present = true;
    s.cost = cost;
    for (const StageRow& row : seg.stages) {
      s.per_stage.push_back(row.reached > 0 ? std::optional<double>(cost / static_cast<double>(row.reached)) : std::nullopt);
    }
    if (seg.overall.won > 0) s.cac = cost / static_cast<double>(seg.overall.won);
    if (seg.overall.money.present && cost > 0) s.roi = (seg.overall.money.won_revenue - cost) / cost;
  }
  for (const auto& [source, cost] : spend) {
    if (!used.count(source)) report.spend_unmatched.push_back(source);
  }
}

}  // namespace

Report build_report(const ReportOptions& options, std::istream* stdin_stream, Diagnostics& diagnostics) {
  Report report;
  report.zone = Zone(options.tz);
  report.model = StageModel::build(options.stages);
  report.options = options.funnel;
  report.segmented = !options.columns.by.empty();
  InputCounts& input = report.input;
  input.files = options.files.empty() ? std::vector<std::string>{"-"} : options.files;

  auto owned_store = std::make_shared<LeadStore>(report.model.size());
  LeadStore& store = *owned_store;
  report.store = owned_store;
  store.set_last_touch(options.last_touch);
  // Room for as many leads as the files could hold (about one per 64 bytes): address space
  // only, so the lead records never move while they grow.
  std::uintmax_t bytes = 0;
  for (const auto& path : input.files) {
    std::error_code error;
    if (path != "-") bytes += std::filesystem::file_size(path, error) * !error;
  }
  if (bytes > 0) store.reserve(static_cast<std::size_t>(bytes / 64));
  std::vector<std::string> labels;
  std::vector<std::string>* labels_out = report.segmented ? &labels : nullptr;
  std::vector<LeadAmount> lead_amounts;
  std::vector<LeadAmount>* amounts_out = options.amount.empty() ? nullptr : &lead_amounts;
  Reader reader{options, stdin_stream, report.model, input, report.segmented, {}, {}, {}, {},
                &report.first_rejects, options.rejects.empty() ? nullptr : &report.rejects_csv,
                TimeFormat::parse(options.date_format), &report.zone, {}, {}, {}};
  if (!options.rejects.empty()) report.rejects_csv = "file,line,reason,raw\n";
  if (!options.trace_id.empty()) reader.trace = &report.trace;

  if (options.threads <= 1) {
    RowBatch batch;
    reader.sink = [&](RowBatch* full) {
      full->apply(store, labels_out, amounts_out);
      return full;
    };
    reader.run(&batch);
  } else {
    // One thread reads and parses, this one applies rows to the store.
    BatchQueue queue(4);
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
        batch->apply(store, labels_out, amounts_out);
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

  if (input.rows_read == 0) {
    throw Error(ExitCode::no_data,
                fmt::format("{}: header only: no data rows", input.files.size() == 1 ? reader.first_file : "input"));
  }
  warn_unknown_stages(*reader.extractor, report.model, input.shape, diagnostics);
  for (const auto& r : report.first_rejects) {
    diagnostics.warn(fmt::format("{}:{}: skipped: {}", r.file, r.line, r.reason));
  }
  std::uint64_t malformed = 0;
  std::string unused;
  for (const auto& [reason, count] : input.reported_by_reason) {
    if (reason == "empty lead id" || reason == "empty stage" || reason == "no stage date") {
      unused += fmt::format("{}{} {}", unused.empty() ? "" : ", ", count, reason);
    } else if (reason != "unknown stage") {
      malformed += count;
    }
  }
  if (!unused.empty()) diagnostics.warn(fmt::format("rows not used: {}", unused));
  if (malformed > report.first_rejects.size()) {
    diagnostics.warn(fmt::format("{} records skipped in all (see the JSON's reported_by_reason{})", malformed,
                                 options.rejects.empty() ? ", or write them with --rejects FILE" : ""));
  }
  if (input.trailing_delimiters > 0) {
    diagnostics.warn(fmt::format("{} rows end with an extra delimiter; the empty last field was dropped",
                                 input.trailing_delimiters));
  }
  if (input.dst_gaps + input.dst_overlaps > 0) {
    diagnostics.warn(fmt::format("{} times fell in a daylight-saving gap (read as after the jump) and {} in "
                                 "an overlap (the earlier one taken) in {}",
                                 input.dst_gaps, input.dst_overlaps, report.zone.name()));
  }
  if (input.scientific_ids > 0) {
    diagnostics.warn(fmt::format("{} rows have a lead id in scientific notation (like 1.23457E+11): Excel "
                                 "rounded them, so different leads may have merged; export ids as text",
                                 input.scientific_ids));
  }
  input.ids = store.size();
  if (!options.amount.empty()) {
    report.amounts.assign(store.size(), kNoAmount);
    for (std::size_t i = 0; i < lead_amounts.size(); ++i) report.amounts[i] = lead_amounts[i].value;
    if (input.invalid_amounts > 0) {
      diagnostics.warn(fmt::format("{}; {} amount{} not used (negative, not a number, or not finite)",
                                   reader.first_invalid_amount, input.invalid_amounts, input.invalid_amounts == 1 ? "" : "s"));
    }
    if (input.guessed_amounts > 0) {
      diagnostics.warn(fmt::format("{} amounts like 1,234 were read with the separator as thousands before the column "
                                   "showed its decimal mark; set --decimal . or , to be sure", input.guessed_amounts));
    }
  }
  const std::vector<double>* amounts = options.amount.empty() ? nullptr : &report.amounts;
  collect_side_evidence(report, *reader.extractor, diagnostics);
  const ChurnTimes* churn = report.churn.empty() ? nullptr : &report.churn;
  report.header = reader.schema.header;
  report.labels = labels;
  report.kind = options.kind;
  report.every = options.every;
  if (options.kind == ReportKind::funnel && options.top_segments > 0 && labels.size() > options.top_segments) {
    report.tables = build_top_tables(store, report.model, labels, options, amounts, churn);
  } else if (options.kind == ReportKind::funnel) {
    report.tables = build_tables(store, report.model, labels, options.funnel, nullptr, amounts, churn);
  } else if (options.kind == ReportKind::cohorts) {
    build_cohorts(report, store, options);
  } else {
    report.tables = build_tables(store, report.model, {}, options.funnel);
    build_trend(report, store, options);
  }
  if (!options.spend.empty()) {
    if (!report.segmented) {
      throw Error(ExitCode::usage, "--spend joins costs to segments: add --by with the column holding the source");
    }
    join_spend(report, read_spend(options.spend, options.decimal));
    if (!report.spend_unmatched.empty()) {
      diagnostics.warn(fmt::format("{}: no lead has source {}: its cost counts only in (all)", options.spend,
                                   fmt::join(report.spend_unmatched, ", ")));
    }
    if (!report.segments_without_spend.empty()) {
      diagnostics.warn(fmt::format("{}: no cost for {}: those leads still count in (all)", options.spend,
                                   fmt::join(report.segments_without_spend, ", ")));
    }
  }
  if (report.tables.segments.front().overall.leads == 0) {
    throw Error(ExitCode::no_data,
                fmt::format("no lead entered any stage: {} rows read, {} used, {} reported",
                            input.rows_read, input.rows_used, input.rows_reported));
  }
  return report;
}

}  // namespace funnel
