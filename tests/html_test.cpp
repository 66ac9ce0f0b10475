// -f html, -f svg and tables that fit the terminal: what the golden cases do not pin down
// (determinism across runs and threads, size with many segments, no external reference,
// every table line within the width for every width).
#include <doctest/doctest.h>

#include <cstdlib>
#include <regex>
#include <set>

#include <fmt/format.h>
#include <stdlib.h>

#include "funnel/terminal.h"
#include "funnel/text.h"
#include "support.h"

using funnel::test::run_cli;
using funnel::test::TempFile;

namespace {

/// 20 sources, 60 leads each, through five stages with a week between them.
std::string twenty_segments() {
  std::string csv = "lead_id,stage,timestamp,source\n";
  const char* stages[] = {"lead", "mql", "sql", "opportunity", "customer"};
  for (int s = 0; s < 20; ++s) {
    for (int l = 0; l < 60; ++l) {
      const int reached = 1 + (l * 7 + s * 3) % 5;
      for (int k = 0; k < reached; ++k) {
        csv +=
            fmt::format("L{}-{},{},2024-0{}-{:02}T10:00:00Z,source-{:02}\n", s, l, stages[k], 1 + k, 1 + (l % 27), s);
      }
    }
  }
  return csv;
}

/// Display columns of a line without colour escapes.
std::size_t columns_of(const std::string& line) {
  std::size_t n = 0;
  for (char c : line) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

struct ColumnsEnv {
  explicit ColumnsEnv(std::size_t width) { ::setenv("COLUMNS", std::to_string(width).c_str(), 1); }
  ~ColumnsEnv() { ::unsetenv("COLUMNS"); }
  ColumnsEnv(const ColumnsEnv&) = delete;
  ColumnsEnv& operator=(const ColumnsEnv&) = delete;
};

}  // namespace

TEST_SUITE("html") {
  TEST_CASE("the HTML report is the same bytes on every run and thread count, and well under 1 MB with 20 segments") {
    TempFile data(twenty_segments());
    auto a = run_cli({"report", "--by", "source", "-f", "html", data.path()});
    auto b = run_cli({"report", "--by", "source", "-f", "html", "--threads", "1", data.path()});
    REQUIRE(a.rc == 0);
    CHECK(a.out == b.out);
    CHECK(a.out.size() < 512 * 1024);
    CHECK(a.out.find("source-19") != std::string::npos);
    // One segments chart row per segment and step: 21 labels (with "(all)") x 4 steps.
    std::size_t rows = 0;
    for (std::size_t at = 0; (at = a.out.find("class=\"segment-label\"", at)) != std::string::npos; ++at) ++rows;
    CHECK(rows == 21 * 4);
  }

  TEST_CASE("the HTML report refers to nothing outside itself") {
    auto r = run_cli({"report", "--by", "source", "-f", "html", "examples/crm_events.csv"});
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("<script") == std::string::npos);
    CHECK(r.out.find(" src=") == std::string::npos);
    CHECK(r.out.find(" href=") == std::string::npos);
    CHECK(r.out.find("url(") == std::string::npos);
    CHECK(r.out.find("@import") == std::string::npos);
    CHECK(r.out.find("<link") == std::string::npos);
    // The only URL is the SVG namespace, a name rather than a request.
    std::regex url("(https?:|//)[^\"' <]*");
    std::set<std::string> urls;
    for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), url); it != std::sregex_iterator(); ++it)
      urls.insert(it->str());
    CHECK(urls == std::set<std::string>{"http://www.w3.org/2000/svg"});
    CHECK(r.out.find("default-src 'none'") != std::string::npos);
    // Cohorts and trend of the same leads are on the page, from the one read: a report read
    // from stdin has them too, and the same bytes as the report of the file.
    CHECK(r.out.find("<section id=\"cohorts\">") != std::string::npos);
    CHECK(r.out.find("<section id=\"trend\">") != std::string::npos);
    auto piped = run_cli({"report", "-f", "html", "-"}, funnel::test::read_file("examples/crm_events.csv"));
    REQUIRE(piped.rc == 0);
    CHECK(piped.out.find("<section id=\"cohorts\">") != std::string::npos);
    CHECK(piped.out.find("<section id=\"trend\">") != std::string::npos);
    auto from_file = run_cli({"report", "-f", "html", "examples/crm_events.csv"});
    REQUIRE(from_file.rc == 0);
    std::string stdin_page = piped.out, file_page = from_file.out;
    const std::string file_name = "examples/crm_events.csv";
    for (auto at = file_page.find(file_name); at != std::string::npos; at = file_page.find(file_name))
      file_page.replace(at, file_name.size(), "stdin");
    CHECK(stdin_page == file_page);
  }

  TEST_CASE("xml_escape: the one escaping of HTML, SVG and JUnit XML") {
    CHECK(funnel::xml_escape("a'b\"<&>") == "a&#39;b&quot;&lt;&amp;&gt;");
    CHECK(funnel::xml_escape("tab\tline\nbell\x07" "del\x7f") == "tab\tline\nbell?del?");
    CHECK(funnel::xml_escape("Bj\xc3\xb8rn") == "Bj\xc3\xb8rn");  // UTF-8 passes as is
  }

  TEST_CASE("data from the file cannot break out of the markup") {
    TempFile data(
        "lead_id,stage,timestamp,source\nA,lead,2024-01-01T00:00:00Z,<script>x</script>\n"
        "B,lead,2024-01-02T00:00:00Z,\"a\"\"&b\"\n");
    auto r = run_cli({"report", "--by", "source", "-f", "html", data.path()});
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("<script>") == std::string::npos);
    CHECK(r.out.find("&lt;script&gt;x&lt;/script&gt;") != std::string::npos);
    CHECK(r.out.find("a&quot;&amp;b") != std::string::npos);
    auto svg = run_cli({"report", "--by", "source", "-f", "svg", "--chart", "segments", data.path()});
    REQUIRE(svg.rc == 0);
    CHECK(svg.out.find("<script>") == std::string::npos);
  }

  TEST_CASE("every SVG bar's width is its value on its chart's scale") {
    auto r = run_cli({"report", "-f", "svg", "examples/crm_events.csv"});
    REQUIRE(r.rc == 0);
    // (all) reached 12, 9, 7, 5, 3 over the same width: 12 is the longest bar.
    std::regex bar("data-scale=\"reached\" data-value=\"([0-9]+)\" x=\"[0-9.]+\" y=\"[0-9.]+\" width=\"([0-9.]+)\"");
    double per_lead = 0;
    int bars = 0;
    for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), bar); it != std::sregex_iterator(); ++it) {
      const double value = std::stod((*it)[1]), width = std::stod((*it)[2]);
      if (per_lead == 0) per_lead = width / value;  // the first bar is the first stage's
      CHECK(width == doctest::Approx(value * per_lead).epsilon(0.01));
      ++bars;
    }
    CHECK(bars >= 5 + 4);  // five stages and at least one drop-off part each but the last
  }

  TEST_CASE("a table fits every terminal width from 40 to 200 columns and keeps the full layout where it fits") {
    const std::string full = run_cli({"report", "--by", "source", "examples/crm_events.csv"}).out;
    std::size_t widest = 0;
    for (std::size_t width = 40; width <= 200; width += 3) {
      CAPTURE(width);
      ColumnsEnv env(width);
      auto r = run_cli({"report", "--by", "source", "examples/crm_events.csv"});
      REQUIRE(r.rc == 0);
      std::istringstream lines(r.out);
      bool in_table = false;
      std::size_t table_lines = 0;
      for (std::string line; std::getline(lines, line);) {
        // Table lines: the stage table and the segments table (prose lines may be longer).
        if (line.rfind("      stage", 0) == 0 || line.rfind("       stage", 0) == 0 || line.rfind("segment", 0) == 0)
          in_table = true;
        if (line.empty() || line.rfind("sections:", 0) == 0 || line.rfind("(not shown", 0) == 0 ||
            line.rfind("* ", 0) == 0) {
          in_table = false;
        }
        if (in_table) CHECK(columns_of(line) <= width);
        if (in_table) widest = std::max(widest, columns_of(line));
        table_lines += in_table;
      }
      CHECK(table_lines == 6 + 7);  // heading and five stages; heading and six segments
      if (width >= 135) CHECK(r.out == full);
    }
    CHECK(widest > 100);
  }

  TEST_CASE("terminal width and locale rules") {
    CHECK(funnel::table_width(0, nullptr) == 0);
    CHECK(funnel::table_width(0, "80") == 80);
    CHECK(funnel::table_width(132, "80") == 132);  // the terminal wins over COLUMNS
    CHECK(funnel::table_width(0, "") == 0);
    CHECK(funnel::table_width(0, "0") == 0);
    CHECK(funnel::table_width(0, "80x") == 0);
    CHECK(funnel::table_width(0, "-5") == 0);
    CHECK(funnel::utf8_locale(nullptr, nullptr, "en_US.UTF-8"));
    CHECK(funnel::utf8_locale(nullptr, nullptr, "C.utf8"));
    CHECK_FALSE(funnel::utf8_locale(nullptr, nullptr, nullptr));
    CHECK_FALSE(funnel::utf8_locale("C", nullptr, "en_US.UTF-8"));  // LC_ALL first
    CHECK_FALSE(funnel::utf8_locale("", "POSIX", "en_US.UTF-8"));   // empty is unset
    CHECK(funnel::utf8_locale(nullptr, "de_DE.UTF-8", "C"));
  }
}
