// Test helpers: run the CLI in-process, write temporary files.
#pragma once

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "funnel/cli.h"

namespace funnel::test {

struct RunResult {
  int rc = -1;
  std::string out, err;
};

/// Runs `funnel ARGS...` with `input` on stdin, as main() would.
inline RunResult run_cli(const std::vector<std::string>& args, const std::string& input = "") {
  std::vector<const char*> argv{"funnel"};
  for (const auto& a : args) argv.push_back(a.c_str());
  std::istringstream in(input);
  std::ostringstream out, err;
  Streams streams{&in, out, err, false, false};
  RunResult r;
  r.rc = run(static_cast<int>(argv.size()), argv.data(), streams);
  r.out = out.str();
  r.err = err.str();
  return r;
}

/// A file in /tmp removed when the object dies.
class TempFile {
 public:
  explicit TempFile(const std::string& content, const std::string& suffix = ".csv") {
    char name[] = "/tmp/funnel-test-XXXXXX";
    int fd = ::mkstemp(name);
    ::close(fd);
    ::unlink(name);
    path_ = std::string(name) + suffix;
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace funnel::test
