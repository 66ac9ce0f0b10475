#include "funnel/report.h"

#include <fmt/format.h>

#include "funnel/csv.h"

namespace funnel {
namespace {

bool same_header(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (normalize_name(a[i]) != normalize_name(b[i])) return false;
  }
  return true;
}

void warn_unknown_stages(const EventExtractor& extractor, const StageModel& model,
                         Diagnostics& diagnostics) {
  for (const auto& [value, u] : extractor.unknown_stages()) {
    std::string hint = did_you_mean(normalize_name(value), model.spellings());
    diagnostics.warn(fmt::format("{}:{}: unknown stage {} in {} row{} (not counted; add it with "
                                 "--alias STAGE={} or --lost){}",
                                 u.file, u.first_line, quote_cell(value), u.rows, u.rows == 1 ? "" : "s",
                                 value, hint));
  }
}

/// Rows waiting to be applied to the lead store. Ids are copied because a record's memory
/// is gone once the next record is read; batching lets the store overlap its cache misses.
class RowBatch {
 public:
  static constexpr std::size_t kRows = 256;

  bool full() const { return ends_.size() == kRows; }

  void add(const RowEvidence& row, std::uint32_t segment) {
    ids_.append(row.id);
    ends_.push_back(ids_.size());
    for (const Evidence& e : row.items) items_.push_back(e);
    item_ends_.push_back(items_.size());
    segments_.push_back(segment);
    touches_.push_back(row.touch);
  }

  void apply(LeadStore& store, const std::vector<std::string>* labels) {
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
      if (labels != nullptr) store.touch(leads_[i], segments_[i], touches_[i], *labels);
    }
    ids_.clear();
    ends_.clear();
    items_.clear();
    item_ends_.clear();
    segments_.clear();
    touches_.clear();
  }

 private:
  std::string ids_;
  std::vector<std::size_t> ends_, item_ends_;
  std::vector<Evidence> items_;
  std::vector<std::uint32_t> segments_;
  std::vector<Timestamp> touches_;
  std::vector<std::string_view> views_;
  std::vector<std::uint32_t> leads_;
};

}  // namespace

Report build_report(const ReportOptions& options, std::istream* stdin_stream, Diagnostics& diagnostics) {
  Report report{StageModel::build(options.stages), {}, {}, options.funnel, !options.columns.by.empty()};
  InputCounts& input = report.input;
  input.files = options.files.empty() ? std::vector<std::string>{"-"} : options.files;

  LeadStore store(report.model.size());
  std::vector<std::string> labels;
  StringMap<std::uint32_t> label_ids;
  std::vector<std::string> first_header;
  Schema schema;
  std::unique_ptr<EventExtractor> extractor;
  Record record;
  RowEvidence evidence;
  std::string first_file;
  RowBatch batch;
  std::uint32_t last_segment = 0;

  for (const auto& path : input.files) {
    RecordReader reader(path, stdin_stream, options.delimiter);
    if (reader.header().empty()) {
      throw Error(ExitCode::no_data, fmt::format("{}: empty input: no header line", reader.name()));
    }
    if (!extractor) {
      first_header = reader.header();
      first_file = reader.name();
      schema = detect_schema(first_header, report.model, options.columns, reader.name());
      extractor = std::make_unique<EventExtractor>(schema, report.model, options.strict_stages);
      input.delimiter = reader.dialect().delimiter;
      input.shape = schema.shape;
    } else if (!same_header(reader.header(), first_header)) {
      throw Error(ExitCode::schema,
                  fmt::format("{}:1: header differs from {}'s: several files must share one header",
                              reader.name(), first_file));
    }
    const std::string& name = reader.name();
    while (reader.next(record)) {
      ++input.rows_read;
      extractor->extract(record, name, evidence);
      if (!evidence.reported.empty()) {
        ++input.rows_reported;
        ++input.reported_by_reason[std::string(evidence.reported)];
        continue;
      }
      ++input.rows_used;
      std::uint32_t segment = 0;
      if (report.segmented) {
        if (labels.empty() || evidence.segment != labels[last_segment]) {
          auto it = label_ids.find(evidence.segment);
          if (it == label_ids.end()) {
            it = label_ids.emplace(std::string(evidence.segment), static_cast<std::uint32_t>(labels.size())).first;
            labels.emplace_back(evidence.segment);
          }
          last_segment = it->second;
        }
        segment = last_segment;
      }
      batch.add(evidence, segment);
      if (batch.full()) batch.apply(store, report.segmented ? &labels : nullptr);
    }
    batch.apply(store, report.segmented ? &labels : nullptr);
    input.blank_lines += reader.blank_lines();
  }
  if (input.rows_read == 0) {
    throw Error(ExitCode::no_data,
                fmt::format("{}: header only: no data rows", input.files.size() == 1 ? first_file : "input"));
  }
  warn_unknown_stages(*extractor, report.model, diagnostics);
  input.ids = store.size();
  report.tables = build_tables(store, report.model, labels, options.funnel);
  if (report.tables.segments.front().overall.leads == 0) {
    throw Error(ExitCode::no_data,
                fmt::format("no lead entered any stage: {} rows read, {} used, {} reported",
                            input.rows_read, input.rows_used, input.rows_reported));
  }
  return report;
}

}  // namespace funnel
