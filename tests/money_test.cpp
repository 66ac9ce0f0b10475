#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "funnel/diagnostics.h"
#include "funnel/money.h"

using namespace funnel;

namespace {

using Status = ParsedAmount::Status;

/// "1234.5" (shortest round-trip form, so equal strings mean equal doubles), "empty" or
/// "invalid: problem": one string that doctest prints when a check fails.
std::string describe(const ParsedAmount& r) {
  switch (r.status) {
    case Status::ok: return r.problem.empty() ? fmt::format("{}", r.value) : "ok with a problem: " + r.problem;
    case Status::empty: return r.value == 0 && r.problem.empty() ? "empty" : "empty with a value or problem";
    case Status::invalid: return "invalid: " + r.problem;
  }
  return "?";
}

/// Reads one value with a fresh reader (nothing learned).
std::string read1(std::string_view text, DecimalMark mark = DecimalMark::automatic) {
  AmountReader reader(mark);
  return describe(reader.read(text));
}

std::string num(double value) { return fmt::format("{}", value); }

struct Case {
  const char* text;
  double value;
};

struct Bad {
  const char* text;
  const char* problem;
};

void check_ok(std::initializer_list<Case> cases, DecimalMark mark = DecimalMark::automatic) {
  for (const Case& c : cases) {
    CAPTURE(c.text);
    AmountReader reader(mark);
    ParsedAmount r = reader.read(c.text);
    CHECK(describe(r) == num(c.value));
    CHECK(r.status == Status::ok);
    CHECK(r.value == c.value);
  }
}

void check_bad(std::initializer_list<Bad> cases, DecimalMark mark = DecimalMark::automatic) {
  for (const Bad& c : cases) {
    CAPTURE(c.text);
    CHECK(read1(c.text, mark) == std::string("invalid: ") + c.problem);
  }
}

}  // namespace

TEST_SUITE("money") {
  TEST_CASE("the CRM and spreadsheet forms of one thousand two hundred thirty-four fifty") {
    check_ok({
        {"1234.50", 1234.5},
        {"1234,50", 1234.5},
        {"1 234,50 kr", 1234.5},
        {"1.234,50 €", 1234.5},
        {"€1.234,50", 1234.5},
        {"$1,234.50", 1234.5},
        {"USD 1,234.50", 1234.5},
        {"1,234.50 USD", 1234.5},
        {"CHF 1'234.50", 1234.5},
        {"CHF 1\xE2\x80\x99"
         "234.50",
         1234.5},  // U+2019 as the apostrophe
        {"1\xC2\xA0"
         "234,50",
         1234.5},  // NBSP
        {"1\xE2\x80\xAF"
         "234,50",
         1234.5},  // narrow NBSP
        {"1\xE2\x80\x89"
         "234,50",
         1234.5},  // thin space
        {"1\xC2\xA0"
         "234,50\xC2\xA0kr",
         1234.5},
        {"USD 1\xC2\xA0"
         "234.50",
         1234.5},
        {"$ 1,234.50", 1234.5},
        {"1,234.50$", 1234.5},
        {"1.234,50€", 1234.5},
        {"USD1,234.50", 1234.5},
        {"1,234.50USD", 1234.5},
        {"$1,234.50 USD", 1234.5},  // one marker on each side
    });
  }

  TEST_CASE("currencies, symbols and thousands without decimals") {
    check_ok({
        {"SEK 12 000", 12000},
        {"12 000 NOK", 12000},
        {"12\xC2\xA0"
         "000 NOK",
         12000},
        {"£99", 99},
        {"¥1000", 1000},
        {"₹1,00,000", 100000},
        {"1,00,000.50", 100000.5},
        {"12,34,567.50", 1234567.5},
        {"1,00,00,000", 10000000},  // a crore
        {"Kr. 100", 100},
        {"kr. 100", 100},
        {"100 kr.", 100},
        {"100 Kr", 100},
        {"EUR 5", 5},
        {"5 EUR", 5},
        {"5EUR", 5},  // E followed by a letter is no exponent
        {"1,234,567", 1234567},
        {"1.234.567", 1234567},
        {"1 234 567", 1234567},
        {"1'234'567", 1234567},
        {"1,234,567.89", 1234567.89},
        {"1.234.567,89", 1234567.89},
        {"999 999 999 999 999", 999999999999999},
    });
  }

  TEST_CASE("signs, blanks, zero, leading separators and the Nordic ,-") {
    check_ok({
        {"+5", 5},    {"+ 5", 5},     {"+$5", 5}, {"$+5", 5},     {"  42  ", 42},    {"\t42\xC2\xA0", 42}, {"0", 0},
        {"0.00", 0},  {"0,00 kr", 0}, {"-0", 0},  {"(0)", 0},     {"$0", 0},         {".5", 0.5},          {",5", 0.5},
        {"0,5", 0.5}, {"0.05", 0.05}, {"007", 7}, {"100,-", 100}, {"kr 100,-", 100}, {"100.- CHF", 100},
    });
    // "-0" is zero, not a negative zero.
    AmountReader reader;
    auto r = reader.read("-0");
    CHECK_FALSE(std::signbit(r.value));
  }

  TEST_CASE("scientific notation is read") {
    check_ok({
        {"1e3", 1000},
        {"1E3", 1000},
        {"1e+3", 1000},
        {"1.5E+3", 1500},
        {"2.5e-1", 0.25},
        {"1,5e3", 1500},
        {"1.234e3", 1234},  // the separator of a mantissa is a decimal mark
        {"$1e3", 1000},
        {"1e3 USD", 1000},
        {"1e3USD", 1000},
        {"1e-400", 0},  // below the smallest double
        // 0.(70 zeros)5 times 1e71: a number longer than the parser's buffer, read exactly.
        {"0.0000000000000000000000000000000000000000000000000000000000000000000000"
         "5e71",
         5},
    });
  }

  TEST_CASE("no value: blank and the no-value markers are empty") {
    for (const char* text : {"", " ", "   ", "\t", "\xC2\xA0", "N/A", "n/a", "NA", "na", "-", " - ",
                             "\xE2\x80\x94" /* — */, "null", "NULL", "Null", "none", "None", "NONE"}) {
      CAPTURE(text);
      CHECK(read1(text) == "empty");
    }
  }

  TEST_CASE("nan and infinities are not finite numbers") {
    check_bad({
        {"nan", "not a finite number"},
        {"NaN", "not a finite number"},
        {"NAN", "not a finite number"},
        {"inf", "not a finite number"},
        {"INF", "not a finite number"},
        {"-inf", "not a finite number"},
        {"+Infinity", "not a finite number"},
        {"infinity", "not a finite number"},
        {"$nan", "not a finite number"},
        {"USD NaN", "not a finite number"},
    });
  }

  TEST_CASE("negative amounts are invalid") {
    check_bad({
        {"-100", "negative amount"},
        {"- 100", "negative amount"},
        {"\xE2\x88\x92"
         "100",
         "negative amount"},  // U+2212 minus sign
        {"(100)", "negative amount"},
        {"( 100 )", "negative amount"},
        {"($1,234.50)", "negative amount"},
        {"(1 234,50 kr)", "negative amount"},
        {"100-", "negative amount"},
        {"100 -", "negative amount"},
        {"100 kr-", "negative amount"},
        {"100- kr", "negative amount"},
        {"-$100", "negative amount"},
        {"$-100", "negative amount"},
        {"-USD 1,234.50", "negative amount"},
        {"-1e20", "negative amount"},  // the sign is told before the size
        {"-0.01", "negative amount"},
    });
  }

  TEST_CASE("signs and markers: one of each at most") {
    check_bad({
        {"--5", "more than one sign"},
        {"+-5", "more than one sign"},
        {"-+5", "more than one sign"},
        {"(-5)", "more than one sign"},
        {"-5-", "more than one sign"},
        {"-$-5", "more than one sign"},
        {"(5-)", "more than one sign"},
        {"US$ 5", "more than one currency marker before the number"},
        {"$ USD 5", "more than one currency marker before the number"},
        {"5 USD EUR", "more than one currency marker after the number"},
        {"5 € $", "more than one currency marker after the number"},
        {"100+", "unexpected text after the number"},
        {"$", "no number"},
        {"USD", "no number"},
        {"kr.", "no number"},
        {"+", "no number"},
        {"()", "no number"},
    });
  }

  TEST_CASE("other text is invalid") {
    check_bad({
        {"about 100", "unexpected text before the number"},
        {"approx. 100", "unexpected text before the number"},
        {"12 apples", "unexpected text after the number"},
        {"5 USDT", "unexpected text after the number"},
        {"#N/A", "unexpected text before the number"},
        {"'100", "unexpected text before the number"},
        {"1.", "unexpected text after the number"},
        {"1..5", "unexpected text after the number"},
        {"1,,000", "unexpected text after the number"},
        {"1  000", "unexpected text after the number"},  // two blanks do not group
    });
  }

  TEST_CASE("separators that do not make a number") {
    check_bad({
        {"1.2.3", "misplaced thousands separator"},
        {"1,2,3", "misplaced thousands separator"},
        {"1,2345,678", "misplaced thousands separator"},
        {"1,00,00", "misplaced thousands separator"},  // Indian grouping ends with 3 digits
        {"123,45,678", "misplaced thousands separator"},
        {"0,000,500", "misplaced thousands separator"},  // thousands never start with 0
        {"12 34", "misplaced thousands separator"},
        {"1 2345", "misplaced thousands separator"},
        {"1,2,3.4.5", "more than one decimal mark"},
        {"1.234,567.89", "more than one decimal mark"},
        {"1 234.567,89", "mixed thousands separators"},
        {"1'234 567", "mixed thousands separators"},
        {"1,234 567", "thousands separator after the decimal mark"},
        {"1,234.5e3", "thousands separator in scientific notation"},
        {"1 000e3", "thousands separator in scientific notation"},
        {"1,234,567e3", "thousands separator in scientific notation"},
        {"1e", "no digits after the exponent e"},
        {"1E", "no digits after the exponent e"},
        {"1e-", "no digits after the exponent e"},
        {"1e+ USD", "no digits after the exponent e"},
        {"1e USD", "no digits after the exponent e"},
        {"1.5e", "no digits after the exponent e"},
    });
  }

  TEST_CASE("values of 1e15 or more are too large") {
    check_bad({
        {"1e15", "too large"},
        {"1000000000000000", "too large"},
        {"1,000,000,000,000,000", "too large"},
        {"1e400", "too large"},
        {"1e999999999999999999999", "too large"},
        // 999999999999999.99 rounds to the double 1e15.
        {"999999999999999.99", "too large"},
    });
    check_ok({{"999999999999999", 999999999999999}, {"999999999999999.5", 999999999999999.5}});
  }

  TEST_CASE("automatic: a single separator followed by 1, 2 or 4+ digits is the decimal mark") {
    check_ok({
        {"1234,5", 1234.5},
        {"12,50", 12.5},
        {"0,5", 0.5},
        {"1,2345", 1.2345},
        {"1.5", 1.5},
        {"12.50", 12.5},
        {"3.14159", 3.14159},
    });
  }

  TEST_CASE("automatic: a single separator before exactly 3 digits is ambiguous until the column decides") {
    // Read as thousands and marked; the column settles it once it is read (settle_amount).
    AmountReader reader;
    ParsedAmount r = reader.read("1,234");
    CHECK(describe(r) == "1234");
    CHECK(r.ambiguous_separator == ',');
    CHECK(reader.ambiguous() == 1);
    CHECK(reader.read("1.234").ambiguous_separator == '.');
    CHECK(describe(reader.read("12.345 €")) == "12345");
    CHECK(describe(reader.read("$999,000")) == "999000");
    CHECK(reader.ambiguous() == 4);
    CHECK(reader.column_mark() == DecimalMark::automatic);

    // Not ambiguous: the thousands reading is impossible, so it is the decimal mark.
    check_ok({
        {"0,500", 0.5},  // thousands never start with 0
        {"0.125", 0.125},
        {",500", 0.5},            // no digits before
        {"1234,567", 1234.567},   // more than 3 digits before
        {"1 234,567", 1234.567},  // spaces already group, one value has one thousands separator
        {"1'234.567", 1234.567},
        {"12 345.678 kr", 12345.678},
    });
    for (const char* text : {"0,500", ",500", "1234,567", "1 234,567", "1.234e3"}) {
      CAPTURE(text);
      AmountReader fresh;
      ParsedAmount shown = fresh.read(text);
      CHECK(shown.status == Status::ok);
      CHECK(shown.ambiguous_separator == 0);
      CHECK(fresh.ambiguous() == 0);
      CHECK(fresh.column_mark() != DecimalMark::automatic);
    }
  }

  TEST_CASE("settle_amount: an ambiguous value is a decimal when its separator is the column's mark") {
    CHECK(settle_amount(1234, ',', DecimalMark::comma) == 1.234);
    CHECK(settle_amount(1234, ',', DecimalMark::dot) == 1234);
    CHECK(settle_amount(1234, '.', DecimalMark::dot) == 1.234);
    CHECK(settle_amount(1234, '.', DecimalMark::comma) == 1234);
    CHECK(settle_amount(1234, ',', DecimalMark::automatic) == 1234);  // no evidence: thousands
    CHECK(settle_amount(999000, ',', DecimalMark::comma) == 999);
  }

  TEST_CASE("automatic: the column's mark is the one more of its values show, whatever their order") {
    SUBCASE("a decimal comma, ambiguous values before and after it read the same") {
      AmountReader reader;
      CHECK(describe(reader.read("1,234")) == "1234");  // thousands until settled
      CHECK(describe(reader.read("2.500")) == "2500");
      CHECK(describe(reader.read("1234,5")) == "1234.5");
      CHECK(reader.column_mark() == DecimalMark::comma);
      CHECK(describe(reader.read("1,234")) == "1234");  // no longer read by the earlier values
      CHECK(describe(reader.read("7")) == "7");
      CHECK(reader.ambiguous() == 3);
      CHECK(reader.shown(DecimalMark::comma) == 1);
    }
    SUBCASE("both separators") {
      AmountReader reader;
      CHECK(describe(reader.read("1.234,50 €")) == "1234.5");
      CHECK(reader.column_mark() == DecimalMark::comma);
      CHECK(describe(reader.read("5.000")) == "5000");
    }
    SUBCASE("both separators, dot last") {
      AmountReader reader;
      CHECK(describe(reader.read("$1,234.50")) == "1234.5");
      CHECK(reader.column_mark() == DecimalMark::dot);
    }
    SUBCASE("a repeated separator groups, so the other one is the mark") {
      AmountReader reader;
      CHECK(describe(reader.read("1,234,567")) == "1234567");
      CHECK(reader.column_mark() == DecimalMark::dot);

      AmountReader german;
      CHECK(describe(german.read("1.234.567")) == "1234567");
      CHECK(german.column_mark() == DecimalMark::comma);

      AmountReader indian;
      CHECK(describe(indian.read("₹1,00,000")) == "100000");
      CHECK(indian.column_mark() == DecimalMark::dot);
    }
    SUBCASE("values that show different marks: the more common one, read by what each shows") {
      AmountReader reader;
      CHECK(describe(reader.read("1.5")) == "1.5");
      CHECK(describe(reader.read("2,5")) == "2.5");
      CHECK(reader.column_mark() == DecimalMark::automatic);  // one each: undecided
      CHECK(describe(reader.read("1.234,50")) == "1234.5");
      CHECK(reader.column_mark() == DecimalMark::comma);
      CHECK(reader.shown(DecimalMark::dot) == 1);
      CHECK(reader.shown(DecimalMark::comma) == 2);
    }
    SUBCASE("values without ',' or '.' show nothing") {
      AmountReader reader;
      for (const char* text : {"12 000", "1'000", "100", "1e3", "N/A", "", "kr 5"}) reader.read(text);
      CHECK(reader.column_mark() == DecimalMark::automatic);
    }
    SUBCASE("malformed values show nothing; negative and too large ones do") {
      AmountReader reader;
      for (const char* text : {"1,2,3.4.5", "1.2.3", "1,5 apples", "about 1,5"}) {
        CAPTURE(text);
        CHECK(reader.read(text).status == Status::invalid);
      }
      CHECK(reader.column_mark() == DecimalMark::automatic);
      CHECK(describe(reader.read("-1,5")) == "invalid: negative amount");
      CHECK(reader.column_mark() == DecimalMark::comma);

      AmountReader large;
      CHECK(describe(large.read("2.000.000.000.000.000")) == "invalid: too large");
      CHECK(large.column_mark() == DecimalMark::comma);
    }
    SUBCASE("only ok values count as ambiguous") {
      AmountReader reader;
      CHECK(describe(reader.read("-1,234")) == "invalid: negative amount");
      CHECK(describe(reader.read("(1.234)")) == "invalid: negative amount");
      CHECK(reader.ambiguous() == 0);
      CHECK(reader.column_mark() == DecimalMark::automatic);
    }
  }

  TEST_CASE("--decimal . : '.' is the decimal mark, ',' spaces and apostrophes group") {
    AmountReader reader(DecimalMark::dot);
    CHECK(reader.column_mark() == DecimalMark::dot);
    CHECK(describe(reader.read("1,234")) == "1234");
    CHECK(describe(reader.read("1.234")) == "1.234");
    CHECK(describe(reader.read("1,234.50")) == "1234.5");
    CHECK(describe(reader.read("1 234.50")) == "1234.5");
    CHECK(describe(reader.read("CHF 1'234.50")) == "1234.5");
    CHECK(describe(reader.read("1,00,000.50")) == "100000.5");
    CHECK(describe(reader.read("1234")) == "1234");
    CHECK(describe(reader.read("1,5e3")) == "invalid: thousands separator in scientific notation");
    CHECK(describe(reader.read("1,234,567")) == "1234567");
    CHECK(describe(reader.read("1.5e3")) == "1500");
    CHECK(reader.ambiguous() == 0);
    CHECK(reader.column_mark() == DecimalMark::dot);
    check_bad(
        {
            {"1,5", "misplaced thousands separator"},
            {"1234,50", "misplaced thousands separator"},
            {"0,500", "misplaced thousands separator"},
            {",500", "misplaced thousands separator"},
            {"1.234,50 €", "thousands separator after the decimal mark"},
            {"1.2.3", "more than one decimal mark"},
            {"1 234,50", "mixed thousands separators"},
        },
        DecimalMark::dot);
  }

  TEST_CASE("--decimal , : ',' is the decimal mark, '.' spaces and apostrophes group") {
    AmountReader reader(DecimalMark::comma);
    CHECK(reader.column_mark() == DecimalMark::comma);
    CHECK(describe(reader.read("1.234")) == "1234");
    CHECK(describe(reader.read("1,234")) == "1.234");
    CHECK(describe(reader.read("1 234,50 kr")) == "1234.5");
    CHECK(describe(reader.read("1.234.567,89")) == "1234567.89");
    CHECK(describe(reader.read("€1.234,50")) == "1234.5");
    CHECK(describe(reader.read("0,5")) == "0.5");
    CHECK(describe(reader.read("1,5e3")) == "1500");
    CHECK(reader.ambiguous() == 0);
    CHECK(reader.column_mark() == DecimalMark::comma);
    check_bad(
        {
            {"1.5", "misplaced thousands separator"},
            {"$1,234.50", "thousands separator after the decimal mark"},
            {"1,2,3", "more than one decimal mark"},
            {"1.2.3", "misplaced thousands separator"},
            {"1 234.567", "mixed thousands separators"},
        },
        DecimalMark::comma);
  }

  TEST_CASE("parse_decimal_mark") {
    CHECK(parse_decimal_mark("auto") == DecimalMark::automatic);
    CHECK(parse_decimal_mark("automatic") == DecimalMark::automatic);
    CHECK(parse_decimal_mark(".") == DecimalMark::dot);
    CHECK(parse_decimal_mark("dot") == DecimalMark::dot);
    CHECK(parse_decimal_mark(",") == DecimalMark::comma);
    CHECK(parse_decimal_mark("comma") == DecimalMark::comma);
    for (const char* bad : {"x", "", ";", "Dot", "point", ". "}) {
      CAPTURE(bad);
      try {
        parse_decimal_mark(bad);
        FAIL("no error");
      } catch (const Error& e) {
        CHECK(e.code() == ExitCode::usage);
        CHECK(std::string(e.what()) == fmt::format("--decimal must be . or , (or auto), not '{}'", bad));
      }
    }
    CHECK_THROWS_WITH_AS(parse_decimal_mark("x"), "--decimal must be . or , (or auto), not 'x'", Error);
  }

  TEST_CASE("a reader with no argument is automatic; ok values carry no problem") {
    AmountReader reader;
    CHECK(reader.column_mark() == DecimalMark::automatic);
    CHECK(reader.ambiguous() == 0);
    ParsedAmount r = reader.read("$1,234.50");
    CHECK(r.status == Status::ok);
    CHECK(r.problem.empty());
    ParsedAmount e = reader.read("N/A");
    CHECK(e.status == Status::empty);
    CHECK(e.value == 0);
    CHECK(e.problem.empty());
  }
}
