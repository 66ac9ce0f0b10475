// The completion scripts, exercised by the real shells: bash runs _funnel on simulated
// COMP_WORDS, zsh completes a typed line in a pseudo-terminal (zpty), fish answers complete -C.
// The shells are required (scripts/install-deps installs them): a missing one fails here.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "funnel/completions.h"
#include "funnel/diagnostics.h"
#include "support.h"

// Failed checks show the candidates.
namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& words) {
    std::string out = "{";
    for (const auto& w : words) out += (out.size() > 1 ? ", \"" : "\"") + w + "\"";
    return (out + "}").c_str();
  }
};
}  // namespace doctest

using funnel::test::run_cli;
using funnel::test::TempFile;

namespace {

struct Shell {
  int rc = -1;
  std::string out;  ///< stdout and stderr
};

Shell shell(const std::string& command) {
  Shell result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) result.out.append(buffer, n);
  int status = ::pclose(pipe);
  result.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string sh_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    out.push_back(text.substr(start, nl - start));
  if (start < text.size()) out.push_back(text.substr(start));
  return out;
}

bool has(const std::vector<std::string>& list, const std::string& word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

/// `word` occurs in `text` as a whole option name, not as part of a longer one.
bool has_word(const std::string& text, const std::string& word) {
  auto name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; };
  for (std::size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    std::size_t end = at + word.size();
    if ((at == 0 || !name_char(text[at - 1])) && (end == text.size() || !name_char(text[end]))) return true;
  }
  return false;
}

void require_tool(const char* tool) {
  INFO(tool << " is not installed: run scripts/install-deps");
  REQUIRE(shell(std::string("command -v ") + tool + " >/dev/null").rc == 0);
}

std::string script(const char* shell_name) {
  auto r = run_cli({"completions", shell_name});
  REQUIRE(r.rc == 0);
  REQUIRE(r.err.empty());
  return r.out;
}

/// A directory in /tmp removed when the object dies.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/funnel-compl-XXXXXX";
    REQUIRE(::mkdtemp(name) != nullptr);
    path_ = name;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// What bash's _funnel puts in COMPREPLY for `words` (the last one being completed).
std::vector<std::string> bash_complete(const std::string& script_path, const std::vector<std::string>& words,
                                       const std::string& dir = "/") {
  std::string driver =
      "cd " + sh_quote(dir) + " || exit 9\nsource " + sh_quote(script_path) + " || exit 9\nCOMP_WORDS=(";
  for (const auto& w : words) driver += sh_quote(w) + " ";
  driver += ")\nCOMP_CWORD=" + std::to_string(words.size() - 1) +
            "\nCOMP_LINE=\"${COMP_WORDS[*]}\"; COMP_POINT=${#COMP_LINE}\n"
            "_funnel || exit 8\n(( ${#COMPREPLY[@]} )) && printf '%s\\n' \"${COMPREPLY[@]}\"\nexit 0\n";
  TempFile file(driver, ".bash");
  Shell r = shell("bash --norc --noprofile " + file.path());
  INFO("bash said: " << r.out);
  REQUIRE(r.rc == 0);
  return lines(r.out);
}

/// What fish offers for `line` (candidates without their descriptions), or with descriptions.
std::vector<std::string> fish_complete(const std::string& script_path, const std::string& line,
                                       bool descriptions = false) {
  Shell r = shell("fish --no-config -c " +
                  sh_quote("source " + sh_quote(script_path) + "; and complete -C" + sh_quote(line)));
  INFO("fish said: " << r.out);
  REQUIRE(r.rc == 0);
  std::vector<std::string> out = lines(r.out);
  if (!descriptions) {
    for (auto& l : out) l = l.substr(0, l.find('\t'));
  }
  return out;
}

/// Drives an interactive zsh in a pseudo-terminal: compinit, the script, then `line` and a
/// TAB; a compadd wrapper prints every candidate zsh offers ("hit X") and every line it would
/// list ("display X  -- description"): the zsh-capture-completion idea.
constexpr const char* kZshHarness = R"zsh(zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z "source ${(q)1}; print READY-\$((6*7))"
out="" chunk=""
integer i
for (( i = 0; i < 400; i++ )); do
  if zpty -r -t z chunk; then out+=$chunk; [[ $out == *READY-42* ]] && break; else sleep 0.05; fi
done
[[ $out == *READY-42* ]] || { print -r -- "harness: setup timed out: $out"; exit 4; }
zpty -n -w z "$2"$'\t'
out=""
for (( i = 0; i < 400; i++ )); do
  if zpty -r -t z chunk; then out+=$chunk; [[ $out == *"<DONE>"* ]] && break; else sleep 0.05; fi
done
zpty -d z
[[ $out == *"<DONE>"* ]] || { print -r -- "harness: completion timed out: $out"; exit 5; }
for line in ${(f)out}; do
  [[ $line == *"<HIT>"* ]] && { line=${line#*<HIT>}; print -r -- "hit ${line%%</HIT>*}" }
  [[ $line == *"<DISP>"* ]] && { line=${line#*<DISP>}; print -r -- "display ${line%%</DISP>*}" }
done
exit 0
)zsh";

constexpr const char* kZshSetup = R"zsh(PROMPT='' RPROMPT='' COLUMNS=1000
[[ -d $FUNNEL_ZSH_SCRIPT ]] && fpath=("$FUNNEL_ZSH_SCRIPT" $fpath)
autoload -U compinit && compinit -u -d "$FUNNEL_ZCOMPDUMP"
if [[ -f $FUNNEL_ZSH_SCRIPT ]]; then source "$FUNNEL_ZSH_SCRIPT" || exit 9; fi
compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi
  local -a args=("$@"); local k d
  for (( k = 1; k < $#args; k++ )); do
    [[ $args[k] == -*d && $args[k+1] == [[:alpha:]_]* ]] || continue
    for d in ${(P)args[k+1]}; do print -n -- "\n<DISP>$d</DISP>"; done
  done
  local -a __hits; builtin compadd -A __hits "$@"; (( $#__hits )) || return 1
  local h; for h in $__hits; do print -n -- "\n<HIT>$h</HIT>"; done
  builtin compadd "$@"
}
_harness_done() { print -n -- "\n<DONE>"; exit }
comppostfuncs=(_harness_done)
)zsh";

/// The candidates zsh offers for `line` (kind "hit") or the lines it lists (kind "display"),
/// with the script sourced, or autoloaded when `script_path` is a directory in $fpath.
/// compinit's dump is kept in `cache` (scanning $fpath takes most of a second).
std::vector<std::string> zsh_complete(const std::string& script_path, const TempDir& cache, const std::string& line,
                                      const std::string& kind = "hit") {
  TempFile harness(kZshHarness, ".zsh");
  TempFile setup(kZshSetup, ".zsh");
  Shell r = shell("FUNNEL_ZSH_SCRIPT=" + sh_quote(script_path) +
                  " FUNNEL_ZCOMPDUMP=" + sh_quote(cache.path() + "/zcompdump") + " zsh -f " + harness.path() + " " +
                  setup.path() + " " + sh_quote(line));
  INFO("zsh said: " << r.out);
  REQUIRE(r.rc == 0);
  std::vector<std::string> out;
  for (const auto& l : lines(r.out)) {
    if (l.rfind(kind + " ", 0) == 0) out.push_back(l.substr(kind.size() + 1));
  }
  return out;
}

/// The subcommands `funnel --help` lists.
std::vector<std::string> help_subcommands() {
  std::vector<std::string> names;
  bool in_list = false;
  for (const auto& l : lines(run_cli({"--help"}).out)) {
    if (l.rfind("Subcommands:", 0) == 0) {
      in_list = true;
    } else if (in_list && l.empty()) {
      break;
    } else if (in_list) {
      std::size_t start = l.find_first_not_of(' ');
      names.push_back(l.substr(start, l.find(' ', start) - start));
    }
  }
  return names;
}

/// The long options `funnel SUB --help` lists: "  -f,--format TEXT=table   Output format...".
std::set<std::string> help_long_options(const std::string& sub) {
  std::set<std::string> options;
  for (const auto& l : lines(run_cli({sub, "--help"}).out)) {
    std::size_t start = l.find_first_not_of(' ');
    if (start == 0 || start == std::string::npos || l[start] != '-') continue;
    std::string names = l.substr(start, l.find(' ', start) - start);
    for (std::size_t at = 0; at != std::string::npos;) {
      std::size_t comma = names.find(',', at);
      std::string name = names.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
      if (name.rfind("--", 0) == 0) options.insert(name);
      at = comma == std::string::npos ? comma : comma + 1;
    }
  }
  return options;
}

/// A CLI whose help text has everything a shell could trip on.
struct AwkwardCli {
  CLI::App app{"awkward", "funnel"};
  std::string value, path;
  static constexpr const char* sub_help = "it's [odd]: \"quoted\" $(exit 7) `exit 7` \\ back;slash & | < > # ~ *";
  static constexpr const char* option_help = "a 'b' [c] d:e \"f\" $HOME `g` \\h %s {i,j} !k";
  AwkwardCli() {
    CLI::App* sub = app.add_subcommand("odd-one", sub_help);
    sub->add_option("--weird-one", value, option_help);
    sub->add_option("-w,--write", path, "Write to FILE");
  }
};

}  // namespace

TEST_SUITE("completions") {
  TEST_CASE("bash: subcommands, options and known values complete") {
    require_tool("bash");
    TempFile bash(script("bash"), ".bash");
    CHECK(bash_complete(bash.path(), {"funnel", "re"}) == std::vector<std::string>{"report"});
    CHECK(bash_complete(bash.path(), {"funnel", "report", "--for"}) == std::vector<std::string>{"--format"});
    CHECK(bash_complete(bash.path(), {"funnel", "report", "--count", "o"}) == std::vector<std::string>{"ordered"});
    auto formats = bash_complete(bash.path(), {"funnel", "report", "--format", ""});
    for (const char* f : {"table", "csv", "tsv", "json", "markdown", "html", "svg"}) {
      CAPTURE(f);
      CHECK(has(formats, f));
    }
    CHECK(formats.size() == 7);
    CHECK(bash_complete(bash.path(), {"funnel", "report", "-f", "ma"}) == std::vector<std::string>{"markdown"});
    // --format=js arrives as --format, =, js (= is a word break)
    CHECK(bash_complete(bash.path(), {"funnel", "report", "--format", "=", "js"}) == std::vector<std::string>{"json"});
    CHECK(bash_complete(bash.path(), {"funnel", "inspect", "--format", ""}) ==
          std::vector<std::string>{"table", "json"});
    CHECK(bash_complete(bash.path(), {"funnel", "cohorts", "--every", "q"}) == std::vector<std::string>{"quarter"});
    CHECK(bash_complete(bash.path(), {"funnel", "report", "--shape", "w"}) == std::vector<std::string>{"wide"});
    CHECK(bash_complete(bash.path(), {"funnel", "report", "--encoding", "l"}) == std::vector<std::string>{"latin1"});
    CHECK(bash_complete(bash.path(), {"funnel", "report", "--preset", "h"}) == std::vector<std::string>{"hubspot"});
    CHECK(bash_complete(bash.path(), {"funnel", "completions", ""}) == std::vector<std::string>{"bash", "zsh", "fish"});
  }

  TEST_CASE("bash: file names for inputs and FILE options, nothing for other values") {
    require_tool("bash");
    TempFile bash(script("bash"), ".bash");
    TempDir dir;
    std::ofstream(dir.path() + "/leads export.csv") << "id\n";
    std::ofstream(dir.path() + "/rejects.csv") << "id\n";
    CHECK(bash_complete(bash.path(), {"funnel", "report", "le"}, dir.path()) ==
          std::vector<std::string>{"leads export.csv"});
    CHECK(bash_complete(bash.path(), {"funnel", "report", "-o", "re"}, dir.path()) ==
          std::vector<std::string>{"rejects.csv"});
    CHECK(bash_complete(bash.path(), {"funnel", "report", "--rejects", "r"}, dir.path()) ==
          std::vector<std::string>{"rejects.csv"});
    CHECK(bash_complete(bash.path(), {"funnel", "trend", "--config", "r"}, dir.path()) ==
          std::vector<std::string>{"rejects.csv"});
    CHECK(bash_complete(bash.path(), {"funnel", "report", "--tz", "r"}, dir.path()).empty());
    CHECK(bash_complete(bash.path(), {"funnel", "completions", "r"}, dir.path()).empty());
  }

  TEST_CASE("bash: every subcommand and every long option of --help completes") {
    require_tool("bash");
    TempFile bash(script("bash"), ".bash");
    auto subcommands = help_subcommands();
    REQUIRE(subcommands.size() >= 5);
    auto offered = bash_complete(bash.path(), {"funnel", ""});
    CHECK(std::set<std::string>(offered.begin(), offered.end()) ==
          std::set<std::string>(subcommands.begin(), subcommands.end()));
    for (const auto& sub : subcommands) {
      CAPTURE(sub);
      auto options = bash_complete(bash.path(), {"funnel", sub, "--"});
      std::set<std::string> help = help_long_options(sub);
      CHECK(help.count("--help") == 1);
      CHECK(std::set<std::string>(options.begin(), options.end()) == help);
    }
    // And the report options are all in the script itself.
    std::string text = script("bash");
    auto report = help_long_options("report");
    CHECK(report.size() > 20);
    for (const auto& option : report) {
      CAPTURE(option);
      CHECK(has_word(text, option));
    }
  }

  TEST_CASE("each shell finds its script under the name and directory CMake installs it to") {
    require_tool("bash");
    require_tool("zsh");
    require_tool("fish");
    TempDir prefix;  // the layout of `cmake --install`, under prefix/share
    std::string share = prefix.path() + "/share";
    for (const char* dir : {"/bash-completion/completions", "/zsh/site-functions", "/fish/vendor_completions.d"}) {
      std::filesystem::create_directories(share + dir);
    }
    std::ofstream(share + "/bash-completion/completions/funnel") << script("bash");
    std::ofstream(share + "/zsh/site-functions/_funnel") << script("zsh");
    std::ofstream(share + "/fish/vendor_completions.d/funnel.fish") << script("fish");
    std::filesystem::create_directories(prefix.path() + "/bin");  // fish loads completions of commands on $PATH
    std::ofstream(prefix.path() + "/bin/funnel") << "#!/bin/sh\n";
    std::filesystem::permissions(prefix.path() + "/bin/funnel", std::filesystem::perms::owner_all);

    const char* loader = "/usr/share/bash-completion/bash_completion";
    INFO("bash-completion is not installed: run scripts/install-deps");
    REQUIRE(std::filesystem::exists(loader));
    TempFile driver(std::string("source ") + loader + "\n__load_completion funnel || exit 8\ncomplete -p funnel\n",
                    ".bash");
    Shell bash = shell("BASH_COMPLETION_USER_DIR=" + sh_quote(share + "/bash-completion") +
                       " bash --norc --noprofile " + driver.path());
    INFO("bash said: " << bash.out);
    CHECK(bash.rc == 0);
    CHECK(bash.out.find("-F _funnel funnel") != std::string::npos);

    TempDir cache;  // autoloaded from $fpath by its #compdef line, not sourced
    CHECK(zsh_complete(share + "/zsh/site-functions", cache, "funnel report --for") ==
          std::vector<std::string>{"--format"});

    Shell fish = shell("HOME=" + sh_quote(prefix.path()) + " XDG_DATA_DIRS=" + sh_quote(share) + ":/usr/share PATH=" +
                       sh_quote(prefix.path() + "/bin") + ":\"$PATH\" fish -c 'complete -C\"funnel report --for\"'");
    INFO("fish said: " << fish.out);
    CHECK(fish.rc == 0);
    CHECK(fish.out.rfind("--format\t", 0) == 0);
  }

  TEST_CASE("zsh: the script parses and completes in a real zsh") {
    require_tool("zsh");
    TempFile zsh(script("zsh"), "");
    TempDir cache;
    CHECK(script("zsh").rfind("#compdef funnel\n", 0) == 0);
    Shell parse = shell("zsh -n " + zsh.path());
    INFO(parse.out);
    CHECK(parse.rc == 0);
    CHECK(parse.out.empty());

    CHECK(zsh_complete(zsh.path(), cache, "funnel re") == std::vector<std::string>{"report"});
    CHECK(zsh_complete(zsh.path(), cache, "funnel report --for") == std::vector<std::string>{"--format"});
    CHECK(zsh_complete(zsh.path(), cache, "funnel report --for", "display") ==
          std::vector<std::string>{"--format  -- Output format: table, csv, tsv, json, markdown, html, svg"});
    auto formats = zsh_complete(zsh.path(), cache, "funnel report --format ");
    CHECK(std::set<std::string>(formats.begin(), formats.end()) ==
          std::set<std::string>{"table", "csv", "tsv", "json", "markdown", "html", "svg"});
    CHECK(zsh_complete(zsh.path(), cache, "funnel report --count o") == std::vector<std::string>{"ordered"});
    auto shells = zsh_complete(zsh.path(), cache, "funnel completions ");
    CHECK(std::set<std::string>(shells.begin(), shells.end()) == std::set<std::string>{"bash", "zsh", "fish"});
    // A malformed _arguments spec (a bad escape in a description) would lose options here.
    auto subcommands = help_subcommands();
    auto offered = zsh_complete(zsh.path(), cache, "funnel ");
    CHECK(std::set<std::string>(offered.begin(), offered.end()) ==
          std::set<std::string>(subcommands.begin(), subcommands.end()));
    for (const auto& sub : subcommands) {
      CAPTURE(sub);
      auto options = zsh_complete(zsh.path(), cache, "funnel " + sub + " --");
      CHECK(std::set<std::string>(options.begin(), options.end()) == help_long_options(sub));
    }
  }

  TEST_CASE("fish: the script parses and complete -C answers from it") {
    require_tool("fish");
    TempFile fish(script("fish"), ".fish");
    Shell parse = shell("fish --no-config -n " + fish.path());
    INFO(parse.out);
    CHECK(parse.rc == 0);
    CHECK(parse.out.empty());

    CHECK(fish_complete(fish.path(), "funnel re") == std::vector<std::string>{"report"});
    CHECK(fish_complete(fish.path(), "funnel report --for") == std::vector<std::string>{"--format"});
    auto formats = fish_complete(fish.path(), "funnel report --format ");
    CHECK(std::set<std::string>(formats.begin(), formats.end()) ==
          std::set<std::string>{"table", "csv", "tsv", "json", "markdown", "html", "svg"});
    CHECK(fish_complete(fish.path(), "funnel report --count o") == std::vector<std::string>{"ordered"});
    CHECK(fish_complete(fish.path(), "funnel report --tz ").empty());
    auto shells = fish_complete(fish.path(), "funnel completions ");
    CHECK(std::set<std::string>(shells.begin(), shells.end()) == std::set<std::string>{"bash", "zsh", "fish"});
    auto described = fish_complete(fish.path(), "funnel report --for", true);
    REQUIRE(described.size() == 1);
    CHECK(described[0] == "--format\tOutput format: table, csv, tsv, json, markdown, html, svg");
    auto subcommands = help_subcommands();
    auto offered = fish_complete(fish.path(), "funnel ");
    CHECK(std::set<std::string>(offered.begin(), offered.end()) ==
          std::set<std::string>(subcommands.begin(), subcommands.end()));
    for (const auto& sub : subcommands) {
      CAPTURE(sub);
      auto options = fish_complete(fish.path(), "funnel " + sub + " --");
      CHECK(std::set<std::string>(options.begin(), options.end()) == help_long_options(sub));
    }
  }

  TEST_CASE("descriptions with quotes, brackets, colons and $ survive every shell") {
    require_tool("bash");
    require_tool("zsh");
    require_tool("fish");
    AwkwardCli cli;
    TempFile bash(funnel::completion_script(cli.app, "bash"), ".bash");
    TempFile zsh(funnel::completion_script(cli.app, "zsh"), "");
    TempDir cache;
    TempFile fish(funnel::completion_script(cli.app, "fish"), ".fish");
    CHECK(bash_complete(bash.path(), {"funnel", "odd-one", "--we"}) == std::vector<std::string>{"--weird-one"});
    CHECK(shell("zsh -n " + zsh.path()).rc == 0);
    CHECK(zsh_complete(zsh.path(), cache, "funnel odd-one --we") == std::vector<std::string>{"--weird-one"});
    CHECK(zsh_complete(zsh.path(), cache, "funnel odd") == std::vector<std::string>{"odd-one"});
    CHECK(zsh_complete(zsh.path(), cache, "funnel odd", "display") ==
          std::vector<std::string>{std::string("odd-one  -- ") + AwkwardCli::sub_help});
    CHECK(zsh_complete(zsh.path(), cache, "funnel odd-one --we", "display") ==
          std::vector<std::string>{std::string("--weird-one  -- ") + AwkwardCli::option_help});
    CHECK(shell("fish --no-config -n " + fish.path()).rc == 0);
    CHECK(fish_complete(fish.path(), "funnel odd", true) ==
          std::vector<std::string>{std::string("odd-one\t") + AwkwardCli::sub_help});
    CHECK(fish_complete(fish.path(), "funnel odd-one --we", true) ==
          std::vector<std::string>{std::string("--weird-one\t") + AwkwardCli::option_help});
  }

  TEST_CASE("an unknown shell is a usage error") {
    auto r = run_cli({"completions", "tcsh"});
    CHECK(r.rc == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find("completions: unknown shell 'tcsh' (bash, zsh, fish)") != std::string::npos);
    CHECK_THROWS_AS(funnel::completion_script(AwkwardCli().app, "powershell"), funnel::Error);
  }
}
