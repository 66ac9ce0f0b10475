// libFuzzer target: the whole CLI in process, `funnel report ... -` with the bytes after the
// first as stdin. The first byte picks the arguments (byte % kVariants; seed files start with
// '@' for variant 0, 'A' for 1, ... 'O' for 15 so they stay readable). Any exit code is
// fine; a crash, a sanitizer report or exit code 70 (internal error) is a bug.
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

namespace {

using Args = std::initializer_list<const char*>;

// Every set is run as: funnel report ARGS... -
const Args kVariants[] = {
    {"-f", "json"},                                                          // @
    {"-f", "json", "--by", "source"},                                        // A
    {"-f", "csv", "--shape", "long"},                                        // B
    {"-f", "json", "--shape", "wide"},                                       // C
    {"-f", "json", "--shape", "snapshot"},                                   // D
    {"-f", "markdown", "--count", "ordered"},                                // E
    {"-f", "table", "--threads", "1"},                                       // F
    {"-f", "tsv", "--count", "ordered", "--by", "source", "--by", "owner"},  // G
    {"-f", "csv", "--preset", "hubspot"},                                    // H
    {"-f", "json", "--preset", "salesforce", "--shape", "snapshot"},         // I
    {"-f", "csv", "--as-of", "2024-03-01", "--stale", "12h"},                // J
    {"-f", "json", "--strict-stages", "-q"},                                 // K
    {"-f", "csv", "--stages", "lead,mql,sql,won", "--tofu", "lead", "--mofu", "mql,sql",
     "--bofu", "won", "--alias", "won=closed won", "--lost", "closed lost"},   // L
    {"-f", "json", "-d", ";"},                                               // M
    {"-f", "csv", "--id", "id", "--stage-col", "stage", "--time-col", "time"},  // N
    {"-f", "json", "--shape", "wide", "--stage-time", "lead=lead_at", "--stage-time",
     "customer=customer_at", "--by", "source", "--threads", "1"},            // O
};
constexpr std::size_t kVariantCount = sizeof kVariants / sizeof kVariants[0];

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Args& args = kVariants[data[0] % kVariantCount];
  std::vector<const char*> argv{"funnel", "report"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("-");

  std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  std::ostringstream out, err;
  funnel::Streams streams{&in, out, err, false, false};
  int rc = funnel::run(static_cast<int>(argv.size()), argv.data(), streams);
  static const bool verbose = std::getenv("FUNNEL_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    std::string line;
    for (const char* a : argv) line += std::string(a) + ' ';
    std::string message = err.str();
    std::fprintf(stderr, "%s-> rc %d\n%s", line.c_str(), rc, message.c_str());
  }
  if (rc == 70) {  // ExitCode::internal: an exception that was not a funnel::Error
    std::string message = err.str();
    std::fprintf(stderr, "fuzz_pipeline: exit code 70 (variant %zu): %s\n",
                 data[0] % kVariantCount, message.c_str());
    std::abort();
  }
  return 0;
}
