#include "funnel/output.h"

#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "funnel/diagnostics.h"

namespace funnel {
namespace {

// Temporary files the signal handler removes. A slot is taken and given back by the thread
// that writes the output; the handler only reads `armed` (lock-free) and the path, and calls
// unlink(), which is async-signal-safe.
constexpr int kSlots = 4;
char temp_paths[kSlots][PATH_MAX + 1];
std::atomic<bool> armed[kSlots];
bool taken[kSlots];
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void remove_temp_files(int sig) {
  for (int i = 0; i < kSlots; ++i) {
    if (armed[i].load()) ::unlink(temp_paths[i]);
  }
  // The handler was reset to the default (SA_RESETHAND): the process ends of the signal,
  // delivered when the handler returns, so its parent sees what killed it.
  ::raise(sig);
}

constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP};

/// Installs the handler for the signals a user or cron sends to stop a run, once; a signal
/// the process was started with ignored (nohup) stays ignored.
void install_handlers() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  for (int sig : kCleanupSignals) {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) != 0 || old.sa_handler == SIG_IGN) continue;
    struct sigaction act {};
    act.sa_handler = remove_temp_files;
    ::sigemptyset(&act.sa_mask);
    act.sa_flags = static_cast<int>(SA_RESETHAND);
    ::sigaction(sig, &act, nullptr);
  }
}

/// Blocks the cleanup signals in this thread while a temporary file is created and armed, so
/// none can arrive between the two.
class BlockSignals {
 public:
  BlockSignals() {
    sigset_t set;
    ::sigemptyset(&set);
    for (int sig : kCleanupSignals) ::sigaddset(&set, sig);
    ::pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~BlockSignals() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  BlockSignals(const BlockSignals&) = delete;
  BlockSignals& operator=(const BlockSignals&) = delete;

 private:
  sigset_t old_;
};

[[noreturn]] void fail(const std::string& name, std::string_view what, int error) {
  throw Error(ExitCode::io, error != 0 ? fmt::format("{}: cannot {}: {}", name, what, std::strerror(error))
                                       : fmt::format("{}: cannot {}", name, what));
}

/// Writes all of `data` to `fd`; false with errno set on failure.
bool write_all(int fd, std::string_view data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

/// /dev/fd/N, /proc/self/fd/N, /proc/PID/fd/N: a descriptor someone opened, written into.
bool descriptor_path(std::string_view p) {
  return starts_with(p, "/dev/fd/") || (starts_with(p, "/proc/") && p.find("/fd/") != std::string_view::npos) ||
         p == "/dev/stdout" || p == "/dev/stderr" || p == "/dev/stdin";
}

/// Follows symbolic links from `path` to the file they end at (which may not exist yet).
/// Sets `descriptor` when a step goes through /dev/fd or /proc/.../fd.
std::string resolve_links(const std::string& path, bool& descriptor) {
  std::string p = path;
  for (int hop = 0; hop < 40; ++hop) {
    descriptor = descriptor || descriptor_path(p);
    if (descriptor) return p;
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p;
    std::string link(PATH_MAX, '\0');
    ssize_t n = ::readlink(p.c_str(), link.data(), link.size());
    if (n < 0) fail(path, "follow the symbolic link", errno);
    link.resize(static_cast<std::size_t>(n));
    if (link.empty() || link[0] != '/') {
      auto slash = p.rfind('/');
      link = (slash == std::string::npos ? std::string() : p.substr(0, slash + 1)) + link;
    }
    p = link;
  }
  fail(path, "follow the symbolic link", ELOOP);
}

/// Flushes `out` and checks that it took everything written to it.
void check_stdout(std::ostream& out) {
  errno = 0;
  out.flush();
  if (!out) fail("standard output", "write", errno);
}

}  // namespace

void reserve_standard_descriptors() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // open() returns the lowest free descriptor: this one, as those below it are open.
    int got = ::open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
    if (got >= 0 && got != fd) ::close(got);
  }
}

bool names_stdout(const std::string& path) {
  return path.empty() || path == "-" || path == "/dev/stdout" || path == "/dev/fd/1" || path == "/proc/self/fd/1";
}

std::string terminal_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto u = static_cast<unsigned char>(text[i]);
    if ((u < 0x20 && u != '\n' && u != '\t') || u == 0x7f) {
      out += '?';
    } else if (u == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      out += '?';  // a C1 control (U+0080..U+009F), such as the one-byte CSI U+009B
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

void write_stdout(std::ostream& out, std::string_view text, bool terminal) {
  std::string safe;
  if (terminal) {
    safe = terminal_text(text);
    text = safe;
  }
  if (&out == &std::cout) {
    // The process's own standard output: written straight to the descriptor, so the error
    // that stopped a write is the one reported.
    check_stdout(out);
    if (!write_all(STDOUT_FILENO, text)) fail("standard output", "write", errno);
    return;
  }
  errno = 0;
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  check_stdout(out);
}

PendingFile::PendingFile(const std::string& path, std::string_view content) : path_(path), content_(content) {
  bool descriptor = false;
  target_ = resolve_links(path, descriptor);
  struct stat st {};
  if (descriptor || (::stat(target_.c_str(), &st) == 0 && !S_ISREG(st.st_mode))) {
    if (!descriptor && S_ISDIR(st.st_mode)) fail(path_, "write", EISDIR);
    direct_ = true;  // a FIFO, a device, an open descriptor: written into at commit()
    return;
  }
  install_handlers();
  std::string temp = target_ + ".funnel-XXXXXX";
  int fd = -1;
  {
    BlockSignals block;
    for (int i = 0; i < kSlots; ++i) {
      if (!taken[i]) {
        slot_ = i;
        break;
      }
    }
    if (slot_ < 0 || temp.size() > PATH_MAX)
      fail(path_, "create a temporary file beside it", slot_ < 0 ? EMFILE : ENAMETOOLONG);
    fd = ::mkstemp(temp.data());
    if (fd < 0) {
      int saved = errno;
      slot_ = -1;
      fail(path_, "create a temporary file beside it", saved);
    }
    taken[slot_] = true;
    std::memcpy(temp_paths[slot_], temp.c_str(), temp.size() + 1);
    armed[slot_].store(true);
  }
  // mkstemp makes the file 0600; give it what a plain create would get (0666 less umask).
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  bool ok = write_all(fd, content_) && ::fsync(fd) == 0;
  int saved = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    saved = errno;
  }
  if (!ok) {
    discard();
    fail(path_, "write", saved);
  }
}

PendingFile::~PendingFile() { discard(); }

void PendingFile::discard() noexcept {
  if (slot_ < 0) return;
  ::unlink(temp_paths[slot_]);
  armed[slot_].store(false);
  taken[slot_] = false;
  slot_ = -1;
}

void PendingFile::commit() {
  if (direct_) {
    int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) fail(path_, "open", errno);
    bool ok = write_all(fd, content_);
    int saved = errno;
    if (::close(fd) != 0 && ok) {
      ok = false;
      saved = errno;
    }
    if (!ok) fail(path_, "write", saved);
    direct_ = false;
    return;
  }
  if (slot_ < 0) return;
  if (::rename(temp_paths[slot_], target_.c_str()) != 0) {
    int saved = errno;
    discard();
    fail(path_, "replace", saved);
  }
  // Renamed: nothing is left to remove (an unlink by a signal now finds no file).
  armed[slot_].store(false);
  taken[slot_] = false;
  slot_ = -1;
}

void write_file_atomically(const std::string& path, std::string_view content) {
  PendingFile file(path, content);
  file.commit();
}

void write_command_output(std::ostream& out, const std::string& output, std::string_view text, bool terminal,
                          const std::string& rejects, std::string_view rejects_text) {
  std::optional<PendingFile> rejected;
  if (!rejects.empty()) rejected.emplace(rejects, rejects_text);
  if (names_stdout(output)) {
    write_stdout(out, text, terminal);
  } else {
    write_file_atomically(output, text);
  }
  if (rejected) rejected->commit();
}

namespace {

struct FileIdentity {
  bool exists = false;
  bool regular = false;
  dev_t dev = 0;
  ino_t ino = 0;
  std::string absolute;
};

FileIdentity identify(const std::string& path) {
  FileIdentity id;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    id.exists = true;
    id.regular = S_ISREG(st.st_mode);
    id.dev = st.st_dev;
    id.ino = st.st_ino;
  }
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(std::filesystem::absolute(path, ec), ec);
  id.absolute = ec ? path : canonical.string();
  return id;
}

bool same_file(const FileIdentity& a, const FileIdentity& b) {
  if (a.exists && b.exists) return a.dev == b.dev && a.ino == b.ino;
  return !a.exists && !b.exists && a.absolute == b.absolute;
}

}  // namespace

void check_output_targets(const std::string& output, const std::string& rejects,
                          const std::vector<std::string>& inputs) {
  struct Target {
    const char* flag;
    const std::string* path;
    FileIdentity id;
  };
  std::vector<Target> targets;
  if (!names_stdout(output)) targets.push_back({"-o", &output, identify(output)});
  if (!rejects.empty()) targets.push_back({"--rejects", &rejects, identify(rejects)});
  // Only what would be replaced counts: a FIFO or a device is written into, not replaced.
  std::erase_if(targets, [](const Target& t) { return t.id.exists && !t.id.regular; });
  for (const Target& t : targets) {
    for (const std::string& input : inputs) {
      if (input.empty() || input == "-") continue;
      if (same_file(t.id, identify(input))) {
        throw Error(ExitCode::usage, fmt::format("{} {} names the input file {}: the run would replace what it reads",
                                                 t.flag, *t.path, input));
      }
    }
  }
  if (targets.size() == 2 && same_file(targets[0].id, targets[1].id)) {
    throw Error(ExitCode::usage, fmt::format("-o {} and --rejects {} name the same file", output, rejects));
  }
}

}  // namespace funnel
