#include "reader.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <exception>
#include <map>
#include <ostream>
#include <utility>

#include <fmt/format.h>

#include "funnel/layouts.h"
#include "funnel/render.h"
#include "funnel/time_reader.h"
#include "in_order.h"

namespace funnel::ingest_detail {
namespace {

std::atomic<std::uint64_t> rows_before_pieces{16384};

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
int find_column(const std::vector<std::string>& header, const std::string& name, const char* option,
                const std::string& file) {
  int found = -1;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (normalize_name(header[i]) != normalize_name(name)) continue;
    if (found >= 0)
      throw Error(ExitCode::schema, fmt::format("{}:1: {}: two columns are named '{}'", file, option, name));
    found = static_cast<int>(i);
  }
  if (found < 0) {
    throw Error(ExitCode::schema, fmt::format("{}:1: {}: no column '{}' in the header{}", file, option, name,
                                              did_you_mean(name, header)));
  }
  return found;
}

/// Whether an id looks like a number Excel wrote in scientific notation.
bool scientific(std::string_view id) {
  // Excel shows long numbers as 1.23457E+11 and saves them so: distinct ids merge.
  auto e = id.find_first_of("Ee");
  if (e == std::string_view::npos || e == 0 || e + 2 > id.size() || (id[e + 1] != '+' && id[e + 1] != '-'))
    return false;
  for (std::size_t i = 0; i < e; ++i) {
    if (!(std::isdigit(static_cast<unsigned char>(id[i])) || (id[i] == '.' && i > 0))) return false;
  }
  for (std::size_t i = e + 2; i < id.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(id[i]))) return false;
  }
  return true;
}

}  // namespace

Reader::Reader(const IngestOptions& options, std::istream* stdin_stream, const StageModel& model, InputCounts& input,
               bool segmented, TimeFormat format, const Zone* zone)
    : options_(options),
      stdin_stream_(stdin_stream),
      model_(model),
      input_(input),
      segmented_(segmented),
      format_(std::move(format)),
      zone_(zone),
      amount_reader_(options.decimal) {}

/// What a piece parser made of one piece, waiting to be handed on in input order.
struct Reader::PieceResult {
  std::vector<RowBatch> batches;
  std::vector<std::string> labels;  ///< the piece's segment labels, by its own numbers
  InputCounts counts;
  std::vector<Reject> rejects;
  std::deque<PendingRow> pending;
  EventExtractor::Facts facts;  ///< unknown stages, churn, lead probabilities
  std::uint64_t dst_gaps = 0, dst_overlaps = 0;
  std::exception_ptr error;  ///< what stopped the piece (raised when its turn comes)
  Piece piece;               ///< its text, to read again if it began inside a record
  bool ran_off = false;      ///< its last record goes on in the next piece
  Piece unfinished;          ///< that record's text so far
};

void Reader::rejected(const std::string& file, const Reject& r) {
  ++input_.rows_read;
  ++input_.rows_reported;
  ++input_.rows_rejected;
  ++input_.reported_by_reason[r.family];
  if (first_rejects->size() < 5) first_rejects->push_back({file, r.line, r.reason});
  if (rejects_csv != nullptr) {
    auto cell = [](std::string_view text) {
      std::string out;
      append_csv_field(out, text, true);
      return out;
    };
    *rejects_csv +=
        fmt::format("{},{},{},{}\n", cell(formula_safe(file)), r.line, cell(r.reason), cell(formula_safe(r.raw)));
  }
}

/// A label's number, numbering it next (and adding it to `fresh`) on first sight.
std::uint32_t Reader::number_label(std::string_view label, std::vector<std::string>& fresh) {
  if (auto it = label_ids_.find(label); it != label_ids_.end()) return it->second;
  auto id = static_cast<std::uint32_t>(label_ids_.size());
  label_ids_.emplace(std::string(label), id);
  fresh.emplace_back(label);
  return id;
}

std::uint32_t Reader::intern_label(std::string_view label, RowBatch* batch) {
  if (const std::uint32_t* recent = recent_labels_.find(label)) return *recent;
  std::uint32_t id = number_label(label, batch->new_labels);
  recent_labels_.put(label, id);
  return id;
}

void Reader::keep_trace(const Record& record, const std::string& file, const RowEvidence& evidence) {
  TraceRow row{file, record.line, {}, evidence.items, std::string(evidence.reported)};
  for (std::size_t i = 0; i < record.fields.size(); ++i) {
    if (i > 0) row.raw += ',';
    append_csv_field(row.raw, record.fields[i], false);
  }
  if (!row.reported.empty()) row.evidence.clear();
  trace->push_back(std::move(row));
}

void Reader::note_amount(const ParsedAmount& parsed, std::string_view cell, const std::string& file,
                         std::uint64_t line) {
  AmountEvidence& e = amount_evidence_;
  if (parsed.shows == DecimalMark::dot && e.first_dot.empty()) e.first_dot = fmt::format("{}:{}", file, line);
  if (parsed.shows == DecimalMark::comma && e.first_comma.empty()) e.first_comma = fmt::format("{}:{}", file, line);
  if (parsed.ambiguous_separator != 0 && e.first_ambiguous.size() < AmountEvidence::kNamed) {
    e.first_ambiguous.push_back(fmt::format("{} at {}:{}", quote_cell(cell), file, line));
  }
}

/// Turns one record into evidence and hands it on; false when it had to wait.
bool Reader::take(const Record& record, const std::string& file, RowEvidence& evidence, RowBatch*& batch) {
  extractor_->extract(record, file, evidence);
  if (evidence.pending_column >= 0) return false;
  if (kind_ != FileKind::single && evidence.reported.empty()) resolve_leads(record, file, evidence);
  if (trace != nullptr) {
    // A join's row is the traced lead's when it is about that lead (a linked opportunity).
    const bool about = kind_ == FileKind::single || !evidence.reported.empty()
                           ? evidence.id == options_.trace_id
                           : std::find(leads_.begin(), leads_.end(), options_.trace_id) != leads_.end();
    if (about) keep_trace(record, file, evidence);
  }
  if (!evidence.reported.empty()) {
    ++tally_->rows_reported;
    const std::string reason(evidence.reported);
    ++tally_->reported_by_reason[reason];
    std::vector<SourceLine>& lines = tally_->first_reported[reason];
    if (lines.size() < InputCounts::kNamedLines) lines.push_back({file, record.line});
    return true;
  }
  ++tally_->rows_used;
  double amount = kNoAmount;
  bool won_row = false;
  char ambiguous = 0;
  if (amount_column_ >= 0) {
    std::string_view cell = static_cast<std::size_t>(amount_column_) < record.fields.size()
                                ? record.fields[static_cast<std::size_t>(amount_column_)]
                                : std::string_view();
    ParsedAmount parsed = amount_reader_.read(cell);
    if (parsed.status == ParsedAmount::Status::ok) {
      amount = parsed.value;
      ambiguous = parsed.ambiguous_separator;
      if (parsed.shows != DecimalMark::automatic || ambiguous != 0) note_amount(parsed, cell, file, record.line);
    } else if (parsed.status == ParsedAmount::Status::invalid) {
      if (tally_->invalid_amounts++ == 0) {
        first_invalid_amount_ =
            fmt::format("{}:{}: column '{}': {} {}", file, record.line,
                        schema_.header[static_cast<std::size_t>(amount_column_)], parsed.problem, quote_cell(cell));
      }
    }
    for (const Evidence& e : evidence.items) won_row = won_row || e.stage == model_.won();
  }
  if (evidence.id.size() > 2 && (evidence.id[1] == '.' || evidence.id[1] == 'E' || evidence.id[1] == 'e') &&
      scientific(evidence.id)) {
    ++tally_->scientific_ids;
  }
  std::uint32_t segment = segmented_ ? intern_label(evidence.segment, batch) : 0;
  AmountLine at;
  if (!std::isnan(amount)) {
    if (amount_files_.empty() || amount_files_.back() != file) amount_files_.push_back(file);
    at = {static_cast<std::uint32_t>(amount_files_.size() - 1), record.line};
  }
  if (kind_ == FileKind::single) {
    batch->add(evidence, segment, amount, won_row, ambiguous, at);
    if (batch->full()) batch = sink(batch);
    return true;
  }
  // A join's row may be about several leads (a deal's contacts): each takes its evidence and
  // an equal share of the amount.
  for (const auto& [miss, key] : evidence.lookup_misses) {
    const Schema::LookedUp& l = schema_.looked_up[miss];
    const auto index = static_cast<std::size_t>(l.table - lookups->data());
    if (tally_->lookups.size() <= index) tally_->lookups.resize(index + 1);
    LookupFaults& f = tally_->lookups[index];
    ++f.misses;
    if (f.first_misses.size() < InputCounts::kNamedLines) f.first_misses.push_back({file, record.line});
    if (f.missed_keys.size() < 5 && std::find(f.missed_keys.begin(), f.missed_keys.end(), key) == f.missed_keys.end())
      f.missed_keys.emplace_back(key);
  }
  const double share = std::isnan(amount) ? amount : amount / static_cast<double>(leads_.size());
  for (std::string_view lead : leads_) {
    evidence.id = lead;
    batch->add(evidence, segment, share, won_row, ambiguous, at);
    if (batch->full()) batch = sink(batch);
  }
  return true;
}

/// A join's row: the leads it is about, or why it is about none (evidence.reported).
void Reader::resolve_leads(const Record& record, const std::string& file, RowEvidence& evidence) {
  leads_.clear();
  JoinState& join = *join_;
  switch (kind_) {
    case FileKind::single: break;
    case FileKind::primary: {
      leads_.push_back(evidence.id);
      if (join.known.find(evidence.id) == join.known.end()) join.known.emplace(std::string(evidence.id), 0);
      if (schema_.link < 0) break;
      std::string_view target = trim_blanks(record.fields[static_cast<std::size_t>(schema_.link)]);
      if (target.empty() || is_null_id(target)) break;
      auto it = join.targets.try_emplace(std::string(target)).first;
      if (it->second.leads.empty()) it->second.first = {file, record.line};
      it->second.leads.emplace_back(evidence.id);
      break;
    }
    case FileKind::other:
      if (join.known.find(evidence.id) == join.known.end()) {
        evidence.reported = "unknown lead id";
      } else {
        leads_.push_back(evidence.id);
      }
      break;
    case FileKind::linked: {
      auto it = join.targets.find(evidence.id);
      if (it == join.targets.end()) {
        evidence.reported = "linked to no lead";
        break;
      }
      it->second.hit.store(true, std::memory_order_relaxed);
      for (const std::string& lead : it->second.leads) leads_.push_back(lead);
      break;
    }
    case FileKind::listed: {
      std::string_view list = evidence.id;
      std::uint64_t unknown = 0;  // counted only when the row is used for its other ids
      for (std::size_t start = 0; start <= list.size();) {
        std::size_t end = list.find(schema_.id_list, start);
        if (end == std::string_view::npos) end = list.size();
        std::string_view id = trim_blanks(list.substr(start, end - start));
        start = end + 1;
        if (id.empty()) continue;
        if (join.known.find(id) != join.known.end()) {
          leads_.push_back(id);
        } else {
          ++unknown;
        }
      }
      if (leads_.empty()) {
        evidence.reported = "unknown lead id";
      } else if (unknown > 0) {
        tally_->unknown_list_ids += unknown;
        if (tally_->first_unknown_list_ids.size() < InputCounts::kNamedLines)
          tally_->first_unknown_list_ids.push_back({file, record.line});
      }
      break;
    }
  }
}

void Reader::keep_pending(const Record& record, const std::string& file, int column) {
  if (pending_.size() == kMaxPending) ambiguous_dates();
  PendingRow row{file, record.line, {}, column};
  for (auto field : record.fields) row.fields.emplace_back(field);
  pending_.push_back(std::move(row));
}

/// Once a column has settled its order, the rows that waited are read again.
void Reader::retry_pending(RowEvidence& evidence, RowBatch*& batch) {
  Record record;
  std::size_t n = pending_.size();
  for (std::size_t i = 0; i < n; ++i) {
    PendingRow row = std::move(pending_.front());
    pending_.pop_front();
    record.line = row.line;
    record.fields.assign(row.fields.begin(), row.fields.end());
    if (!take(record, row.file, evidence, batch)) keep_pending(record, row.file, evidence.pending_column);
  }
}

void Reader::ambiguous_dates() const {
  const PendingRow& row = pending_.front();
  const std::string& column = schema_.header[static_cast<std::size_t>(row.column)];
  throw Error(ExitCode::bad_value,
              fmt::format("{}:{}: column '{}': cannot tell day from month in {} and {} other rows of "
                          "this column (every day is 12 or less); set --date-format dmy (day first) or "
                          "mdy (month first)",
                          row.file, row.line, column, quote_cell(row.fields[static_cast<std::size_t>(row.column)]),
                          pending_.size() - 1));
}

/// Counts the rows `reader` found with a trailing delimiter since `noted`, and names the
/// first lines, in input order.
void Reader::note_trailing(const RecordReader& reader, std::uint64_t& noted) {
  const std::uint64_t total = reader.trailing_delimiters();
  input_.trailing_delimiters += total - noted;
  const auto& lines = reader.first_trailing_lines();
  for (std::size_t i = noted; i < lines.size(); ++i) {
    if (input_.first_trailing.size() < InputCounts::kNamedLines)
      input_.first_trailing.push_back({reader.name(), lines[i]});
  }
  noted = total;
}

/// Long runs on a terminal: the rows read so far (a multiple of 65,536), at most once a
/// second, after the first second.
void Reader::show_progress() {
  auto now = std::chrono::steady_clock::now();
  if (now - started_ < std::chrono::seconds(1) || (shown_progress_ && now - last_shown_ < std::chrono::seconds(1)))
    return;
  last_shown_ = now;
  shown_progress_ = true;
  *options_.progress << fmt::format("\rfunnel: {} rows read...", input_.rows_read & ~std::uint64_t{0xFFFF})
                     << std::flush;
}

/// Another reader with what this one has learned, to parse pieces on another thread.
std::unique_ptr<Reader> Reader::piece_parser() const {
  auto parser = std::make_unique<Reader>(options_, stdin_stream_, model_, input_, segmented_, format_, zone_);
  parser->schema_ = schema_;
  parser->extractor_ = extractor_->clone();
  parser->first_file_ = first_file_;
  parser->spares_ = spares_;
  parser->kind_ = kind_;
  parser->join_ = join_;
  parser->plan = plan;
  parser->lookups = lookups;
  return parser;
}

/// Parses one piece with this (piece parser) reader; errors are kept, not thrown.
Reader::PieceResult Reader::parse_piece(const RecordReader& file, Piece piece, bool final_piece) {
  PieceResult r;
  RecordReader records(file, std::move(piece), final_piece);
  records.on_reject([&r](const Reject& reject) { r.rejects.push_back(reject); });
  tally_ = &r.counts;
  label_ids_.clear();
  recent_labels_ = {};
  RowBatch scratch = spares_->take();
  RowBatch* current = &scratch;
  sink = [&r, this](RowBatch* full) {
    r.batches.push_back(std::move(*full));
    *full = spares_->take();
    return full;
  };
  const std::uint64_t gaps = extractor_->dst_gaps(), overlaps = extractor_->dst_overlaps();
  const std::string& name = file.name();
  try {
    Record record;
    RowEvidence evidence;
    while (records.next(record)) {
      ++r.counts.rows_read;
      if (!take(record, name, evidence, current)) keep_pending(record, name, evidence.pending_column);
    }
  } catch (...) {
    r.error = std::current_exception();
  }
  if (!current->empty()) sink(current);
  spares_->give(std::move(*current));
  for (RowBatch& batch : r.batches) {
    for (auto& label : batch.new_labels) r.labels.push_back(std::move(label));
    batch.new_labels.clear();
  }
  r.facts = extractor_->take_facts();
  r.pending = std::exchange(pending_, {});
  r.dst_gaps = extractor_->dst_gaps() - gaps;
  r.dst_overlaps = extractor_->dst_overlaps() - overlaps;
  r.counts.blank_lines = records.blank_lines();
  r.counts.trailing_delimiters = records.trailing_delimiters();
  for (std::uint64_t line : records.first_trailing_lines()) r.counts.first_trailing.push_back({name, line});
  r.ran_off = records.ran_off_end();
  if (r.ran_off) r.unfinished = records.unfinished();
  r.piece = records.release_piece();
  return r;
}

/// Hands a piece's rows on (this is the file's reader; the caller holds the lock that
/// keeps pieces in input order). A piece that followed one whose last record ran on
/// began inside that record: it is read again from where the record starts.
void Reader::emit(PieceResult& r, Reader& parser, const RecordReader& file, RowBatch*& batch, RowEvidence& evidence,
                  std::size_t& settled, std::optional<Carry>& carry) {
  // While no quote comes the record cannot end (its quoted field stays open), so a piece
  // without one is only added to the record's text, which is parsed again once a quote
  // comes or its size has doubled: a quote left open over a whole file costs linear time
  // and one copy of the record, not a parse of the record so far for every piece.
  std::optional<Carry> record = std::exchange(carry, std::nullopt);  // the text parsed below views it
  if (record) {
    record->text.append(r.piece.text);
    if (r.piece.text.find('"') == std::string_view::npos && record->text.size() < record->parse_at) {
      for (RowBatch& rows : r.batches) spares_->give(std::move(rows));
      carry = std::move(record);
      return;
    }
    record->parse_at = 2 * record->text.size();
    r = parser.parse_piece(file, Piece{record->text, nullptr, record->first_line}, false);
  }
  if (r.error) std::rethrow_exception(r.error);
  const bool progress =
      options_.progress != nullptr && (input_.rows_read >> 16) != ((input_.rows_read + r.counts.rows_read) >> 16);
  input_.rows_read += r.counts.rows_read;
  input_.rows_used += r.counts.rows_used;
  input_.rows_reported += r.counts.rows_reported;
  input_.scientific_ids += r.counts.scientific_ids;
  input_.blank_lines += r.counts.blank_lines;
  input_.trailing_delimiters += r.counts.trailing_delimiters;
  for (const SourceLine& line : r.counts.first_trailing) {
    if (input_.first_trailing.size() < InputCounts::kNamedLines) input_.first_trailing.push_back(line);
  }
  for (const auto& [reason, count] : r.counts.reported_by_reason) input_.reported_by_reason[reason] += count;
  input_.unknown_list_ids += r.counts.unknown_list_ids;
  for (const SourceLine& line : r.counts.first_unknown_list_ids) {
    if (input_.first_unknown_list_ids.size() < InputCounts::kNamedLines) input_.first_unknown_list_ids.push_back(line);
  }
  if (input_.lookups.size() < r.counts.lookups.size()) input_.lookups.resize(r.counts.lookups.size());
  for (std::size_t i = 0; i < r.counts.lookups.size(); ++i) {
    LookupFaults& to = input_.lookups[i];
    const LookupFaults& from = r.counts.lookups[i];
    to.misses += from.misses;
    for (const SourceLine& line : from.first_misses) {
      if (to.first_misses.size() < InputCounts::kNamedLines) to.first_misses.push_back(line);
    }
    for (const std::string& key : from.missed_keys) {
      if (to.missed_keys.size() < 5 &&
          std::find(to.missed_keys.begin(), to.missed_keys.end(), key) == to.missed_keys.end())
        to.missed_keys.push_back(key);
    }
  }
  for (const auto& [reason, lines] : r.counts.first_reported) {
    std::vector<SourceLine>& kept = input_.first_reported[reason];
    for (const SourceLine& line : lines) {
      if (kept.size() < InputCounts::kNamedLines) kept.push_back(line);
    }
  }
  for (const Reject& reject : r.rejects) rejected(file.name(), reject);
  extractor_->merge_facts(std::move(r.facts));
  piece_dst_gaps_ += r.dst_gaps;
  piece_dst_overlaps_ += r.dst_overlaps;
  // The piece's label numbers become the report's, new labels numbered in input order.
  std::vector<std::uint32_t> remap;
  std::vector<std::string> fresh;
  for (const std::string& label : r.labels) remap.push_back(number_label(label, fresh));
  if (!batch->empty()) batch = sink(batch);  // rows that waited for their dates, read again
  for (RowBatch& rows : r.batches) {
    if (segmented_) rows.remap_segments(remap);
    rows.new_labels = std::exchange(fresh, {});
    std::swap(*batch, rows);  // `rows` now holds the emptied buffers of an applied batch
    batch = sink(batch);
    spares_->give(std::move(rows));
  }
  for (PendingRow& row : r.pending) {
    if (pending_.size() == kMaxPending) ambiguous_dates();
    pending_.push_back(std::move(row));
  }
  // A column may have settled on the other thread before this piece's rows came in.
  if (!pending_.empty() && (extractor_->settled_columns() != settled || (!r.pending.empty() && settled > 0))) {
    settled = extractor_->settled_columns();
    retry_pending(evidence, batch);
  }
  if (r.ran_off) {
    std::string text(r.unfinished.text);
    const std::size_t parse_at = 2 * text.size();
    carry = Carry{std::move(text), r.unfinished.first_line, parse_at};
  }
  if (progress) show_progress();
}

/// The rest of a file on two threads: each cuts the next piece off the input, parses it
/// with its own copy of the extractor, and hands the result on in input order, so every
/// count, label number, reject and error comes out as one thread would make it.
void Reader::read_in_pieces(RecordReader& file, RowBatch*& batch, RowEvidence& evidence, std::size_t& settled) {
  if (!batch->empty()) batch = sink(batch);  // the rows read so far go first
  std::optional<Carry> carry;
  auto first = piece_parser(), second = piece_parser();
  // Parsed pieces wait for their turn; no more than 8 are cut ahead of the next one handed on.
  constexpr std::uint64_t kAhead = 8;
  run_in_order<PieceResult>(
      std::vector<Reader*>{first.get(), second.get()}, kAhead,
      [&file](PieceResult& r) { return file.take_piece(r.piece); },
      [&file](Reader& parser, PieceResult& r) { r = parser.parse_piece(file, std::move(r.piece), false); },
      [&](Reader& parser, PieceResult& r) { emit(r, parser, file, batch, evidence, settled, carry); });
  if (carry) {  // a quote still open at the end of the input
    PieceResult last = first->parse_piece(file, Piece::of(std::move(carry->text), carry->first_line), true);
    carry.reset();
    emit(last, *first, file, batch, evidence, settled, carry);
  }
  Record record;
  while (file.next(record)) {  // nothing is left; this runs the end-of-input checks
  }
}

/// A file whose header is not the one read so far (a join's next object): its own schema and
/// extractor. The earlier extractor's facts are kept for the end; rows that waited for a
/// day/month order could not be settled by this file's columns.
void Reader::start_schema(const PlannedInput& in, const RecordReader& reader, std::size_t& settled) {
  if (extractor_) {
    if (!pending_.empty()) ambiguous_dates();
    piece_dst_gaps_ += extractor_->dst_gaps();
    piece_dst_overlaps_ += extractor_->dst_overlaps();
    retired_facts_.push_back(extractor_->take_facts());
    extractor_.reset();  // it refers to schema_, replaced next
    settled = 0;
  }
  schema_ = detect_schema(reader.header(), model_, in.columns, reader.name());
  amount_column_ = -1;
  if (plan != nullptr && plan->joined) {
    join_segments(schema_, options_.columns.by, *lookups);
    schema_.id_list = in.id_list;
    if (!in.link_out.empty()) schema_.link = find_column(reader.header(), in.link_out, "--link", reader.name());
    if (!options_.amount.empty() && std::any_of(reader.header().begin(), reader.header().end(), [&](const auto& h) {
          return normalize_name(h) == normalize_name(options_.amount);
        }))
      amount_column_ = find_column(reader.header(), options_.amount, "--amount", reader.name());
  } else if (!options_.amount.empty()) {
    amount_column_ = find_column(reader.header(), options_.amount, "--amount", reader.name());
  }
  extractor_ =
      std::make_unique<EventExtractor>(schema_, model_, options_.strict_stages, format_, zone_, options_.strict_cells);
}

/// The link cells no linked row answered, named in line order.
void Reader::finish_join() {
  std::vector<SourceLine> dangling;
  for (const auto& [id, target] : join_->targets) {
    if (!target.hit.load(std::memory_order_relaxed)) dangling.push_back(target.first);
  }
  input_.dangling_links = dangling.size();
  std::sort(dangling.begin(), dangling.end(), [](const SourceLine& a, const SourceLine& b) {
    return a.file != b.file ? a.file < b.file : a.line < b.line;
  });
  if (dangling.size() > InputCounts::kNamedLines) dangling.resize(InputCounts::kNamedLines);
  input_.first_dangling = std::move(dangling);
}

void Reader::run(RowBatch* batch) {
  Record record;
  RowEvidence evidence;
  std::size_t settled = 0;
  JoinPlan own;
  if (plan == nullptr) {
    for (const auto& path : input_.files)
      own.inputs.push_back({path, InputRole::evidence, true, {}, options_.columns, {}, 0, {}});
  }
  const JoinPlan& inputs = plan != nullptr ? *plan : own;
  const bool joined = inputs.joined;
  const bool linked = std::any_of(inputs.inputs.begin(), inputs.inputs.end(),
                                  [](const PlannedInput& in) { return in.role == InputRole::linked; });
  for (const PlannedInput& in : inputs.inputs) {
    if (in.role == InputRole::lookup) continue;
    ReadOptions read{options_.delimiter, options_.encoding, options_.lenient, options_.skip_lines,
                     options_.trust_quotes};
    RecordReader reader(in.path, stdin_stream_, read);
    reader.on_reject([this, &reader](const Reject& r) { rejected(reader.name(), r); });
    if (reader.header().empty()) {
      throw Error(ExitCode::no_data, fmt::format("{}: empty input: no header line", reader.name()));
    }
    if (!extractor_) {
      first_header_ = reader.header();
      first_file_ = reader.name();
      start_schema(in, reader, settled);
      if (columns_known) columns_known(first_header_.size());
      input_.delimiter = reader.dialect().delimiter;
      input_.shape = schema_.shape;
    } else if (joined && !same_header(reader.header(), schema_.header)) {
      start_schema(in, reader, settled);
    } else if (!same_header(reader.header(), first_header_)) {
      throw Error(ExitCode::schema, fmt::format("{}:1: header differs from {}'s: several files must share one header",
                                                reader.name(), first_file_));
    }
    if (joined) {
      kind_ = in.primary                     ? FileKind::primary
              : in.role == InputRole::linked ? FileKind::linked
              : in.id_list != 0              ? FileKind::listed
                                             : FileKind::other;
    }
    const std::uint64_t read_before = input_.rows_read, used_before = input_.rows_used,
                        reported_before = input_.rows_reported;
    const std::string& name = reader.name();
    // Two threads parse the rest of a big file, unless a row consumer needs the rows in order.
    const bool in_pieces = options_.threads >= 2 && !rows_need_order();
    std::uint64_t file_rows = 0;
    std::uint64_t noted_trailing = 0;
    while (reader.next(record)) {
      if ((++input_.rows_read & 0xFFFF) == 0 && options_.progress != nullptr) show_progress();
      if (!take(record, name, evidence, batch)) {
        keep_pending(record, name, evidence.pending_column);
      } else if (!pending_.empty() && extractor_->settled_columns() != settled) {
        settled = extractor_->settled_columns();
        retry_pending(evidence, batch);
      }
      if (++file_rows == rows_before_pieces.load() && in_pieces && reader.can_take_pieces()) {
        note_trailing(reader, noted_trailing);  // the rows before the pieces come first
        read_in_pieces(reader, batch, evidence, settled);
        break;
      }
    }
    input_.blank_lines += reader.blank_lines();
    note_trailing(reader, noted_trailing);
    if (joined) {
      if (!pending_.empty()) ambiguous_dates();
      input_.per_file.push_back({name, in.primary ? "leads" : std::string(role_name(in.role)),
                                 input_.rows_read - read_before, input_.rows_used - used_before,
                                 input_.rows_reported - reported_before});
    }
  }
  if (linked) finish_join();
  if (!retired_facts_.empty()) {  // every file's facts, in input order
    retired_facts_.push_back(extractor_->take_facts());
    for (auto& facts : retired_facts_) extractor_->merge_facts(std::move(facts));
  }
  if (shown_progress_) *options_.progress << "\r\033[K" << std::flush;
  if (!pending_.empty()) ambiguous_dates();
  amount_evidence_.mark = amount_reader_.column_mark();
  amount_evidence_.shown_dot = amount_reader_.shown(DecimalMark::dot);
  amount_evidence_.shown_comma = amount_reader_.shown(DecimalMark::comma);
  amount_evidence_.ambiguous = amount_reader_.ambiguous();
  // Ambiguous values are guesses when nothing decides the column, or when it shows both marks.
  const bool both = amount_evidence_.shown_dot > 0 && amount_evidence_.shown_comma > 0;
  if (amount_evidence_.mark == DecimalMark::automatic || both) input_.guessed_amounts = amount_evidence_.ambiguous;
  if (extractor_) {
    input_.dst_gaps = extractor_->dst_gaps() + piece_dst_gaps_;
    input_.dst_overlaps = extractor_->dst_overlaps() + piece_dst_overlaps_;
  }
  sink(batch);
}

}  // namespace funnel::ingest_detail

namespace funnel {

void set_rows_before_pieces(std::uint64_t rows) { ingest_detail::rows_before_pieces.store(rows < 1 ? 1 : rows); }

}  // namespace funnel
