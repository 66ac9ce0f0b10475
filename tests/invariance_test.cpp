// The same rows must give the same numbers however they arrive: in any order, split over
// several files, read on one thread or two, and validated in blocks of any size.
#include <doctest/doctest.h>

#include <algorithm>
#include <ctime>
#include <random>

#include <fmt/format.h>

#include "funnel/input.h"
#include "support.h"

using funnel::test::run_cli;
using funnel::test::TempFile;

namespace {

/// A synthetic long export: skips, repeats, regressions, lost rows, quoted fields.
std::vector<std::string> synthetic_rows(int leads, unsigned seed) {
  std::mt19937 rng(seed);
  const char* stages[] = {"lead", "MQL", "sql", "Opportunity", "Closed Won"};
  const char* sources[] = {"google", "linkedin", "", "=cmd", "webinar"};
  std::vector<std::string> rows;
  for (int i = 0; i < leads; ++i) {
    int furthest = static_cast<int>(rng() % 5);
    long t = 1700000000L + static_cast<long>(rng() % 5000000);
    std::string id = fmt::format("L{}", i * 7919 % 100003);
    std::string source = sources[rng() % 5];
    for (int k = 0; k <= furthest; ++k) {
      if (k > 0 && k < furthest && rng() % 10 == 0) continue;  // skip
      t += static_cast<long>(rng() % 900000);
      time_t tt = t;
      char when[32];
      std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&tt));
      std::string note = rng() % 7 == 0 ? "\"a, \"\"quoted\"\"\nnote\"" : "plain";
      rows.push_back(fmt::format("{},{},{},{},{}", id, stages[k], when, source, note));
      if (rng() % 20 == 0) rows.push_back(rows.back());  // exact duplicate
    }
    if (furthest < 4 && rng() % 2 == 0)
      rows.push_back(fmt::format("{},Closed Lost,2024-02-01T00:00:00Z,{},x", id, source));
  }
  return rows;
}

std::string join(const std::vector<std::string>& rows, std::size_t begin, std::size_t end) {
  std::string out = "lead_id,stage,timestamp,source,note\n";
  for (std::size_t i = begin; i < end; ++i) {
    out += rows[i];
    out += '\n';
  }
  return out;
}

}  // namespace

TEST_SUITE("invariance") {
  TEST_CASE("shuffled rows, split files and one or two threads give the same report") {
    auto rows = synthetic_rows(3000, 7);
    std::string in_order = join(rows, 0, rows.size());
    const std::vector<std::string> args{"report", "--by", "source", "-f", "json", "-"};
    auto expected = run_cli(args, in_order);
    REQUIRE(expected.rc == 0);
    CHECK(expected.out.find("\"rows_read\": " + std::to_string(rows.size()) + ",") != std::string::npos);

    auto one_thread = run_cli({"report", "--threads", "1", "--by", "source", "-f", "json", "-"}, in_order);
    CHECK(one_thread.out == expected.out);

    auto shuffled = rows;
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(42));
    CHECK(run_cli(args, join(shuffled, 0, shuffled.size())).out == expected.out);

    // Split in three files: the JSON names the files, so compare the CSV instead.
    TempFile a(join(shuffled, 0, 1000)), b(join(shuffled, 1000, 2000)), c(join(shuffled, 2000, shuffled.size()));
    auto csv_one = run_cli({"report", "--by", "source", "-f", "csv", "-"}, in_order);
    auto csv_split = run_cli({"report", "--by", "source", "-f", "csv", a.path(), b.path(), c.path()});
    CHECK(csv_split.rc == 0);
    CHECK(csv_split.out == csv_one.out);
  }

  TEST_CASE("--where, --recode and --bucket: the same summary in any row order, on one thread or two (pieces)") {
    auto rows = synthetic_rows(8000, 11);  // over 16,384 rows: the rest of the file is read in pieces
    REQUIRE(rows.size() > 20000);
    const std::vector<std::string> args{"summary", "-f", "csv", "--by", "source", "--where",
                                        "note = plain or status = won", "--recode",
                                        "source: \"\" -> unknown; =cmd, webinar -> other", "-"};
    auto expected = run_cli(args, join(rows, 0, rows.size()));
    REQUIRE(expected.rc == 0);
    CHECK(expected.out.find("\nunknown,") != std::string::npos);
    CHECK(expected.out.find("\nother,") != std::string::npos);
    CHECK(expected.err.find("--where left out ") != std::string::npos);
    auto one = args;
    one.insert(one.begin() + 1, {"--threads", "1"});
    auto one_thread = run_cli(one, join(rows, 0, rows.size()));
    CHECK(one_thread.out == expected.out);
    CHECK(one_thread.err == expected.err);
    auto shuffled = rows;
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(5));
    auto again = run_cli(args, join(shuffled, 0, shuffled.size()));
    CHECK(again.out == expected.out);
    CHECK(again.err == expected.err);
  }

  TEST_CASE("the byte validator finds the same fault whatever the block size") {
    std::string text("id,name\n1,Ådne\n2,Zoë\n3,caf");
    text += '\xe9';  // Latin-1 é: not UTF-8
    text += ",x\n4,ok\n";
    for (std::size_t block : {1u, 2u, 3u, 7u, 8u, 9u, 64u}) {
      CAPTURE(block);
      funnel::ByteValidator v;
      for (std::size_t at = 0; at < text.size() && !v.failed(); at += block) {
        v.scan(text.data() + at, std::min(block, text.size() - at));
      }
      v.finish();
      REQUIRE(v.failed());
      CHECK(v.fault().line == 4);
      CHECK(v.fault().column == 6);
      CHECK(v.fault().what == "invalid UTF-8 byte 0xe9");
    }
  }

  TEST_CASE("a multi-byte character split across blocks is valid") {
    std::string text = "a,\xe2\x82\xac\xf0\x9f\x93\x88\n";
    for (std::size_t block = 1; block <= text.size(); ++block) {
      funnel::ByteValidator v;
      for (std::size_t at = 0; at < text.size(); at += block)
        v.scan(text.data() + at, std::min(block, text.size() - at));
      v.finish();
      CHECK_FALSE(v.failed());
    }
    funnel::ByteValidator cut;
    cut.scan("a,\xe2\x82", 4);
    cut.finish();
    CHECK(cut.failed());
  }
}

TEST_SUITE("invariance") {
  TEST_CASE("churn rows change no funnel number, only add the retention columns") {
    std::string with = funnel::test::read_file("examples/subscriptions.csv"), without;
    std::size_t churn_rows = 0;
    for (std::size_t begin = 0; begin < with.size();) {
      std::size_t end = with.find('\n', begin) + 1;
      std::string line = with.substr(begin, end - begin);
      bool churn =
          line.find(",churned,") != std::string::npos || line.find(",Cancelled Customer,") != std::string::npos;
      churn_rows += churn;
      if (!churn) without += line;
      begin = end;
    }
    REQUIRE(churn_rows == 2);
    TempFile plain(without);
    for (const char* threads : {"1", "2"}) {
      auto a = run_cli({"report", "-f", "csv", "--by", "plan", "--amount", "amount", "--threads", threads,
                        "examples/subscriptions.csv"});
      auto b =
          run_cli({"report", "-f", "csv", "--by", "plan", "--amount", "amount", "--threads", threads, plain.path()});
      REQUIRE(a.rc == 0);
      REQUIRE(b.rc == 0);
      // Drop the three retention columns from every line of the churn run.
      std::string trimmed;
      for (std::size_t begin = 0; begin < a.out.size();) {
        std::size_t end = a.out.find('\n', begin);
        std::string line = a.out.substr(begin, end - begin);
        for (int i = 0; i < 3; ++i) line.resize(line.rfind(','));
        trimmed += line + '\n';
        begin = end + 1;
      }
      CHECK(trimmed == b.out);
      CHECK(a.out.find(",churned,churn_rate,ltv_estimate\n") != std::string::npos);
      CHECK(b.out.find("churned") == std::string::npos);
    }
  }

  TEST_CASE("a snapshot deal whose stage or status says churned was won, and churned") {
    const std::string csv =
        "deal_id,stage,status,created_at,closed_at\n"
        "1,opportunity,open,2024-01-01,\n"
        "2,customer,won,2024-01-02,2024-01-20\n"
        "3,Churned,,2024-01-03,2024-01-25\n"
        "4,customer,churned,2024-01-04,2024-01-28\n";
    auto r = run_cli({"report", "-f", "json", "--shape", "snapshot", "-"}, csv);
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("\"overall\": {\"leads\": 4, \"won\": 3, \"lost\": 0, \"open\": 1,") != std::string::npos);
    CHECK(r.out.find("\"retention\": {\"churned\": 2, \"churn_rate\": 0.666667, \"ltv_estimate\": null, "
                     "\"churned_not_won\": 0}") != std::string::npos);
    CHECK(r.err.empty());
  }
}

TEST_SUITE("invariance") {
  TEST_CASE("snapshot rows that imply stages: no repeats, in any order and on one thread or two") {
    // 30,000 users over 4 page tables stacked (more than the rows a reading thread parses in
    // order, so the rest is cut into pieces): each user has a row for every page reached,
    // each implying the pages before it, as the e-commerce funnel export does. No row is
    // repeated, so no lead repeats a stage; every 97th user gets one true duplicate row.
    std::mt19937 rng(11);
    const char* pages[] = {"home", "search", "payment", "confirmation"};
    std::vector<std::string> rows;
    int duplicates = 0;
    for (int u = 0; u < 30000; ++u) {
      const int furthest = static_cast<int>(rng() % 4);
      for (int k = 0; k <= furthest; ++k) rows.push_back(fmt::format("U{},{}", u, pages[k]));
      if (u % 97 == 0) {
        rows.push_back(fmt::format("U{},{}", u, pages[furthest]));
        ++duplicates;
      }
    }
    auto csv = [](const std::vector<std::string>& r) {
      std::string out = "user_id,page\n";
      for (const auto& row : r) out += row + '\n';
      return out;
    };
    const std::vector<std::string> args{"report", "-f", "json", "--shape", "snapshot", "--id", "user_id", "--stage-col",
                                        "page", "--stages", "home,search,payment,confirmation", "-"};
    auto expected = run_cli(args, csv(rows));
    REQUIRE(expected.rc == 0);
    CHECK(expected.out.find(fmt::format("\"leads_with_repeats\": {},", duplicates)) != std::string::npos);
    CHECK(expected.out.find(fmt::format("\"repeated_rows\": {},", duplicates)) != std::string::npos);
    auto one = args;
    one.insert(one.begin() + 1, {"--threads", "1"});
    CHECK(run_cli(one, csv(rows)).out == expected.out);
    std::shuffle(rows.begin(), rows.end(), std::mt19937(5));
    CHECK(run_cli(args, csv(rows)).out == expected.out);
  }
}
