// gzip input: recognized by the magic bytes 1f 8b (never by the name), for files and stdin,
// inflated in blocks; multi-member files; truncated and corrupt data are I/O errors (exit 3).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <zlib.h>

#include "funnel/diagnostics.h"
#include "funnel/input.h"
#include "support.h"

using funnel::test::read_file;
using funnel::test::run_cli;
using funnel::test::TempFile;

namespace {

/// One gzip member holding `data` (zlib's deflate with the gzip wrapper).
std::string gzip(const std::string& data, int level = 6) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2");
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
  return out;
}

/// The same, written through zlib's gzopen/gzwrite file interface.
void gzwrite_file(const std::string& path, const std::string& data) {
  gzFile f = gzopen(path.c_str(), "wb9");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, data.data(), static_cast<unsigned>(data.size())) == static_cast<int>(data.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

const std::string& crm_events() {
  static const std::string text = read_file("examples/crm_events.csv");
  return text;
}

/// A long-format export of `rows` events over many leads, stages and sources (~60 bytes a row).
std::string generated_csv(std::size_t rows) {
  static const char* stages[] = {"lead", "mql", "sql", "opportunity", "customer"};
  static const char* sources[] = {"google", "linkedin", "referral", "event", "organic"};
  std::string csv = "lead_id,stage,timestamp,source,owner\n";
  csv.reserve(rows * 64);
  for (std::size_t i = 0; i < rows; ++i) {
    std::size_t lead = i / 3, step = i % 3 + (lead % 3);
    char line[128];
    std::snprintf(line, sizeof line, "L%08zu,%s,2024-%02zu-%02zuT%02zu:%02zu:00Z,%s,owner%zu\n", lead, stages[step % 5],
                  lead % 12 + 1, step * 4 + lead % 9 + 1, lead % 24, i % 60, sources[lead % 5], lead % 17);
    csv += line;
  }
  return csv;
}

/// A ByteStream over a string that hands out at most `piece` bytes a read, to probe the
/// refill and member-boundary paths with short reads.
class TrickleStream : public funnel::ByteStream {
 public:
  TrickleStream(std::string data, std::size_t piece) : data_(std::move(data)), piece_(piece) {}
  std::size_t read(char* buffer, std::size_t size) override {
    std::size_t n = std::min({size, piece_, data_.size() - pos_});
    std::memcpy(buffer, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  std::size_t piece_, pos_ = 0;
};

/// Reads the whole of `gz` through gunzip_if_magic in `block`-byte reads, checking that
/// every read but the last fills the buffer.
std::string inflate_all(const std::string& gz, std::size_t piece, std::size_t block) {
  auto stream = funnel::gunzip_if_magic(std::make_unique<TrickleStream>(gz, piece), "t.gz");
  std::string out, buf(block, '\0');
  for (;;) {
    std::size_t n = stream->read(buf.data(), buf.size());
    if (n == 0) break;
    out.append(buf, 0, n);
    if (n < block) {
      CHECK(stream->read(buf.data(), buf.size()) == 0);  // a short read only at the end
      break;
    }
  }
  return out;
}

}  // namespace

TEST_SUITE("gzip") {
  TEST_CASE("a gzip file reports exactly what the plain file does") {
    auto plain = run_cli({"report", "examples/crm_events.csv"});
    REQUIRE(plain.rc == 0);
    REQUIRE(!plain.out.empty());
    TempFile gz(gzip(crm_events()), ".csv.gz");
    auto r = run_cli({"report", gz.path()});
    CHECK(r.rc == 0);
    CHECK(r.out == plain.out);
    CHECK(r.err == plain.err);

    TempFile via_gzwrite("", ".gz");
    gzwrite_file(via_gzwrite.path(), crm_events());
    auto w = run_cli({"report", "-f", "csv", via_gzwrite.path()});
    CHECK(w.rc == 0);
    CHECK(w.out == run_cli({"report", "-f", "csv", "examples/crm_events.csv"}).out);
  }

  TEST_CASE("the magic decides, not the name") {
    auto plain = run_cli({"report", "examples/crm_events.csv"});
    TempFile no_suffix(gzip(crm_events()), ".csv");  // gzip data named .csv: inflated
    CHECK(run_cli({"report", no_suffix.path()}).out == plain.out);
    TempFile plain_named_gz(crm_events(), ".csv.gz");  // plain CSV named .gz: read as CSV
    auto r = run_cli({"report", plain_named_gz.path()});
    CHECK(r.rc == 0);
    CHECK(r.out == plain.out);
    // Binary data named .gz without the magic is read as CSV and fails naming the file.
    TempFile junk(std::string("\x1f\x8c\x00\x01junk\n", 8), ".gz");
    auto j = run_cli({"report", junk.path()});
    CHECK(j.rc == 4);
    CHECK(j.err.rfind("funnel: " + junk.path() + ":1:", 0) == 0);
  }

  TEST_CASE("gzip on stdin, as from zcat x | funnel report") {
    auto plain = run_cli({"report", "examples/crm_events.csv"});
    auto r = run_cli({"report", "-"}, gzip(crm_events(), 9));
    CHECK(r.rc == 0);
    CHECK(r.out == plain.out);
    auto csv = run_cli({"report", "-f", "csv", "-"}, gzip(crm_events(), 1));
    CHECK(csv.out == run_cli({"report", "-f", "csv", "examples/crm_events.csv"}).out);
  }

  TEST_CASE("a multi-member file (cat a.gz b.gz) gives both contents") {
    const std::string& text = crm_events();
    auto plain = run_cli({"report", "examples/crm_events.csv"});
    for (std::size_t cut : {std::size_t{1}, text.size() / 3, text.size() / 2 + 7, text.size() - 11}) {
      CAPTURE(cut);
      std::string members = gzip(text.substr(0, cut)) + gzip(text.substr(cut, 10)) + gzip(text.substr(cut + 10));
      TempFile gz(members, ".gz");
      auto r = run_cli({"report", gz.path()});
      CHECK(r.rc == 0);
      CHECK(r.out == plain.out);
      CHECK(run_cli({"report", "-"}, members).out == plain.out);
    }
    // An empty member in between is allowed too.
    CHECK(run_cli({"report", "-"}, gzip("") + gzip(text)).out == plain.out);
  }

  TEST_CASE("truncated gzip data is an I/O error naming the file") {
    std::string gz = gzip(crm_events());
    for (std::size_t keep : {std::size_t{2}, std::size_t{5}, gz.size() / 2, gz.size() - 4, gz.size() - 1}) {
      CAPTURE(keep);
      TempFile cut(gz.substr(0, keep), ".csv.gz");
      auto r = run_cli({"report", cut.path()});
      CHECK(r.rc == 3);
      CHECK(r.err == "funnel: " + cut.path() + ": gzip data is truncated\n");
      auto in = run_cli({"report", "-"}, gz.substr(0, keep));
      CHECK(in.rc == 3);
      CHECK(in.err == "funnel: <stdin>: gzip data is truncated\n");
    }
    // The second member of a multi-member file cut short.
    std::string two = gz + gz.substr(0, 30);
    auto r = run_cli({"report", "-"}, two);
    CHECK(r.rc == 3);
    CHECK(r.err == "funnel: <stdin>: gzip data is truncated\n");
  }

  TEST_CASE("corrupt gzip data is an I/O error with zlib's reason") {
    std::string gz = gzip(crm_events());
    auto corrupt = [&](std::string data) {
      TempFile f(data, ".gz");
      auto r = run_cli({"report", f.path()});
      CHECK(r.rc == 3);
      std::string prefix = "funnel: " + f.path() + ": gzip data is corrupt: ";
      CHECK(r.err.rfind(prefix, 0) == 0);
      return r.err.substr(std::min(prefix.size(), r.err.size()));
    };
    std::string bad_method = gz;
    bad_method[2] = 9;  // CM must be 8 (deflate)
    CHECK(corrupt(bad_method) == "unknown compression method\n");
    std::string bad_crc = gz;
    bad_crc[gz.size() - 8] = static_cast<char>(bad_crc[gz.size() - 8] ^ 0x55);
    CHECK(corrupt(bad_crc) == "incorrect data check\n");
    std::string bad_length = gz;
    bad_length[gz.size() - 4] = static_cast<char>(bad_length[gz.size() - 4] ^ 0x01);
    CHECK(corrupt(bad_length) == "incorrect length check\n");
    std::string bad_block = gz;
    bad_block[10] = '\x07';  // BFINAL=1, BTYPE=11: reserved
    CHECK(corrupt(bad_block) == "invalid block type\n");
    CHECK(corrupt(gz + "garbage") == "trailing data after the last gzip member\n");
    CHECK(corrupt(gz + "\x1f") == "trailing data after the last gzip member\n");
    auto in = run_cli({"report", "-"}, bad_crc);
    CHECK(in.rc == 3);
    CHECK(in.err == "funnel: <stdin>: gzip data is corrupt: incorrect data check\n");
  }

  TEST_CASE("invalid UTF-8 inside gzip is reported at its line in the decompressed text") {
    std::string text =
        "lead_id,stage,timestamp\nL1,lead,2024-01-01T00:00:00Z\nL1,mql,2024-01-02T00:00:00Z\n"
        "L2,lead,2024-01-03T00:00:00Z\nL2,caf\xe9,2024-01-04T00:00:00Z\n";
    TempFile plain(text, ".csv");
    TempFile gz(gzip(text), ".csv.gz");
    auto p = run_cli({"report", plain.path()});
    auto r = run_cli({"report", gz.path()});
    CHECK(r.rc == 4);
    CHECK(r.rc == p.rc);
    CHECK(r.err.rfind("funnel: " + gz.path() + ":5:7: invalid UTF-8 byte 0xe9", 0) == 0);
    CHECK(r.err.substr(r.err.find(":5:")) == p.err.substr(p.err.find(":5:")));
    auto in = run_cli({"report", "-"}, gzip(text));
    CHECK(in.rc == 4);
    CHECK(in.err.rfind("funnel: <stdin>:5:7: invalid UTF-8 byte 0xe9", 0) == 0);
  }

  TEST_CASE("an empty gzip file is an empty input") {
    TempFile empty("", ".csv");
    TempFile gz(gzip(""), ".csv.gz");
    auto p = run_cli({"report", empty.path()});
    auto r = run_cli({"report", gz.path()});
    CHECK(r.rc == 7);
    CHECK(r.rc == p.rc);
    CHECK(run_cli({"report", "-"}, gzip("")).rc == 7);
  }

  TEST_CASE("5 MB of gzip across block boundaries reports what the plain file does") {
    std::string csv = generated_csv(100000);
    REQUIRE(csv.size() > 5'000'000);
    TempFile plain(csv, ".csv");
    auto expected = run_cli({"report", "--by", "source", "-f", "csv", plain.path()});
    REQUIRE(expected.rc == 0);
    for (int level : {1, 9}) {
      CAPTURE(level);
      std::string gz = gzip(csv, level);
      // A multi-member copy whose member boundary falls well inside the 256 KiB input block.
      std::string two = gzip(csv.substr(0, 1'000'003), level) + gzip(csv.substr(1'000'003), level);
      TempFile file(gz, ".csv.gz"), split(two, ".csv.gz");
      CHECK(run_cli({"report", "--by", "source", "-f", "csv", file.path()}).out == expected.out);
      CHECK(run_cli({"report", "--by", "source", "-f", "csv", split.path()}).out == expected.out);
      CHECK(run_cli({"report", "--by", "source", "-f", "csv", "-"}, gz).out == expected.out);
    }
    // Odd decoder chunk sizes move every block edge.
    std::string gz = gzip(csv, 6);
    TempFile file(gz, ".csv.gz");
    for (std::size_t chunk : {std::size_t{4093}, std::size_t{65537}}) {
      CAPTURE(chunk);
      funnel::TextDecoder::set_chunk_size(chunk);
      auto r = run_cli({"report", "--by", "source", "-f", "csv", file.path()});
      funnel::TextDecoder::set_chunk_size(std::size_t{1} << 20);
      CHECK(r.out == expected.out);
    }
  }

  TEST_CASE("read() fills the buffer and returns 0 only at the end, whatever the input pieces") {
    std::string text = generated_csv(20000);  // ~1.2 MB: several 256 KiB input blocks
    std::string members =
        gzip(text.substr(0, 777), 1) + gzip(text.substr(777, 300'001), 9) + gzip("") + gzip(text.substr(300'778), 6);
    for (std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{4096}, std::size_t{1} << 30}) {
      for (std::size_t block : {std::size_t{1}, std::size_t{1000}, std::size_t{1} << 20}) {
        if (piece == 1 && block == 1) continue;  // slow and adds nothing
        CAPTURE(piece);
        CAPTURE(block);
        CHECK(inflate_all(members, piece, block) == text);
      }
    }
    // Without the magic the bytes pass through unchanged, the peeked ones included.
    CHECK(inflate_all(text.substr(0, 5000), 3, 1000) == text.substr(0, 5000));
    CHECK(inflate_all("a", 1, 1000) == "a");
    CHECK(inflate_all("\x1f", 1, 1000) == "\x1f");
    CHECK(inflate_all("", 1, 1000).empty());
    auto cut = funnel::gunzip_if_magic(std::make_unique<TrickleStream>(members.substr(0, 5000), 7), "t.gz");
    std::string buf(1 << 20, '\0');
    try {
      cut->read(buf.data(), buf.size());
      FAIL("no error");
    } catch (const funnel::Error& e) {
      CHECK(e.code() == funnel::ExitCode::io);
      CHECK(std::string(e.what()) == "t.gz: gzip data is truncated");
    }
  }
}
