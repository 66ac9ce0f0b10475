#include <doctest/doctest.h>

#include <sstream>

#include "funnel/csv.h"
#include "funnel/diagnostics.h"
#include "support.h"

using namespace funnel;

namespace {

/// Reads all records of `text` through stdin; returns fields joined by '|' per record.
std::vector<std::string> read_all(const std::string& text, char delimiter = 0) {
  std::istringstream in(text);
  RecordReader reader("-", &in, delimiter);
  std::vector<std::string> out;
  std::string header;
  for (const auto& h : reader.header()) {
    if (!header.empty()) header += '|';
    header += h;
  }
  out.push_back(header);
  Record r;
  while (reader.next(r)) {
    std::string line = std::to_string(r.line) + ":";
    for (std::size_t i = 0; i < r.fields.size(); ++i) {
      if (i > 0) line += '|';
      line += r.fields[i];
    }
    out.push_back(line);
  }
  return out;
}

std::string error_of(const std::string& text) {
  try {
    read_all(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_SUITE("csv") {
  TEST_CASE("the delimiter is the candidate that splits the header most") {
    CHECK(detect_delimiter("a,b,c") == ',');
    CHECK(detect_delimiter("a;b;c") == ';');
    CHECK(detect_delimiter("a\tb\tc") == '\t');
    CHECK(detect_delimiter("a|b|c") == '|');
    CHECK(detect_delimiter("\"a;x\",b,c") == ',');  // quoted delimiters do not count
    CHECK(detect_delimiter("single") == ',');
  }

  TEST_CASE("quoted fields keep delimiters, doubled quotes and line breaks") {
    auto rows = read_all("id,note\n1,\"a, b\"\n2,\"say \"\"hi\"\"\"\n3,\"line one\nline two\"\n4,x\n");
    REQUIRE(rows.size() == 5);
    CHECK(rows[0] == "id|note");
    CHECK(rows[1] == "2:1|a, b");
    CHECK(rows[2] == "3:2|say \"hi\"");
    CHECK(rows[3] == "4:3|line one\nline two");
    CHECK(rows[4] == "6:4|x");  // the record after a two-line record starts on physical line 6
  }

  TEST_CASE("BOM, CRLF, semicolons and a missing final newline") {
    auto rows = read_all("\xEF\xBB\xBFid;stage\r\n1;lead\r\n2;mql");
    REQUIRE(rows.size() == 3);
    CHECK(rows[0] == "id|stage");
    CHECK(rows[1] == "2:1|lead");
    CHECK(rows[2] == "3:2|mql");
  }

  TEST_CASE("Excel's sep= line names the delimiter") {
    auto rows = read_all("sep=|\nid|stage\n1|lead\n");
    CHECK(rows[0] == "id|stage");
    CHECK(rows[1] == "3:1|lead");
  }

  TEST_CASE("blank lines are skipped and counted") {
    std::istringstream in("id,stage\n\n1,lead\n   \n2,mql\n");
    RecordReader reader("-", &in, 0);
    Record r;
    int n = 0;
    while (reader.next(r)) ++n;
    CHECK(n == 2);
    CHECK(reader.blank_lines() == 2);
  }

  TEST_CASE("a wrong field count names the line and both counts") {
    CHECK(error_of("a,b,c\n1,2,3\n1,2\n") == "<stdin>:3: expected 3 fields (as in the header), found 2");
    CHECK(error_of("a,b\n1,2,3\n") == "<stdin>:2: expected 2 fields (as in the header), found 3");
  }

  TEST_CASE("an unclosed quote names where it was opened") {
    CHECK(error_of("a,b\n1,\"open\n2,x\n") ==
          "<stdin>:2: unclosed quote (opened at line 2 column 3) runs to the end of the input");
  }

  TEST_CASE("text after a closing quote is an error with its column") {
    CHECK(error_of("a,b\n1,\"Acme\" Inc\n") ==
          "<stdin>:2: column 10: unexpected \"I\" after a closing quote (a quote inside a quoted "
          "field must be doubled: \"\")");
  }

  TEST_CASE("NUL bytes and invalid UTF-8 stop with line and byte") {
    CHECK(error_of(std::string("a,b\n1,2\n3,x\0y\n", 14)) == "<stdin>:3:4: NUL byte (is this a text CSV file?)");
    CHECK(error_of("a,b\n1,caf\xe9\n") ==
          "<stdin>:2:6: invalid UTF-8 byte 0xe9 (funnel reads UTF-8; for Excel's Western European CSV use --encoding "
          "cp1252, or re-save as CSV UTF-8)");
    CHECK(error_of("a,b\n1,\xff\n") ==
          "<stdin>:2:3: invalid UTF-8 byte 0xff (funnel reads UTF-8; for Excel's Western European CSV use --encoding "
          "cp1252, or re-save as CSV UTF-8)");
    CHECK(read_all("a,b\n1,caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x88\n")[1] == "2:1|café € 📈");
  }

  TEST_CASE("an empty input has no header") {
    std::istringstream in("");
    RecordReader reader("-", &in, 0);
    CHECK(reader.header().empty());
  }

  TEST_CASE("files are read by path and missing ones are named") {
    test::TempFile f("id,stage\n1,lead\n");
    auto rows = read_all(test::read_file(f.path()));
    CHECK(rows.size() == 2);
    try {
      RecordReader reader("/nonexistent/x.csv", nullptr, 0);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.code() == ExitCode::io);
      CHECK(std::string(e.what()) == "/nonexistent/x.csv: cannot open: No such file or directory");
    }
  }
}

TEST_SUITE("csv") {
  TEST_CASE("a repeated header with a trailing delimiter is rejected with its own text, strict or lenient") {
    // Found by fuzz_records: the strict reader rebuilt the text from the fields after the
    // empty field of the trailing delimiter was dropped ("a," instead of "a,,").
    for (const std::string& text : {std::string("\r\n  \na, \na,,\n\t\n\t\n"), std::string("id,x\nid,x,\n1,2\n")}) {
      std::vector<std::string> raws[2];
      for (bool lenient : {false, true}) {
        std::istringstream in(text);
        ReadOptions options;
        options.lenient = lenient;
        RecordReader reader("-", &in, options);
        reader.on_reject([&](const Reject& r) { raws[lenient].push_back(r.family + "|" + r.raw); });
        Record record;
        while (reader.next(record)) {}
      }
      CAPTURE(text);
      REQUIRE(raws[0].size() == 1);
      CHECK(raws[0] == raws[1]);
    }
  }

  TEST_CASE("a repeated quoted header is rejected with its own bytes, strict or lenient") {
    // Found by fuzz_records: the strict reader rebuilt the text from the unquoted fields,
    // so `""` came out empty while the lenient reader showed the line as it was.
    const std::pair<std::string, std::string> cases[] = {
        {"\"id\",\"x\"\n1,2\n\"id\",\"x\"\n3,4\n", "repeated header|\"id\",\"x\""},
        {"id,\"\"\n1,2\nid,\"\"\n", "repeated header|id,\"\""},
        // a header cell with a quoted line break: both physical lines, joined by \n
        {"\"i\r\nd\",x\r\n1,2\r\n\"i\r\nd\",x\r\n5,6\r\n", "repeated header|\"i\nd\",x"},
    };
    for (const auto& [text, expected] : cases) {
      for (bool lenient : {false, true}) {
        std::istringstream in(text);
        ReadOptions options;
        options.lenient = lenient;
        RecordReader reader("-", &in, options);
        std::vector<std::string> raws;
        reader.on_reject([&](const Reject& r) { raws.push_back(r.family + "|" + r.raw); });
        Record record;
        int records = 0;
        while (reader.next(record)) ++records;
        CAPTURE(text);
        CAPTURE(lenient);
        CHECK(records >= 1);
        CHECK(raws == std::vector<std::string>{expected});
      }
    }
  }
}
