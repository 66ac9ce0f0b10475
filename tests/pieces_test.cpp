// Big files are parsed in pieces on two threads. Whatever the piece size, every number,
// reject, warning and error must come out as one thread reading in order makes them,
// including where a piece boundary falls inside a quoted field or after a stray quote.
#include <doctest/doctest.h>

#include <ctime>
#include <random>

#include <fmt/format.h>

#include "funnel/csv.h"
#include "funnel/events.h"
#include "funnel/stage_model.h"
#include "funnel/report.h"
#include "support.h"

using funnel::test::run_cli;
using funnel::test::RunResult;
using funnel::test::TempFile;

namespace {

/// Pieces of `bytes` after the first `rows` rows, for one scope.
struct SmallPieces {
  SmallPieces(std::size_t bytes, std::uint64_t rows) {
    funnel::RecordReader::set_block_bytes(bytes);
    funnel::set_rows_before_pieces(rows);
  }
  ~SmallPieces() {
    funnel::RecordReader::set_block_bytes(std::size_t{1} << 20);
    funnel::set_rows_before_pieces(16384);
  }
};

/// A long export with what makes cutting hard: quoted line breaks, doubled quotes, a
/// stray quote in an unquoted field, CRLF line ends, blank lines, trailing delimiters, a
/// repeated header, unknown stages, empty ids and several sources.
std::string tricky_export(int leads, unsigned seed) {
  std::mt19937 rng(seed);
  const char* stages[] = {"lead", "MQL", "sql", "Opportunity", "Closed Won", "Closed Lost", "Nurture", "churned"};
  const char* sources[] = {"google", "linkedin", "", "webinar", "partner \"A\""};
  std::string out = "lead_id,stage,timestamp,source,note,probability\n";
  for (int i = 0; i < leads; ++i) {
    long t = 1700000000L + static_cast<long>(rng() % 5000000);
    std::string id = rng() % 97 == 0 ? "" : fmt::format("L{}", i * 7919 % 100003);
    std::string source = sources[rng() % 5];
    if (source.find('"') != std::string::npos) source = "\"partner \"\"A\"\"\"";
    int rows = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < rows; ++k) {
      t += static_cast<long>(rng() % 900000);
      time_t tt = t;
      char when[32];
      std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&tt));
      std::string note;
      switch (rng() % 9) {
        case 0: note = "\"a, \"\"quoted\"\"\nnote\nover three lines\""; break;
        case 1: note = "6\" pipe"; break;  // a stray quote: taken as it is
        case 2: note = "\"\""; break;
        default: note = "plain"; break;
      }
      const char* stage = stages[rng() % 8];
      const char* probability[] = {"", "60%", "0.25", "7", "150", "n/a"};
      out += fmt::format("{},{},{},{},{},{}", id, stage, when, source, note, probability[rng() % 6]);
      const auto ending = rng() % 40;
      // The first row ends with a delimiter, so later rows may (see the trailing-delimiter rule).
      switch (i == 0 && k == 0 ? 0 : ending) {
        case 0: out += ",\n"; break;       // trailing delimiter
        case 1: out += "\r\n"; break;      // CRLF
        case 2: out += "\n\n"; break;      // blank line
        case 3: out += ",\r\n"; break;     // trailing delimiter and CRLF
        case 4: out += "\n \t \n"; break;  // a line of blanks only
        default: out += '\n'; break;
      }
    }
    if (i == leads / 2) out += "lead_id,stage,timestamp,source,note,probability\n";  // two exports concatenated
  }
  return out;
}

RunResult run(const std::vector<std::string>& args, const std::string& input, bool one_thread) {
  std::vector<std::string> a = args;
  if (one_thread) a.insert(a.begin() + 1, {"--threads", "1"});
  return run_cli(a, input);
}

void same_as_one_thread(const std::vector<std::string>& args, const std::string& input) {
  RunResult expected = run(args, input, true);
  for (std::size_t bytes : {std::size_t{64}, std::size_t{1000}, std::size_t{4096}, std::size_t{65536}}) {
    for (std::uint64_t rows : {std::uint64_t{1}, std::uint64_t{7}, std::uint64_t{500}}) {
      CAPTURE(bytes);
      CAPTURE(rows);
      SmallPieces small(bytes, rows);
      RunResult got = run(args, input, false);
      CHECK(got.rc == expected.rc);
      CHECK(got.out == expected.out);
      CHECK(got.err == expected.err);
    }
  }
}

}  // namespace

TEST_SUITE("pieces") {
  TEST_CASE("the id table's first size: one lead per 192 bytes, per 16 bytes a column for wide rows") {
    // The table holds 0.7 of its 2^k slots; these guesses are the bench files' tables at once.
    CHECK(funnel::likely_leads(1709650101, 6) == 8904427);    // 10M long, 10M leads: 2^24 slots (11.7M)
    CHECK(funnel::likely_leads(170993936, 6) == 890593);      // 1M long, 1M leads: 2^21 (1.47M), no regrowth
    CHECK(funnel::likely_leads(83345769, 9) == 434092);       // 1M wide, 9 columns: 2^20, one regrowth
    CHECK(funnel::likely_leads(2000000000, 100) == 1250000);  // 100 columns: 1,600 bytes a lead, not 10.4M leads
    CHECK(funnel::likely_leads(3000, 13) == 14);              // 13 columns and up: 16 bytes a column
    CHECK(funnel::likely_leads(191, 3) == 0);
    CHECK(funnel::likely_leads(0, 0) == 0);
  }

  TEST_CASE("a piece parser's copy of the extractor reads times with its own readers, and outlives the original") {
    const funnel::StageModel model = funnel::StageModel::build(funnel::StageModelSpec{});
    const std::vector<std::string> header{"lead_id", "lead_at", "mql_at", "sql_at"};
    const funnel::Schema schema = funnel::detect_schema(header, model, funnel::ColumnSpec{}, "wide.csv");
    REQUIRE(schema.shape == funnel::Shape::wide);
    auto original = std::make_unique<funnel::EventExtractor>(schema, model, false);
    std::unique_ptr<funnel::EventExtractor> copy = original->clone();
    original.reset();  // a copy that still used the original's readers would read freed memory (ASan)
    funnel::Record record{{"L1", "2024-03-01T10:00:00Z", "", "2024-03-05 08:30:00"}, 2};
    funnel::RowEvidence evidence;
    copy->extract(record, "wide.csv", evidence);
    CHECK(evidence.reported.empty());
    REQUIRE(evidence.items.size() == 2);
    CHECK(evidence.items[0].stage == 0);
    CHECK(evidence.items[0].time == 1709287200);  // 2024-03-01T10:00:00Z
    CHECK(evidence.items[1].stage == 2);
    CHECK(evidence.items[1].time == 1709627400);  // 2024-03-05T08:30:00Z
  }

  TEST_CASE("a tricky export gives the same report, leads and paths in pieces as on one thread") {
    std::string input = tricky_export(2500, 11);
    RunResult one = run({"report", "-f", "json", "-"}, input, true);
    REQUIRE(one.rc == 0);
    // The export really has what it is meant to exercise.
    CHECK(one.out.find("\"repeated header\": 1") != std::string::npos);
    CHECK(one.err.find("unknown stage \"Nurture\"") != std::string::npos);
    CHECK(one.err.find("end with an extra delimiter (<stdin>:2, ") != std::string::npos);
    CHECK(one.err.find("empty lead id (<stdin>:") != std::string::npos);
    same_as_one_thread({"report", "--by", "source", "-f", "json", "-"}, input);
    same_as_one_thread({"report", "-f", "csv", "--count", "ordered", "-"}, input);
    same_as_one_thread({"leads", "-f", "csv", "-"}, input);
    same_as_one_thread({"paths", "-"}, input);
    // Facts kept by lead id beside the rows: churned customers, each lead's own probability.
    CHECK(one.out.find("\"churned\"") != std::string::npos);
    same_as_one_thread({"forecast", "-f", "json", "-"}, input);
  }

  TEST_CASE("a file is cut into pieces as stdin is") {
    std::string input = tricky_export(800, 3);
    TempFile file(input);
    RunResult one = run({"report", "--by", "source", "-f", "csv", file.path()}, "", true);
    REQUIRE(one.rc == 0);
    SmallPieces small(1000, 10);
    CHECK(run({"report", "--by", "source", "-f", "csv", file.path()}, "", false).out == one.out);
    CHECK(run({"report", "--by", "source", "-f", "csv", file.path(), file.path()}, "", false).out ==
          run({"report", "--by", "source", "-f", "csv", file.path(), file.path()}, "", true).out);
  }

  TEST_CASE("transcoded input is cut into pieces after decoding") {
    std::string input = tricky_export(600, 9);
    std::string cp1252;
    for (char c : input) cp1252 += c == 'p' ? '\xe9' : c;  // é in Windows-1252, in every field
    std::string utf16 = "\xff\xfe";
    for (char c : input) utf16 += std::string{c, '\0'};
    CHECK(run({"report", "--encoding", "cp1252", "-"}, cp1252, true).rc == 0);
    CHECK(run({"report", "-"}, utf16, true).rc == 0);
    same_as_one_thread({"report", "--encoding", "cp1252", "--by", "source", "-f", "csv", "-"}, cp1252);
    same_as_one_thread({"report", "--by", "source", "-f", "csv", "-"}, utf16);
  }

  TEST_CASE("a stray quote that hides every later line end still gives the one-thread answer") {
    // After `6" pipe` the quotes are unbalanced for the cutter, so each cut it makes lands
    // inside the quoted notes that follow; every piece is read again from its true start.
    std::string input = "lead_id,stage,timestamp,note\nL0,lead,2024-01-01T00:00:00Z,6\" pipe\n";
    for (int i = 1; i < 3000; ++i) {
      input += fmt::format("L{},lead,2024-01-01T00:00:{:02}Z,\"line one\nline two\"\n", i, i % 60);
    }
    same_as_one_thread({"report", "-f", "json", "-"}, input);
  }

  TEST_CASE("an error far into the input is the one a single thread reports") {
    std::string good = tricky_export(600, 5);
    same_as_one_thread({"report", "-"}, good + "L9,lead,2024-01-01T00:00:00Z,google,x\n" + good);   // field count
    same_as_one_thread({"report", "-"}, good + "L9,lead,2024-13-01T00:00:00Z,google,x,\n" + good);  // bad date
    same_as_one_thread({"report", "-"},
                       good + "L9,lead,2024-01-01T00:00:00Z,google,x,\"open\n" + "x\n");             // unclosed quote
    same_as_one_thread({"report", "--strict-stages", "-"}, good);                                    // unknown stage
    same_as_one_thread({"report", "-"}, good + "L9,lead,2024-01-01T00:00:00Z,caf\xe9,x,\n" + good);  // invalid UTF-8
  }

  TEST_CASE("stray quotes, ragged rows, placeholders and long unclosed quotes: the same on one thread and two") {
    std::string good = tricky_export(600, 7);
    // A stray quote far into the input, over rows of the header's width (strict: an error).
    std::string stray;
    for (int i = 0; i < 40; ++i)
      stray += fmt::format("S{},lead,2024-02-01T00:00:00Z,web,{}note,60%\n", i, i == 0 ? "\"" : "");
    stray += "S99,mql,2024-02-02T00:00:00Z,web,end\",7\n";
    CHECK(run({"report", "-"}, good + stray + good, true).err.find("a stray quote?") != std::string::npos);
    same_as_one_thread({"report", "-"}, good + stray + good);
    same_as_one_thread({"report", "--trust-quotes", "-f", "json", "-"}, good + stray + good);
    // An unquoted delimiter in a value: one field too many, its last one empty.
    same_as_one_thread({"report", "-"}, good + "L9,lead,2024-01-01T00:00:00Z,Acme, Inc,x,\n" + good);
    // Placeholder and epoch-zero times: the warning names the same smallest lines.
    std::string cells =
        good + "P1,lead,NULL,web,x,\nP2,lead,1970-01-01T00:00:00Z,web,x,\n" + good + "P3,mql,#N/A,web,x,\n";
    CHECK(run({"report", "-f", "json", "-"}, cells, true).err.find("2 time cells holding a placeholder") !=
          std::string::npos);
    same_as_one_thread({"report", "-f", "json", "-"}, cells);
    same_as_one_thread({"report", "--strict-cells", "-"}, cells);
    // A quote left open over thousands of lines: one parse of the record, not one a piece.
    std::string open = good + "L9,lead,2024-01-01T00:00:00Z,google,\"open,\n";
    for (int i = 0; i < 20000; ++i) open += "more text without quotes\n";
    same_as_one_thread({"report", "-"}, open);
    same_as_one_thread({"report", "-"}, open + "closed\",x\n" + good);
  }

  TEST_CASE("slash dates settled late in the input are read as one thread reads them") {
    std::string input = "lead_id,stage,timestamp\n";
    for (int i = 0; i < 4000; ++i) input += fmt::format("L{},lead,{:02}/{:02}/2024 10:00\n", i, 1 + i % 12, 1 + i % 12);
    std::string settled = input + "L9999,mql,25/03/2024 10:00\n";  // day first, at the very end
    same_as_one_thread({"report", "-f", "json", "-"}, settled);
    same_as_one_thread({"report", "-f", "json", "-"}, input);  // never settled: the same error
  }
}
