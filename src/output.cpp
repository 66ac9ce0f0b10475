#include "funnel/output.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "funnel/diagnostics.h"

namespace funnel {

void write_file_atomically(const std::string& path, std::string_view content) {
  auto fail = [&](std::string_view what) {
    throw Error(ExitCode::io, fmt::format("{}: cannot {}: {}", path, what, std::strerror(errno)));
  };
  std::string temp = path + ".funnel-XXXXXX";
  int fd = ::mkstemp(temp.data());
  if (fd < 0) fail("create a temporary file beside it");
  // mkstemp makes the file 0600; give it what a plain create would get (0666 less umask).
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      errno = saved;
      fail("write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int saved = errno;
    ::unlink(temp.c_str());
    errno = saved;
    fail("write");
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(temp.c_str());
    errno = saved;
    fail("replace");
  }
}

}  // namespace funnel
