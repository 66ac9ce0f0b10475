// libFuzzer target: the whole CLI in process, `funnel COMMAND ARGS... -` with the bytes after
// the first as stdin. The first byte picks the command line (byte % 32; seed files start with
// '@' for set 0, 'A' for 1, ... '_' for 31, so they stay readable). Any exit code is fine
// except 70 (ExitCode::internal: an exception that was not a funnel::Error); a crash or a
// sanitizer report is a bug too.
// FUNNEL_FUZZ_VERBOSE=1 prints each run's arguments, exit code and stderr (for triage).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "funnel/cli.h"
#include "funnel/input.h"

#include "funnel/csv.h"
#include "big_buffers.h"  // 48 MiB LineReader buffers: keep them between inputs

namespace {

using Args = std::initializer_list<const char*>;

// Every set is run as: funnel ARGS... -   (no option may write a file: no -o, --rejects)
const Args kCommandLines[] = {
    {"report", "-f", "json"},                                                          // @
    {"report", "-f", "json", "--by", "source"},                                        // A
    {"report", "-f", "csv", "--shape", "long"},                                        // B
    {"report", "-f", "json", "--shape", "wide"},                                       // C
    {"report", "-f", "json", "--shape", "snapshot"},                                   // D
    {"report", "-f", "markdown", "--count", "ordered"},                                // E
    {"report", "-f", "table", "--threads", "1"},                                       // F
    {"report", "-f", "tsv", "--count", "ordered", "--by", "source", "--by", "owner"},  // G
    {"report", "-f", "csv", "--preset", "hubspot"},                                    // H
    {"report", "-f", "json", "--preset", "salesforce", "--shape", "snapshot"},         // I
    {"report", "-f", "csv", "--as-of", "2024-03-01", "--stale", "12h"},                // J
    {"report", "-f", "json", "--strict-stages", "-q"},                                 // K
    {"report", "-f", "csv", "--stages", "lead,mql,sql,won", "--tofu", "lead", "--mofu", "mql,sql", "--bofu", "won",
     "--alias", "won=closed won", "--lost", "closed lost"},                               // L
    {"report", "-f", "json", "-d", ";"},                                                  // M
    {"report", "-f", "csv", "--id", "id", "--stage-col", "stage", "--time-col", "time"},  // N
    {"report", "-f", "json", "--shape", "wide", "--stage-time", "lead=lead_at", "--stage-time", "customer=customer_at",
     "--by", "source", "--threads", "1"},                                                           // O
    {"report", "-f", "json", "--lenient"},                                                          // P
    {"report", "-f", "csv", "--lenient", "--encoding", "cp1252", "--threads", "1"},                 // Q
    {"report", "-f", "json", "--date-format", "dmy", "--tz", "Europe/Oslo"},                        // R
    {"report", "-f", "csv", "--date-format", "mdy", "--tz", "America/New_York", "--lenient"},       // S
    {"report", "-f", "json", "--date-format", "epoch"},                                             // T
    {"report", "-f", "json", "--date-format", "epoch_ms", "--by", "source"},                        // U
    {"report", "-f", "csv", "--date-format", "excel", "--tz", "Asia/Kolkata"},                      // V
    {"report", "-f", "json", "--date-format", "%d.%m.%Y %H:%M"},                                    // W
    {"report", "-f", "json", "--window", "30d", "--since", "2024-01-01", "--until", "2024-06-01"},  // X
    {"report", "-f", "csv", "--skip-lines", "1", "--encoding", "latin1"},                           // Y
    {"cohorts", "-f", "json", "--every", "week"},                                                   // Z
    {"cohorts", "-f", "csv", "--every", "month", "--tz", "Europe/Oslo", "--window", "14d"},         // [
    {"trend", "-f", "json", "--every", "quarter"},                                                  // backslash
    {"trend", "-f", "markdown", "--every", "week", "--by", "source", "--tz", "Pacific/Auckland"},   // ]
    {"cohorts", "-f", "table", "--every", "quarter", "--count", "ordered", "--threads", "1"},       // ^
    {"trend", "-f", "tsv", "--every", "month", "--date-format", "dmy", "--lenient"},                // _
};
constexpr std::size_t kCount = sizeof kCommandLines / sizeof kCommandLines[0];
static_assert(kCount == 32, "seed file names assume 32 command lines ('@' .. '_')");

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The decoder's default 1 MiB chunk is a 1 MiB zero-filled string per input: under ASan a
  // quarter of the run time. Inputs below 64 KiB are still decoded in one chunk, as funnel
  // decodes them (fuzz_records checks that smaller chunks change nothing).
  funnel::TextDecoder::set_chunk_size(std::size_t{64} << 10);
  funnel::RecordReader::set_block_bytes(std::size_t{64} << 10);  // the line layer's blocks, likewise
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t which = data[0] % kCount;
  std::vector<const char*> argv{"funnel"};
  argv.insert(argv.end(), kCommandLines[which].begin(), kCommandLines[which].end());
  argv.push_back("-");

  std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  std::ostringstream out, err;
  funnel::Streams streams{&in, out, err, false, false};
  int rc = funnel::run(static_cast<int>(argv.size()), argv.data(), streams);

  static const bool verbose = std::getenv("FUNNEL_FUZZ_VERBOSE") != nullptr;
  if (verbose || rc == 70) {
    std::string line;
    for (const char* a : argv) line += std::string(a) + ' ';
    std::string message = err.str();
    std::fprintf(stderr, "fuzz_pipeline: set %zu ('%c'): %s-> rc %d\n%s", which, static_cast<char>('@' + which),
                 line.c_str(), rc, message.c_str());
  }
  if (rc == 70) std::abort();  // ExitCode::internal: a bug in funnel
  return 0;
}
