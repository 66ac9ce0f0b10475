// Output: every write checked (exit 3 naming the target), -o on what is not a regular file,
// outputs that would destroy an input, temporary files removed on SIGINT/SIGTERM/SIGHUP, the
// rejects file committed only with the output, option and config-file validation, and text
// from the data made harmless on a terminal.
#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "funnel/cli.h"
#include "funnel/output.h"
#include "support.h"

extern char** environ;

namespace fs = std::filesystem;
using funnel::test::read_file;
using funnel::test::run_cli;
using funnel::test::TempFile;

namespace {

const std::string kBinary = FUNNEL_BINARY;
const std::string kEvents = "examples/crm_events.csv";

struct TempDir {
  fs::path path;
  TempDir() {
    char name[] = "/tmp/funnel-output-XXXXXX";
    path = ::mkdtemp(name);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

struct ShellRun {
  int rc = -1;
  std::string err;
};

/// Runs `command` with sh; stderr is captured.
ShellRun shell(const std::string& command) {
  TempFile err("", ".err");
  int status = std::system(fmt::format("{} 2>{}", command, err.path()).c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(err.path())};
}

/// Files in `dir` whose name holds ".funnel-": temporary files left behind.
std::vector<std::string> temporaries(const fs::path& dir) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.find(".funnel-") != std::string::npos) found.push_back(name);
  }
  return found;
}

/// An export of `leads` leads, one row each.
void write_export(const std::string& path, int leads) {
  std::ofstream out(path);
  out << "lead_id,stage,timestamp\n";
  for (int i = 0; i < leads; ++i) out << 'L' << i << ",lead,2024-01-01\n";
}

}  // namespace

TEST_SUITE("output") {
  TEST_CASE("a failed write to standard output is exit 3 naming it, for every command") {
    TempDir dir;
    const std::string baseline = dir / "base.json";
    REQUIRE(shell(fmt::format("{} report -f json -o {} {}", kBinary, baseline, kEvents)).rc == 0);
    const std::vector<std::string> commands = {
        "report " + kEvents,
        "cohorts " + kEvents,
        "leads " + kEvents,
        "paths " + kEvents,
        "explain L-1001 " + kEvents,
        "check --require 'won >= 1' " + kEvents,
        "forecast " + kEvents,
        "inspect " + kEvents,
        fmt::format("diff {} {}", baseline, baseline),
        "completions bash",
        "report --help",
        "--version",
    };
    for (const std::string& args : commands) {
      CAPTURE(args);
      ShellRun full = shell(fmt::format("{} {} > /dev/full", kBinary, args));
      CHECK(full.rc == 3);
      CHECK(full.err.find("funnel: standard output: cannot write: No space left on device") != std::string::npos);
    }
    // A closed standard output: no file funnel opens takes its place.
    ShellRun closed = shell(fmt::format("{} report {} >&-", kBinary, kEvents));
    CHECK(closed.rc == 3);
    CHECK(closed.err == "funnel: standard output: cannot write: Bad file descriptor\n");
  }

  TEST_CASE("a broken pipe with SIGPIPE ignored is exit 3; with the default the run just ends") {
    TempDir dir;
    const std::string big = dir / "big.csv", rc = dir / "rc";
    write_export(big, 100000);
    ShellRun ignored =
        shell(fmt::format("bash -c 'trap \"\" PIPE; {} leads {} 2>{} | head -1 >/dev/null; "
                          "echo ${{PIPESTATUS[0]}} > {}'",
                          kBinary, big, dir / "err", rc));
    REQUIRE(ignored.rc == 0);
    CHECK(read_file(rc) == "3\n");
    CHECK(read_file(dir / "err") == "funnel: standard output: cannot write: Broken pipe\n");
    ShellRun killed = shell(fmt::format("bash -c '{} leads {} 2>{} | head -1 >/dev/null; echo ${{PIPESTATUS[0]}} > {}'",
                                        kBinary, big, dir / "err", rc));
    REQUIRE(killed.rc == 0);
    CHECK(read_file(rc) == fmt::format("{}\n", 128 + SIGPIPE));
    CHECK(read_file(dir / "err").empty());
  }

  TEST_CASE("-o writes into a FIFO, a device and /dev/stdout; it follows a symbolic link and replaces its target") {
    TempDir dir;
    const std::string expected = run_cli({"report", "-f", "csv", kEvents}).out;
    // A FIFO: written into, still a FIFO afterwards.
    const std::string fifo = dir / "fifo", got = dir / "got";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    ShellRun into_fifo = shell(fmt::format("cat {} > {} & {} report -f csv -o {} {}; rc=$?; wait; exit $rc", fifo, got,
                                           kBinary, fifo, kEvents));
    CHECK(into_fifo.rc == 0);
    CHECK(read_file(got) == expected);
    CHECK(fs::is_fifo(fifo));
    CHECK(temporaries(dir.path).empty());
    // A character device: written into (the write error of /dev/full names it), never replaced.
    ShellRun full = shell(fmt::format("{} report -o /dev/full {}", kBinary, kEvents));
    CHECK(full.rc == 3);
    CHECK(full.err == "funnel: /dev/full: cannot write: No space left on device\n");
    if (::geteuid() == 0) {  // root could replace a device node: one of our own stays a device
      const std::string node = dir / "null";
      REQUIRE(::mknod(node.c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);
      CHECK(run_cli({"report", "-o", node, kEvents}).rc == 0);
      CHECK(fs::is_character_file(node));
    }
    // /dev/stdout is standard output, whatever it is.
    ShellRun to_stdout = shell(fmt::format("{} report -f csv -o /dev/stdout {} > {}", kBinary, kEvents, got));
    CHECK(to_stdout.rc == 0);
    CHECK(read_file(got) == expected);
    CHECK(fs::is_symlink("/dev/stdout"));
    // A symbolic link: its target is replaced atomically, the link stays.
    const std::string target = dir / "target.csv", link = dir / "link.csv";
    std::ofstream(target) << "old\n";
    fs::create_symlink("target.csv", link);
    CHECK(run_cli({"report", "-f", "csv", "-o", link, kEvents}).rc == 0);
    CHECK(fs::is_symlink(link));
    CHECK(read_file(target) == expected);
    // A dangling link: its target is created.
    const std::string dangling = dir / "dangling.csv";
    fs::create_symlink("new.csv", dangling);
    CHECK(run_cli({"report", "-f", "csv", "-o", dangling, kEvents}).rc == 0);
    CHECK(fs::is_symlink(dangling));
    CHECK(read_file(dir / "new.csv") == expected);
    // A directory is refused.
    auto directory = run_cli({"report", "-o", dir.path.string(), kEvents});
    CHECK(directory.rc == 3);
    CHECK(directory.err == fmt::format("funnel: {}: cannot write: Is a directory\n", dir.path.string()));
    CHECK(temporaries(dir.path).empty());
  }

  TEST_CASE("-o or --rejects naming an input, or both naming one file, is a usage error") {
    TempDir dir;
    const std::string input = dir / "in.csv", alias = dir / "alias.csv", spend = dir / "spend.csv";
    fs::copy_file(kEvents, input);
    fs::copy_file("examples/spend.csv", spend);
    fs::create_symlink("in.csv", alias);
    const std::string original = read_file(input);
    auto same = run_cli({"report", "-o", input, input});
    CHECK(same.rc == 2);
    CHECK(same.err ==
          fmt::format("funnel: -o {} names the input file {}: the run would replace what it reads\n", input, input));
    CHECK(run_cli({"report", "-o", alias, input}).rc == 2);  // by device and inode
    CHECK(run_cli({"leads", "-o", input, alias}).rc == 2);
    CHECK(run_cli({"report", "--by", "source", "--spend", spend, "-o", spend, input}).rc == 2);
    auto rejects = run_cli({"paths", "--rejects", alias, input});
    CHECK(rejects.rc == 2);
    CHECK(rejects.err.find("--rejects " + alias + " names the input file " + input) != std::string::npos);
    CHECK(read_file(input) == original);
    // Both outputs naming one file, existing or not.
    const std::string out = dir / "out.csv";
    auto both = run_cli({"report", "-o", out, "--rejects", dir.path.string() + "/./out.csv", input});
    CHECK(both.rc == 2);
    CHECK(both.err ==
          fmt::format("funnel: -o {} and --rejects {}/./out.csv name the same file\n", out, dir.path.string()));
    CHECK(!fs::exists(out));
    // Devices are written into, not replaced: /dev/null for both is fine.
    CHECK(run_cli({"report", "-o", "/dev/null", "--rejects", "/dev/null", input}).rc == 0);
  }

  TEST_CASE("SIGINT, SIGTERM and SIGHUP during a write remove the temporary file") {
    TempDir dir;
    const std::string big = dir / "big.csv";
    write_export(big, 20000);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      CAPTURE(sig);
      const std::string rejects = dir / "rejects.csv";
      // The rejects file waits in its temporary file while the output goes to a pipe that
      // nobody reads: the run blocks there, and is stopped.
      int pipe_fds[2];
      REQUIRE(::pipe(pipe_fds) == 0);
      posix_spawn_file_actions_t actions;
      posix_spawn_file_actions_init(&actions);
      posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
      posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
      posix_spawnattr_t attr;
      posix_spawnattr_init(&attr);
      sigset_t defaults;
      sigemptyset(&defaults);
      for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&defaults, s);
      posix_spawnattr_setsigdefault(&attr, &defaults);
      posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
      std::vector<std::string> args = {kBinary, "leads", "--rejects", rejects, big};
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      pid_t pid = 0;
      REQUIRE(posix_spawn(&pid, kBinary.c_str(), &actions, &attr, argv.data(), environ) == 0);
      ::close(pipe_fds[1]);
      bool waiting = false;
      for (int i = 0; i < 600 && !waiting; ++i) {
        waiting = !temporaries(dir.path).empty();
        if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      CHECK(waiting);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      ::kill(pid, sig);
      int status = 0;
      REQUIRE(::waitpid(pid, &status, 0) == pid);
      ::close(pipe_fds[0]);
      posix_spawn_file_actions_destroy(&actions);
      posix_spawnattr_destroy(&attr);
      CHECK(WIFSIGNALED(status));
      CHECK(WTERMSIG(status) == sig);
      CHECK(temporaries(dir.path).empty());
      CHECK(!fs::exists(rejects));
    }
  }

  TEST_CASE("the rejects file is replaced only together with the output") {
    TempDir dir;
    const std::string rejects = dir / "rejects.csv", broken = dir / "broken.csv";
    std::ofstream(broken) << "lead_id,stage,timestamp\nA,lead,2024-01-01\n=1+1,lead\nB,lead,2024-01-02\n";
    std::ofstream(rejects) << "previous\n";
    auto failed = run_cli({"report", "--lenient", "--rejects", rejects, "-o", "/nonexistent/x", broken});
    CHECK(failed.rc == 3);
    CHECK(read_file(rejects) == "previous\n");
    ShellRun full = shell(fmt::format("{} report --lenient --rejects {} {} > /dev/full", kBinary, rejects, broken));
    CHECK(full.rc == 3);
    CHECK(read_file(rejects) == "previous\n");
    CHECK(temporaries(dir.path).empty());
    // Every command that reads exports writes it, with the raw text defused for spreadsheets.
    for (const char* command : {"report", "leads", "paths", "forecast"}) {
      CAPTURE(command);
      std::ofstream(rejects) << "previous\n";
      auto ok = run_cli({command, "--lenient", "--rejects", rejects, broken});
      CHECK(ok.rc == 0);
      CHECK(read_file(rejects) == fmt::format("file,line,reason,raw\n\"{}\",3,\"expected 3 fields (as in the header), "
                                              "found 2\",\"'=1+1,lead\"\n",
                                              broken));
    }
  }

  TEST_CASE("option values out of range are usage errors naming the range") {
    struct Case {
      std::vector<std::string> args;
      std::string message;
    };
    const std::vector<Case> cases = {
        {{"report", "--by", "source", "--top", "-5"}, "--top: Value -5 not in range 1 to 1000000"},
        {{"report", "--by", "source", "--top", "0"}, "--top: Value 0 not in range 1 to 1000000"},
        {{"report", "--by", "source", "--top", "1e20"}, "--top: Value 1e20 not in range 1 to 1000000"},
        {{"paths", "--top", "-1"}, "--top: Value -1 not in range 0 to 1000000"},
        {{"report", "--skip-lines", "-1"}, "--skip-lines: Value -1 not in range 0 to 1000000"},
        {{"check", "--require", "won >= 1", "--significance", "nan"},
         "funnel: --significance must be between 0 and 1, like 0.05, not nan"},
        {{"report", "--date-format", "%Q"},
         "funnel: --date-format '%Q': unknown field %Q; the fields are %Y %y %m %b %B %d %H %I %M %S %p and %% for a "
         "percent sign"},
        {{"report", "--since", "2024-05-01", "--until", "2024-04-01"},
         "funnel: --since 2024-05-01 is not before --until 2024-04-01: no lead could enter between them"},
    };
    for (const Case& c : cases) {
      auto args = c.args;
      args.push_back(kEvents);
      CAPTURE(fmt::format("{}", fmt::join(args, " ")));
      auto r = run_cli(args);
      CHECK(r.rc == 2);
      CHECK(r.err.find(c.message) != std::string::npos);
      CHECK(r.out.empty());
    }
    auto diff = run_cli({"diff", "--significance", "nan", "a.json", "b.json"});
    CHECK(diff.rc == 2);
    CHECK(diff.err == "funnel: --significance must be between 0 and 1, like 0.05, not nan\n");
  }

  TEST_CASE("a config file is strict TOML: every error names its line") {
    struct Case {
      std::string text;
      std::string message;  // after "funnel: FILE"
    };
    const std::vector<Case> cases = {
        {"stages = [\"a\", \"b\"\n", ":1:20: Error while parsing array: encountered end-of-file"},
        {"format = \"csv\"\nthis is not toml\n", ":2:6: Error while parsing key-value pair: expected '=', saw 'i'"},
        {"format = csv\n",
         ":1:10: Error while parsing value: could not determine value type (text is quoted in TOML: key = \"value\")"},
        {"[report]\nformat = \"csv\"\n[report]\nquiet = true\n",
         ":3:1: Error while parsing table header: cannot redefine existing table 'report'"},
        {"quiet = true\nquiet = false\n",
         ":2:9: Error while parsing key-value pair: cannot redefine existing boolean 'quiet'"},
        {"format = \"csv\"\n\n[report]\nformat = \"json\"\n",
         ":4: 'format' is given twice: at the top level (FILE:1) and in [report]"},
        {"[nonsense]\nformat = \"csv\"\n", ":1: unknown section [nonsense]"},
        {"[report.inner]\nformat = \"csv\"\n", ":1: unknown section [report.inner]"},
        {"\nformt = \"csv\"\n", ":2: unknown key 'formt' (did you mean 'format'?)"},
        {"config = \"other.toml\"\n", ":1: unknown key 'config'"},
        {"by = \"source\"\ntop = -5\n", ":2: --top: Value -5 not in range 1 to 1000000"},
        {"stages = [[\"a\"]]\n", ":1: 'stages' wants a string, number, boolean or date, or an array of them"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.text);
      TempFile config(c.text, ".toml");
      auto r = run_cli({"report", "--config", config.path(), kEvents});
      CHECK(r.rc == 2);
      std::string message = c.message;
      if (auto at = message.find("FILE"); at != std::string::npos) message.replace(at, 4, config.path());
      CHECK(r.err == "funnel: " + config.path() + message + "\n");
    }
    TempDir dir;
    auto directory = run_cli({"report", "--config", dir.path.string(), kEvents});
    CHECK(directory.rc == 3);
    CHECK(directory.err == fmt::format("funnel: {}: cannot read config file: Is a directory\n", dir.path.string()));
    // Valid TOML of every kind of value still works: a date, a number, a boolean, arrays.
    TempFile good("as-of = 2024-04-01\ntop = 2\nquiet = true\nby = [\"source\"]\n[report]\nformat = \"csv\"\n",
                  ".toml");
    auto r = run_cli({"report", "--config", good.path(), kEvents});
    CHECK(r.rc == 0);
    CHECK(r.out ==
          run_cli({"report", "--as-of", "2024-04-01", "--top", "2", "-q", "--by", "source", "-f", "csv", kEvents}).out);
  }

  TEST_CASE("on a terminal, output text from the data cannot drive it; to a pipe or file it stays exact") {
    const std::string csv =
        "lead_id,stage,timestamp\nL\033]0;pwned\007x,lead,2024-01-01\nL\xc2\x9b"
        "2J,lead,2024-01-02\n";
    for (const char* format : {"csv", "tsv"}) {
      CAPTURE(format);
      std::vector<const char*> argv{"funnel", "leads", "-f", format, "-"};
      std::istringstream in(csv);
      std::ostringstream out, err;
      funnel::Streams terminal{&in, out, err, true, false};
      REQUIRE(funnel::run(static_cast<int>(argv.size()), argv.data(), terminal) == 0);
      CHECK(out.str().find('\033') == std::string::npos);
      CHECK(out.str().find("L?]0;pwned?x") != std::string::npos);
      CHECK(out.str().find("L?2J") != std::string::npos);
      auto piped = run_cli({"leads", "-f", format, "-"}, csv);
      CHECK(piped.out.find("L\033]0;pwned\007x") != std::string::npos);
      CHECK(piped.out.find("L\xc2\x9b"
                           "2J") != std::string::npos);
    }
    CHECK(funnel::terminal_text("a\tb\nc\rd\033e\x7f\xc2\x85\xc3\xa9") == "a\tb\nc?d?e??\xc3\xa9");
  }
}
