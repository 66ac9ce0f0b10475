// Training exports for the profile-guided release build (FUNNEL_PGO, bench/pgo/README.md).
//
//   funnel_pgo_data DIR [LEADS]
//
// Writes DIR/events.csv (an event log: one row per stage entry, rows in time order with some
// arriving late, CRM stage spellings, lost rows, quoted company names) and DIR/leads.csv (one
// row per lead, a time column per stage), LEADS leads each (default 60000). Deterministic.
// The profile only has to show which paths are common in real exports (plain lines, ISO UTC
// times, a handful of stage spellings, ids of a prefix and digits, the occasional quoted
// field); it is not the benchmark's data (bench-kit/gen.py), and its numbers are not checked.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

namespace {

struct Rng {  // splitmix64
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  std::uint64_t below(std::uint64_t n) { return next() % n; }
};

struct Row {
  std::int64_t time;
  std::uint32_t lead;
  int stage;  // 0..4 funnel stages, 5 lost
};

constexpr const char* kStages[] = {"lead", "mql", "sql", "opportunity", "customer", "lost"};
constexpr const char* kSpellings[] = {"Lead", "MQL", "SQL", "Opportunity", "Closed Won", "Closed Lost"};
constexpr const char* kSources[] = {"google", "organic", "linkedin", "referral", "email", "partner", "event", ""};
constexpr const char* kWords[] = {"North", "Blue", "Prime", "Summit", "Rapid", "Urban", "Atlas", "Cedar"};
constexpr const char* kKinds[] = {"Labs", "Systems", "Data", "Retail", "Health", "Logistics"};

std::string iso(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string company(Rng& rng, std::uint32_t lead) {
  std::string name = std::string(kWords[lead % 8]) + " " + kKinds[(lead / 8) % 6];
  std::uint64_t r = rng.below(100);
  if (r < 6) return "\"" + name + ", Inc.\"";
  if (r < 7) return "\"" + name + " \"\"The Best\"\"\"";
  return name + " " + std::to_string(lead % 997);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: funnel_pgo_data DIR [LEADS]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::uint32_t leads = argc > 2 ? static_cast<std::uint32_t>(std::strtoul(argv[2], nullptr, 10)) : 60000;
  Rng rng{20261206};
  const std::int64_t start = 1704067200;  // 2024-01-01T00:00:00Z
  const double step_p[] = {0, 0.45, 0.5, 0.45, 0.35};
  const double delay_days[] = {0, 2, 6, 12, 20};

  std::vector<Row> rows;
  std::vector<std::array<std::int64_t, 5>> firsts(leads);
  std::vector<std::uint8_t> source(leads);
  for (std::uint32_t lead = 0; lead < leads; ++lead) {
    source[lead] = static_cast<std::uint8_t>(rng.below(100) == 0 ? 7 : rng.below(7));
    firsts[lead].fill(-1);
    std::int64_t t = start + static_cast<std::int64_t>(rng.below(540 * 86400));
    int reached = 0;
    while (reached < 4 && rng.unit() < step_p[reached + 1]) ++reached;
    for (int k = 0; k <= reached; ++k) {
      if (k > 0) t += static_cast<std::int64_t>(delay_days[k] * 86400 * (0.2 + 2 * rng.unit()));
      if (k > 0 && k < reached && rng.below(20) == 0) continue;  // a skipped stage
      firsts[lead][static_cast<std::size_t>(k)] = t;
      rows.push_back({t, lead, k});
      if (rng.below(50) == 0) rows.push_back({t + static_cast<std::int64_t>(rng.below(86400)), lead, k});  // repeat
    }
    if (reached < 4 && rng.below(10) < 7)
      rows.push_back({t + static_cast<std::int64_t>(rng.below(30 * 86400)), lead, 5});
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.time < b.time; });
  for (std::size_t i = 0; i + 1000 < rows.size(); i += 50)
    std::swap(rows[i], rows[i + 1 + rng.below(999)]);  // late rows

  std::FILE* events = std::fopen((dir + "/events.csv").c_str(), "w");
  std::FILE* wide = std::fopen((dir + "/leads.csv").c_str(), "w");
  if (events == nullptr || wide == nullptr) {
    std::perror(dir.c_str());
    return 1;
  }
  std::fputs("lead_id,stage,timestamp,source,company,amount\n", events);
  for (const Row& row : rows) {
    const bool crm_spelling = row.lead % 5 == 0;
    std::string amount = row.stage == 4 ? std::to_string(1000 + row.lead % 9000) + ".50" : "";
    std::fprintf(events, "L%09u,%s,%s,%s,%s,%s\n", row.lead * 7919u % 1000000000u,
                 crm_spelling ? kSpellings[row.stage] : kStages[row.stage], iso(row.time).c_str(),
                 kSources[source[row.lead]], company(rng, row.lead).c_str(), amount.c_str());
  }
  std::fputs("lead_id,source,company,lead_at,mql_at,sql_at,opportunity_at,customer_at,amount\n", wide);
  for (std::uint32_t lead = 0; lead < leads; ++lead) {
    std::fprintf(wide, "%u,%s,%s", 5000000u + lead * 13u, kSources[source[lead]], company(rng, lead).c_str());
    for (std::int64_t t : firsts[lead]) std::fprintf(wide, ",%s", t < 0 ? "" : iso(t).c_str());
    std::fprintf(wide, ",%s\n", firsts[lead][4] < 0 ? "" : "2500.00");
  }
  if (std::fclose(events) != 0 || std::fclose(wide) != 0) {
    std::perror(dir.c_str());
    return 1;
  }
  return 0;
}
