// Shell completion scripts from one walk of the CLI11 definition: the walk builds a neutral
// list of commands and their options, and three small writers turn it into bash, zsh and fish.
#include "funnel/completions.h"

#include <cctype>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "funnel/diagnostics.h"
#include "funnel/text.h"

namespace funnel {
namespace {

/// The one place that knows option values: options (or positionals) of these names get their
/// values completed, whichever command they belong to. An empty list means "read them from
/// the description": the text after its last ':', split on commas ("Output format: a, b").
struct KnownValues {
  std::string_view name;
  std::string_view values;
};
constexpr KnownValues kKnownValues[] = {
    {"format", ""},
    {"count", "cumulative ordered"},
    {"preset", "default hubspot salesforce"},
    {"every", "week month quarter"},
    {"shape", "long wide snapshot"},
    {"encoding", "utf8 latin1 cp1252"},
    {"shell", "bash zsh fish"},
};

struct OptionSpec {
  std::string name;                        ///< first long name, else short, else positional name
  std::vector<std::string> longs, shorts;  ///< without dashes; both empty for a positional
  std::string description;                 ///< one line, control bytes made spaces
  bool takes_value = false;
  bool is_path = false;     ///< the value (or positional) is a file name
  bool repeatable = false;  ///< may be given more than once (or takes several positionals)
  bool required = false;
  std::vector<std::string> choices;

  bool positional() const { return longs.empty() && shorts.empty(); }
};

struct CommandSpec {
  std::string name, description;  ///< name empty for the program itself
  std::vector<OptionSpec> options;
};

struct CliSpec {
  std::string program;
  CommandSpec root;
  std::vector<CommandSpec> subcommands;
};

// ---------------------------------------------------------------------------------------
// The walk

std::string one_line(const std::string& text) {
  std::string out;
  for (char c : text) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  return out;
}

/// A value is offered only when it is a plain word, so no writer has to quote it.
bool plain_word(std::string_view word) {
  if (word.empty()) return false;
  for (char c : word) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

/// "Output format: table, csv or json (default: table)" -> table csv json.
std::vector<std::string> choices_from_description(std::string_view description) {
  std::string text;  // without parenthesized remarks
  int depth = 0;
  for (char c : description) {
    if (c == '(') ++depth;
    if (depth == 0) text += c;
    if (c == ')' && depth > 0) --depth;
  }
  std::vector<std::string> choices;
  std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) return choices;
  std::string_view rest = std::string_view(text).substr(colon + 1);
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view piece = trim_blanks(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (piece.substr(0, 3) == "or ") piece = trim_blanks(piece.substr(3));
    if (std::size_t o = piece.find(" or "); o != std::string_view::npos) {  // "b or c"
      if (plain_word(trim_blanks(piece.substr(0, o)))) choices.emplace_back(trim_blanks(piece.substr(0, o)));
      piece = trim_blanks(piece.substr(o + 4));
    }
    if (plain_word(piece)) choices.emplace_back(piece);
  }
  return choices;
}

std::vector<std::string> known_choices(const std::string& name, const std::string& description) {
  for (const KnownValues& known : kKnownValues) {
    if (known.name != name) continue;
    if (known.values.empty()) return choices_from_description(description);
    std::vector<std::string> choices;
    std::string_view rest = known.values;
    while (!rest.empty()) {
      std::size_t space = rest.find(' ');
      choices.emplace_back(rest.substr(0, space));
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
    return choices;
  }
  return {};
}

/// "Write to FILE", "CSV files to read", "a TOML or INI file": the word file, any case.
bool mentions_file(const std::string& description) {
  std::string lower = lower_ascii(description);
  for (std::size_t at = lower.find("file"); at != std::string::npos; at = lower.find("file", at + 1)) {
    if (at == 0 || !std::isalpha(static_cast<unsigned char>(lower[at - 1]))) return true;
  }
  return false;
}

CommandSpec describe(const CLI::App& app, std::string name) {
  CommandSpec command{std::move(name), one_line(app.get_description()), {}};
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;  // hidden
    OptionSpec o;
    o.longs = opt->get_lnames();
    o.shorts = opt->get_snames();
    o.name = opt->get_single_name();
    o.description = one_line(opt->get_description());
    o.takes_value = opt->get_items_expected_min() > 0 || o.positional();
    o.repeatable = o.takes_value && opt->get_items_expected_max() > 1;
    o.required = opt->get_required();
    if (o.takes_value) {
      o.choices = known_choices(o.name, o.description);
      o.is_path = o.choices.empty() && (o.positional() || mentions_file(o.description));
    }
    command.options.push_back(std::move(o));
  }
  return command;
}

CliSpec walk(const CLI::App& app) {
  CliSpec cli{app.get_name().empty() ? "funnel" : app.get_name(), describe(app, ""), {}};
  for (const CLI::App* sub : app.get_subcommands({})) {
    if (sub->get_group().empty() || sub->get_disabled()) continue;  // hidden
    cli.subcommands.push_back(describe(*sub, sub->get_name()));
  }
  return cli;
}

// ---------------------------------------------------------------------------------------
// Writers

std::string join(const std::vector<std::string>& words, std::string_view sep = " ") {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : std::string(sep)) + w;
  return out;
}

/// 'text' for bash and zsh: a single quote becomes '\''.
std::string sh_quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// 'text' for fish: backslash and single quote are escaped inside single quotes.
std::string fish_quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

/// A shell function name from a command name.
std::string identifier(std::string_view name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

std::vector<std::string> dashed(const OptionSpec& o) {
  std::vector<std::string> names;
  for (const auto& s : o.shorts) names.push_back("-" + s);
  for (const auto& l : o.longs) names.push_back("--" + l);
  return names;
}

/// What a command's non-option words are: the first positional decides (bash and fish).
const OptionSpec* first_positional(const CommandSpec& command) {
  for (const auto& o : command.options) {
    if (o.positional()) return &o;
  }
  return nullptr;
}

std::string bash_values(const OptionSpec& o) {
  if (!o.choices.empty()) return fmt::format("COMPREPLY=($(compgen -W {} -- \"$cur\"))", sh_quote(join(o.choices)));
  if (o.is_path) return "_funnel_files";
  return ":";  // a value nobody can guess: offer nothing
}

/// Every -s and --long name of a command.
std::vector<std::string> option_names(const CommandSpec& command) {
  std::vector<std::string> names;
  for (const auto& o : command.options) {
    for (const auto& n : dashed(o)) names.push_back(n);
  }
  return names;
}

std::string bash_command(const CommandSpec& command) {
  std::string value_arms;
  for (const auto& o : command.options) {
    if (o.positional() || !o.takes_value) continue;
    std::vector<std::string> patterns;
    for (const auto& n : dashed(o)) patterns.push_back(sh_quote(n));
    value_arms += fmt::format("        {}) {}; return 0 ;;\n", join(patterns, "|"), bash_values(o));
  }
  const OptionSpec* positional = first_positional(command);
  std::string out;
  if (!value_arms.empty()) out += fmt::format("      case $prev in\n{}      esac\n", value_arms);
  out += fmt::format("      if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W {} -- \"$cur\")); return 0; fi\n",
                     sh_quote(join(option_names(command))));
  if (positional != nullptr) out += fmt::format("      {}\n", bash_values(*positional));
  return out;
}

std::string bash_script(const CliSpec& cli) {
  std::vector<std::string> names;
  for (const auto& sub : cli.subcommands) names.push_back(sub.name);
  std::string arms;
  for (const auto& sub : cli.subcommands)
    arms += fmt::format("    {})\n{}      ;;\n", sh_quote(sub.name), bash_command(sub));
  return fmt::format(
      R"(# bash completion for {0}, generated by `{0} completions bash`; do not edit.

_funnel_files() {{
  local IFS=$'\n'
  compopt -o filenames 2>/dev/null
  COMPREPLY=($(compgen -f -- "$cur"))
}}

_funnel() {{
  local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="" sub="" i
  COMPREPLY=()
  (( COMP_CWORD > 0 )) && prev="${{COMP_WORDS[COMP_CWORD-1]}}"
  # --opt=value arrives as three words: --opt, =, value
  if [[ $cur == "=" ]]; then
    cur=""
  elif [[ $prev == "=" ]] && (( COMP_CWORD > 1 )); then
    prev="${{COMP_WORDS[COMP_CWORD-2]}}"
  fi
  for (( i = 1; i < COMP_CWORD; i++ )); do
    case ${{COMP_WORDS[i]}} in
      -*|=) ;;
      *) sub=${{COMP_WORDS[i]}}; break ;;
    esac
  done
  if [[ -z $sub ]]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W {1} -- "$cur"))
    else
      COMPREPLY=($(compgen -W {2} -- "$cur"))
    fi
    return 0
  fi
  case $sub in
{3}  esac
  return 0
}}

complete -F _funnel {0}
)",
      cli.program, sh_quote(join(option_names(cli.root))), sh_quote(join(names)), arms);
}

/// An _arguments explanation: inside [...] a bracket or colon is escaped, and a backslash
/// twice over (_arguments removes one level, then _describe another).
std::string zsh_explanation(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += R"(\\\\)";
    } else {
      if (c == '[' || c == ']' || c == ':') out += '\\';
      out += c;
    }
  }
  return out;
}

/// A _describe entry "name:description": a colon in the name is escaped, and a backslash in
/// the description twice over (like an _arguments explanation, it is unescaped twice).
std::string zsh_describe_entry(std::string_view name, std::string_view description) {
  std::string out;
  for (char c : name) out += c == ':' ? std::string("\\:") : std::string(1, c);
  out += ':';
  for (char c : description) out += c == '\\' ? std::string(R"(\\\\)") : std::string(1, c);
  return out;
}

std::string zsh_action(const OptionSpec& o) {
  if (!o.choices.empty()) return "(" + join(o.choices) + ")";
  return o.is_path ? "_files" : " ";
}

std::string zsh_spec(const OptionSpec& o) {
  std::string message = identifier(o.name);
  if (o.positional()) {
    std::string head = o.repeatable ? "*:" : (o.required ? ":" : "::");
    return sh_quote(head + message + ":" + zsh_action(o));
  }
  std::vector<std::string> names;
  for (const auto& s : o.shorts) names.push_back("-" + s + (o.takes_value ? "+" : ""));
  for (const auto& l : o.longs) names.push_back("--" + l + (o.takes_value ? "=" : ""));
  std::string tail = "[" + zsh_explanation(o.description) + "]";
  if (o.takes_value) tail += ":" + message + ":" + zsh_action(o);
  std::string head = o.repeatable ? "*" : "";
  if (names.size() == 1) return sh_quote(head + names[0] + tail);
  // '(-f --format)'{-f+,--format=}'[...]': the names exclude each other unless repeatable.
  std::vector<std::string> plain = dashed(o);
  if (!o.repeatable) head = "(" + join(plain) + ")";
  return sh_quote(head) + "{" + join(names, ",") + "}" + sh_quote(tail);
}

std::string zsh_arguments(const CommandSpec& command, std::string_view flags, std::string_view extra) {
  std::string out = fmt::format("  _arguments {}", flags);
  for (const auto& o : command.options) out += " \\\n    " + zsh_spec(o);
  return out + std::string(extra) + "\n";
}

std::string zsh_script(const CliSpec& cli) {
  std::string commands, dispatch, functions;
  for (const auto& sub : cli.subcommands) {
    commands += "    " + sh_quote(zsh_describe_entry(sub.name, sub.description)) + "\n";
    dispatch += fmt::format("        {}) _funnel_{} && ret=0 ;;\n", sh_quote(sub.name), identifier(sub.name));
    functions += fmt::format("\n_funnel_{}() {{\n{}}}\n", identifier(sub.name), zsh_arguments(sub, "-s -S", ""));
  }
  return fmt::format(
      R"(#compdef {0}
# zsh completion for {0}, generated by `{0} completions zsh`; do not edit.

_funnel() {{
  local curcontext="$curcontext" state line ret=1
  typeset -A opt_args
{1}  case $state in
    args)
      curcontext="${{curcontext%:*:*}}:{0}-$words[1]:"
      case $words[1] in
{2}      esac
      ;;
  esac
  return ret
}}

_funnel_commands() {{
  local -a commands
  commands=(
{3}  )
  _describe -t commands '{0} command' commands
}}
{4}
if [[ $funcstack[1] == _funnel ]]; then
  _funnel "$@"
else
  compdef _funnel {0}
fi
)",
      cli.program, zsh_arguments(cli.root, "-C", " \\\n    '1: :_funnel_commands' \\\n    '*:: :->args' && ret=0"),
      dispatch, commands, functions);
}

std::string fish_script(const CliSpec& cli) {
  std::string out =
      fmt::format("# fish completion for {0}, generated by `{0} completions fish`; do not edit.\n", cli.program);
  auto lines = [&](const CommandSpec& command, const std::string& condition) {
    std::string head = fmt::format("complete -c {} -n {}", cli.program, fish_quote(condition));
    for (const auto& o : command.options) {
      if (o.positional()) continue;
      std::string line = head;
      for (const auto& s : o.shorts) line += " -s " + s;
      for (const auto& l : o.longs) line += " -l " + l;
      line += " -d " + fish_quote(o.description);
      if (o.takes_value) {
        if (!o.choices.empty()) {
          line += " -x -a " + fish_quote(join(o.choices));
        } else {
          line += o.is_path ? " -r -F" : " -x";
        }
      }
      out += line + "\n";
    }
    return head;
  };
  std::string root = lines(cli.root, "__fish_use_subcommand");
  for (const auto& sub : cli.subcommands) {
    out += fmt::format("{} -f -a {} -d {}\n", root, fish_quote(sub.name), fish_quote(sub.description));
  }
  for (const auto& sub : cli.subcommands) {
    out += "\n";
    std::string head = lines(sub, "__fish_seen_subcommand_from " + sub.name);
    const OptionSpec* positional = first_positional(sub);
    if (positional == nullptr) {
      out += head + " -f\n";  // no file names where none are read
    } else if (!positional->choices.empty()) {
      out += fmt::format("{} -f -a {}\n", head, fish_quote(join(positional->choices)));
    } else if (!positional->is_path) {
      out += head + " -f\n";
    }
  }
  return out;
}

}  // namespace

std::string completion_script(const CLI::App& app, std::string_view shell) {
  if (shell == "bash") return bash_script(walk(app));
  if (shell == "zsh") return zsh_script(walk(app));
  if (shell == "fish") return fish_script(walk(app));
  throw Error(ExitCode::usage,
              fmt::format("completions: unknown shell '{}' (bash, zsh, fish)", one_line(std::string(shell))));
}

}  // namespace funnel
