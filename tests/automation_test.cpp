// Automation: funnel leads and paths agree with the tables, a killed run leaves no partial
// file, a closed stdout ends quietly, and the cron and CI examples do what they say.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "support.h"

namespace fs = std::filesystem;
using funnel::test::read_file;
using funnel::test::run_cli;

namespace {

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::string cell;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        cells.push_back(cell);
        cell.clear();
      } else {
        cell += c;
      }
    }
    cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

/// A fresh directory under /tmp, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    char name[] = "/tmp/funnel-auto-XXXXXX";
    path = ::mkdtemp(name);
  }
  ~TempDir() { fs::remove_all(path); }
};

int shell(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const std::string kBinary = FUNNEL_BINARY;

/// A baseline far better than examples/crm_events.csv: every step drop is significant.
const char* kStrongBaseline =
    R"json({"schema_version": 1, "segments": [{"segment": "(all)", "stages": [{"stage": "lead", "reached": 1000},)json"
    R"json( {"stage": "mql", "reached": 950}, {"stage": "sql", "reached": 900}, {"stage": "opportunity", "reached": 850},)json"
    R"json( {"stage": "customer", "reached": 800}]}]})json";

}  // namespace

TEST_SUITE("automation") {
  TEST_CASE("funnel leads agrees with the report: leads by furthest stage sum to reached") {
    for (const char* args : {"", "--count ordered", "--window 10d"}) {
      CAPTURE(args);
      std::vector<std::string> extra;
      std::istringstream words(args);
      for (std::string w; words >> w;) extra.push_back(w);
      auto with = [&](std::vector<std::string> a) {
        a.insert(a.end(), extra.begin(), extra.end());
        a.push_back("examples/crm_events.csv");
        return run_cli(a);
      };
      auto leads = with({"leads"});
      auto report = with({"report", "-f", "csv"});
      REQUIRE(leads.rc == 0);
      REQUIRE(report.rc == 0);
      auto lead_rows = csv_rows(leads.out);
      auto report_rows = csv_rows(report.out);
      std::map<std::string, std::uint64_t> furthest, status_at;
      for (std::size_t i = 1; i < lead_rows.size(); ++i) {
        ++furthest[lead_rows[i][2]];
        ++status_at[lead_rows[i][2] + "/" + lead_rows[i][3]];
      }
      // report rows: segment,stage,section,reached,...,dropped,lost,open,stalled
      std::uint64_t running = 0;
      for (std::size_t i = report_rows.size() - 1; i >= 1; --i) {
        const auto& row = report_rows[i];
        running += furthest[row[1]];
        CHECK(std::to_string(running) == row[3]);
        if (i + 1 < report_rows.size()) {
          CHECK(std::to_string(status_at[row[1] + "/lost"]) == row[7]);
          CHECK(std::to_string(status_at[row[1] + "/open"]) == row[8]);
          CHECK(std::to_string(status_at[row[1] + "/stalled"]) == row[9]);
        }
      }
    }
  }

  TEST_CASE("the real binary gives one report whether it reads the file, stdin redirected from it, or a pipe") {
    TempDir dir;
    const std::string out = (dir.path / "out").string();
    const std::string file = "examples/crm_events.csv";
    const std::string expected = run_cli({"report", "-f", "csv", "--by", "source", file}).out;
    for (const char* how : {" FILE", " - < FILE", " - < FILE --threads 1"}) {
      CAPTURE(how);
      std::string args = how;
      args.replace(args.find("FILE"), 4, file);
      std::string name = out + std::to_string(args.size());
      REQUIRE(shell(kBinary + " report -f csv --by source" + args + " > " + name) == 0);
      CHECK(read_file(name) == expected);
    }
    REQUIRE(shell("cat " + file + " | " + kBinary + " report -f csv --by source - > " + out) == 0);
    CHECK(read_file(out) == expected);
  }

  TEST_CASE("funnel paths: counts sum to the leads, shares to one") {
    auto r = run_cli({"paths", "-f", "csv", "--top", "0", "examples/crm_events.csv"});
    REQUIRE(r.rc == 0);
    auto rows = csv_rows(r.out);
    std::uint64_t leads = 0;
    double share = 0;
    for (std::size_t i = 1; i < rows.size(); ++i) {
      leads += std::stoull(rows[i][1]);
      share += std::stod(rows[i][2]);
    }
    CHECK(leads == 12);
    CHECK(share == doctest::Approx(1.0).epsilon(1e-5));
    CHECK(rows.size() == 11);  // header + 10 distinct paths
  }

  TEST_CASE("a killed run leaves the previous output file whole and no temporary file") {
    TempDir dir;
    const fs::path out = dir.path / "report.csv";
    std::ofstream(out) << "previous report\n";
    // An endless export: funnel is killed while it reads.
    std::string command = fmt::format(
        "awk 'BEGIN {{ print \"lead_id,stage,timestamp\"; for (i = 0; ; i++) printf \"L%d,lead,2024-01-01\\n\", i }}' "
        "| "
        "({} report -f csv -o {} - & pid=$!; sleep 1; kill -9 $pid; wait $pid) 2>/dev/null; exit 0",
        kBinary, out.string());
    CHECK(shell(command) == 0);
    CHECK(read_file(out.string()) == "previous report\n");
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path)) ++files;
    CHECK(files == 1);
  }

  TEST_CASE("-o replaces the file only when the run succeeds") {
    TempDir dir;
    const fs::path out = dir.path / "report.json";
    std::ofstream(out) << "previous\n";
    auto bad = run_cli({"report", "-o", out.string(), "no-such-file.csv"});
    CHECK(bad.rc == 3);
    CHECK(read_file(out.string()) == "previous\n");
    auto good = run_cli({"report", "-f", "json", "-o", out.string(), "examples/crm_events.csv"});
    CHECK(good.rc == 0);
    CHECK(good.out.empty());
    CHECK(read_file(out.string()) == run_cli({"report", "-f", "json", "examples/crm_events.csv"}).out);
  }

  TEST_CASE("a closed stdout ends quietly") {
    TempDir dir;
    const fs::path input = dir.path / "big.csv";
    REQUIRE(shell(fmt::format("awk 'BEGIN {{ print \"lead_id,stage,timestamp\"; for (i = 0; i < 200000; i++) "
                              "printf \"L%d,lead,2024-01-01\\n\", i }}' > {}",
                              input.string())) == 0);
    const fs::path err = dir.path / "err.txt", first = dir.path / "first.txt";
    int rc =
        shell(fmt::format("{} leads {} 2>{} | head -1 > {}", kBinary, input.string(), err.string(), first.string()));
    CHECK(rc == 0);
    CHECK(read_file(first.string()).rfind("lead,counted,furthest,status", 0) == 0);
    CHECK(read_file(err.string()).empty());
  }

  TEST_CASE("the cron example writes reports, keeps a baseline and fails on a significant drop") {
    TempDir dir;
    const std::string env =
        fmt::format("FUNNEL={} FUNNEL_INPUT=examples/crm_events.csv FUNNEL_DIR={}", kBinary, dir.path.string());
    const fs::path out = dir.path / "out.txt";
    CHECK(shell(fmt::format("{} examples/cron/weekly-funnel.sh > {} 2>&1", env, out.string())) == 0);
    CHECK(read_file(out.string()).empty());  // quiet when all is well
    REQUIRE(fs::exists(dir.path / "baseline.json"));
    std::size_t reports = 0;
    for (const auto& entry : fs::directory_iterator(dir.path)) reports += entry.path().extension() == ".json";
    CHECK(reports == 2);  // this week's report and the baseline
    // The same numbers again: no drop, still quiet.
    CHECK(shell(fmt::format("{} examples/cron/weekly-funnel.sh > {} 2>&1", env, out.string())) == 0);
    CHECK(read_file(out.string()).empty());
    // A much better baseline: the drop is significant, cron gets exit 1 and the verdicts.
    std::ofstream(dir.path / "baseline.json") << kStrongBaseline;
    CHECK(shell(fmt::format("{} examples/cron/weekly-funnel.sh > {} 2>&1", env, out.string())) == 1);
    std::string verdicts = read_file(out.string());
    CHECK(verdicts.find("FAIL  mql->sql vs baseline") != std::string::npos);
    CHECK(read_file((dir.path / "baseline.json").string()) ==
          kStrongBaseline);  // a failed week is not the new baseline
  }

  TEST_CASE("the CI gate passes on the example, fails against a strong baseline, and writes JUnit") {
    TempDir dir;
    const fs::path junit = dir.path / "check.xml", log = dir.path / "log.txt";
    std::string env =
        fmt::format("FUNNEL={} FUNNEL_INPUT=examples/crm_events.csv FUNNEL_JUNIT={}", kBinary, junit.string());
    CHECK(shell(fmt::format("{} examples/ci/funnel-gate.sh > {} 2>&1", env, log.string())) == 0);
    CHECK(read_file(junit.string()).find("tests=\"3\" failures=\"0\"") != std::string::npos);
    CHECK(read_file(log.string()).find("funnel check: 0 of 3 checks failed") != std::string::npos);
    const fs::path baseline = dir.path / "baseline.json";
    std::ofstream(baseline) << kStrongBaseline;
    CHECK(shell(fmt::format("{} FUNNEL_BASELINE={} examples/ci/funnel-gate.sh > {} 2>&1", env, baseline.string(),
                            log.string())) == 1);
    std::string xml = read_file(junit.string());
    CHECK(xml.find("tests=\"7\" failures=\"4\"") != std::string::npos);
    CHECK(xml.find("<failure message=\"mql-&gt;sql vs baseline") != std::string::npos);
    // Both pipeline definitions run this gate, as the package installs it, and publish its JUnit file.
    for (const char* file : {"examples/ci/github-actions.yml", "examples/ci/gitlab-ci.yml"}) {
      CAPTURE(file);
      std::string yml = read_file(file);
      CHECK(yml.find("sh /usr/share/funnel/funnel-gate.sh") != std::string::npos);
      CHECK(yml.find("funnel-check.xml") != std::string::npos);
    }
  }

  TEST_CASE("a long run shows progress on a terminal's stderr, and only there") {
    TempDir dir;
    // 70,000 rows, a pause longer than the one-second grace, then 140,000 more rows.
    const std::string feed = fmt::format(
        "(awk 'BEGIN {{ print \"lead_id,stage,timestamp\"; for (i = 0; i < 70000; i++) printf "
        "\"L%d,lead,2024-01-01\\n\", i }}'; "
        "sleep 1.5; awk 'BEGIN {{ for (i = 70000; i < 210000; i++) printf \"L%d,lead,2024-01-01\\n\", i }}') | {} "
        "report -f csv -",
        kBinary);
    const fs::path script_file = dir.path / "feed.sh", out = dir.path / "tty.txt", plain = dir.path / "plain.txt";
    std::ofstream(script_file) << feed << " > /dev/null\n";
    // script(1) gives the run a terminal; what the terminal showed lands in `out`.
    REQUIRE(shell(fmt::format("script -qec 'sh {}' /dev/null > {} 2>&1", script_file.string(), out.string())) == 0);
    std::string shown = read_file(out.string());
    CHECK(shown.find("\rfunnel: ") != std::string::npos);
    CHECK(shown.find("536 rows read...") != std::string::npos);  // a multiple of 65,536 rows
    CHECK(shown.find("\033[K") != std::string::npos);            // the line is cleared at the end
    // Not a terminal: nothing on stderr.
    REQUIRE(shell(fmt::format("sh {} 2> {}", script_file.string(), plain.string())) == 0);
    CHECK(read_file(plain.string()).empty());
  }
}
