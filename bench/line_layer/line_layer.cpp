// The line layer alone, two ways, on one file: fast-cpp-csv-parser's io::LineReader
// (next_line + strlen, as funnel used it) and a memchr scan over 1 MiB blocks read with
// read(2) (what replaced it). Prints lines, a checksum of line lengths and seconds, so the
// two can be seen to agree. Build: g++ -O2 -std=c++20 -pthread line_layer.cpp -o line_layer
#include <limits>
#include <libfccp/csv.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

static double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: line_layer fccp|memchr FILE\n");
    return 2;
  }
  std::string mode = argv[1];
  auto t0 = std::chrono::steady_clock::now();
  unsigned long long lines = 0, sum = 0;
  if (mode == "fccp") {
    io::LineReader reader(argv[2]);
    while (char* line = reader.next_line()) {
      ++lines;
      sum += std::strlen(line);
    }
  } else {
    int fd = ::open(argv[2], O_RDONLY);
    if (fd < 0) return 3;
    std::vector<char> buf(std::size_t{1} << 21);
    std::size_t begin = 0, end = 0;
    for (;;) {
      ssize_t got = ::read(fd, buf.data() + end, buf.size() - end);
      if (got <= 0) break;
      end += static_cast<std::size_t>(got);
      for (;;) {
        auto* nl = static_cast<char*>(std::memchr(buf.data() + begin, '\n', end - begin));
        if (nl == nullptr) break;
        std::size_t len = static_cast<std::size_t>(nl - (buf.data() + begin));
        if (len > 0 && buf[begin + len - 1] == '\r') --len;
        ++lines;
        sum += len;
        begin = static_cast<std::size_t>(nl - buf.data()) + 1;
      }
      std::memmove(buf.data(), buf.data() + begin, end - begin);
      end -= begin;
      begin = 0;
    }
    ::close(fd);
  }
  std::printf("%s lines=%llu bytes=%llu seconds=%.3f\n", mode.c_str(), lines, sum, seconds_since(t0));
  return 0;
}
