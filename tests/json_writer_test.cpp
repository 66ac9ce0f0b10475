#include <cmath>
#include <limits>
#include <sstream>

#include <doctest/doctest.h>

#include "funnel/diagnostics.h"
#include "funnel/json_writer.h"

using namespace funnel;

TEST_SUITE("json_writer") {
  TEST_CASE("strings: quotes, backslashes and control bytes are escaped; UTF-8 passes through") {
    CHECK(json_quote("plain") == "\"plain\"");
    CHECK(json_quote("say \"hi\"") == "\"say \\\"hi\\\"\"");
    CHECK(json_quote("C:\\path") == "\"C:\\\\path\"");
    CHECK(json_quote("a\nb\rc\td") == "\"a\\nb\\rc\\td\"");
    CHECK(json_quote(std::string_view("\x01\x1f\0", 3)) == "\"\\u0001\\u001f\\u0000\"");
    CHECK(json_quote("\x7f") == "\"\x7f\"");  // DEL is allowed in JSON strings
    CHECK(json_quote("Zürich → 東京 😀") == "\"Zürich → 東京 😀\"");
    std::ostringstream out;
    JsonWriter(out).string("tab\there").finish();
    CHECK(out.str() == "\"tab\\there\"\n");
  }

  TEST_CASE("inline layout: members on one line, comma and space between them") {
    std::ostringstream out;
    JsonWriter w(out);
    w.begin_object().member("a", 1).member("b", "two").member("c", true).key("d").null();
    w.key("e").begin_array().integer(1).integer(-2).integer(std::uint64_t{18446744073709551615u}).end_array();
    w.key("f").begin_object().end_object().key("g").begin_array().end_array().end_object().finish();
    CHECK(out.str() ==
          "{\"a\": 1, \"b\": \"two\", \"c\": true, \"d\": null, \"e\": [1, -2, 18446744073709551615], "
          "\"f\": {}, \"g\": []}\n");
  }

  TEST_CASE("lines layout: one member a line, two spaces deeper than the line the container opened on") {
    std::ostringstream out;
    JsonWriter w(out);
    w.begin_object(JsonWriter::lines).member("version", 1);
    w.key("input")
        .begin_object(JsonWriter::lines)
        .member("rows", 3)
        .key("files")
        .begin_array()
        .string("a.csv")
        .end_array();
    w.end_object();
    w.key("rows").begin_array(JsonWriter::lines);
    w.begin_object().member("x", 1).end_object();
    w.begin_object().member("x", 2).key("inner").begin_array(JsonWriter::lines).integer(7).end_array().end_object();
    w.end_array();
    w.key("empty").begin_array(JsonWriter::lines).end_array();
    w.end_object().finish();
    CHECK(out.str() ==
          "{\n"
          "  \"version\": 1,\n"
          "  \"input\": {\n"
          "    \"rows\": 3,\n"
          "    \"files\": [\"a.csv\"]\n"
          "  },\n"
          "  \"rows\": [\n"
          "    {\"x\": 1},\n"
          "    {\"x\": 2, \"inner\": [\n"
          "      7\n"
          "    ]}\n"
          "  ],\n"
          "  \"empty\": []\n"
          "}\n");
  }

  TEST_CASE("block layout: as lines, but an empty container still closes on a line of its own") {
    std::ostringstream out;
    JsonWriter w(out);
    w.begin_object(JsonWriter::lines).key("none").begin_array(JsonWriter::block).end_array();
    w.key("one").begin_array(JsonWriter::block).integer(1).end_array().end_object().finish();
    CHECK(out.str() == "{\n  \"none\": [\n  ],\n  \"one\": [\n    1\n  ]\n}\n");
  }

  TEST_CASE("an inline object holding a lines array closes it at the object's line indent") {
    // The layout of funnel check -f json, paths -f json and diff -f json.
    std::ostringstream out;
    JsonWriter w(out);
    w.begin_object().member("checks", 2).key("results").begin_array(JsonWriter::lines);
    w.begin_object().member("rule", "a").end_object().begin_object().member("rule", "b").end_object();
    w.end_array().end_object().finish();
    CHECK(out.str() == "{\"checks\": 2, \"results\": [\n  {\"rule\": \"a\"},\n  {\"rule\": \"b\"}\n]}\n");
  }

  TEST_CASE("break_line: the next member of an inline container on a new line, deeper than the container's line") {
    // The layout of funnel inspect -f json: long inline objects wrap before some members.
    std::ostringstream out;
    JsonWriter w(out);
    w.begin_object(JsonWriter::lines).key("files").begin_array(JsonWriter::lines);
    w.begin_object().member("name", "a.csv").break_line(1).key("columns").begin_array(JsonWriter::block);
    w.begin_object().member("index", 1).end_object().end_array().break_line(1).member("ok", true).end_object();
    w.end_array().key("values").begin_object().member("rows", 2).break_line(2).key("list").begin_array();
    w.integer(1).break_line(0).integer(2).end_array().end_object().end_object().finish();
    CHECK(out.str() ==
          "{\n"
          "  \"files\": [\n"
          "    {\"name\": \"a.csv\",\n"
          "     \"columns\": [\n"
          "       {\"index\": 1}\n"
          "     ],\n"
          "     \"ok\": true}\n"
          "  ],\n"
          "  \"values\": {\"rows\": 2,\n"
          "    \"list\": [1,\n"
          "    2]}\n"
          "}\n");
    auto code = [](auto&& steps) {
      std::ostringstream sink;
      JsonWriter bad(sink);
      try {
        steps(bad);
      } catch (const Error& e) {
        return e.code();
      }
      return ExitCode::ok;
    };
    CHECK(code([](JsonWriter& b) { b.begin_array(JsonWriter::lines).break_line(1); }) == ExitCode::internal);
    CHECK(code([](JsonWriter& b) { b.begin_object().key("a").break_line(1); }) == ExitCode::internal);
    CHECK(code([](JsonWriter& b) { b.begin_array().break_line(1).end_array(); }) == ExitCode::internal);
    CHECK(code([](JsonWriter& b) { b.break_line(1); }) == ExitCode::internal);
  }

  TEST_CASE("numbers: fixed decimals, shortest form; NaN and infinities are written as null") {
    std::ostringstream out;
    JsonWriter w(out);
    const double inf = std::numeric_limits<double>::infinity();
    w.begin_array()
        .fixed(0.5, 6)
        .fixed(2.0 / 3.0, 4)
        .fixed(std::optional<double>(), 6)
        .fixed(std::optional<double>(1.0), 2);
    w.general(30).general(0.05).general(1e300).general(std::nan("")).fixed(inf, 2).fixed(-inf, 6).general(-inf);
    w.end_array().finish();
    CHECK(out.str() == "[0.500000, 0.6667, null, 1.00, 30, 0.05, 1e+300, null, null, null, null]\n");
  }

  TEST_CASE("string_or_null: an empty or absent text is null") {
    std::ostringstream out;
    JsonWriter w(out);
    w.begin_array()
        .string_or_null(std::string("x"))
        .string_or_null(std::string())
        .string_or_null(std::nullopt)
        .end_array();
    w.finish();
    CHECK(out.str() == "[\"x\", null, null]\n");
  }

  TEST_CASE("keys are escaped like strings") {
    std::ostringstream out;
    JsonWriter(out).begin_object().member("we\"ird\n", 1).end_object().finish();
    CHECK(out.str() == "{\"we\\\"ird\\n\": 1}\n");
  }

  TEST_CASE("misuse is an internal error, not broken JSON") {
    auto code = [](auto&& steps) {
      std::ostringstream out;
      JsonWriter w(out);
      try {
        steps(w);
      } catch (const Error& e) {
        return e.code();
      }
      return ExitCode::ok;
    };
    CHECK(code([](JsonWriter& w) { w.begin_object().integer(1); }) == ExitCode::internal);  // value without key
    CHECK(code([](JsonWriter& w) { w.begin_array().key("a"); }) == ExitCode::internal);     // key in an array
    CHECK(code([](JsonWriter& w) { w.begin_object().key("a").end_object(); }) ==
          ExitCode::internal);                                                               // key without value
    CHECK(code([](JsonWriter& w) { w.begin_object().end_array(); }) == ExitCode::internal);  // wrong bracket
    CHECK(code([](JsonWriter& w) { w.begin_array().finish(); }) == ExitCode::internal);      // still open
    CHECK(code([](JsonWriter& w) { w.integer(1).integer(2); }) == ExitCode::internal);       // two documents
    CHECK(code([](JsonWriter& w) { w.begin_array().end_array().finish(); }) == ExitCode::ok);
  }
}
