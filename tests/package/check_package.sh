#!/usr/bin/env bash
# The Debian package as a user gets it: cpack builds it from a build folder, apt-get installs
# it into this machine, and the installed funnel is checked (version, a report equal to the
# build's, the man page, the bash completion, the cron and CI example scripts); then the
# package is removed again. Needs root (apt-get) and a built folder.
# Usage: tests/package/check_package.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: check_package.sh BUILD_DIR}" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
passed=0 failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
check() { local what=$1; shift; if "$@" > "$work/last.log" 2>&1; then ok "$what"; else bad "$what"; cat "$work/last.log"; fi; }
installed=0
cleanup() {
  if [ "$installed" = 1 ]; then DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq funnel > /dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if dpkg-query -W -f='${Status}' funnel 2>/dev/null | grep -q "install ok installed"; then
  echo "check_package: a funnel package is already installed here; remove it first" >&2
  exit 1
fi

(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" > cpack.log 2>&1) || { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/funnel_*.deb)
echo "package: $(basename "$deb")"
dpkg-deb -c "$deb" | awk '{print $6}' > "$work/contents"
for f in ./usr/bin/funnel ./usr/share/man/man1/funnel.1 ./usr/share/bash-completion/completions/funnel \
         ./usr/share/zsh/site-functions/_funnel ./usr/share/fish/vendor_completions.d/funnel.fish \
         ./usr/share/doc/funnel/copyright ./usr/share/funnel/funnel-gate.sh ./usr/share/funnel/weekly-funnel.sh; do
  check "package holds $f" grep -qx "$f" "$work/contents"
done
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
check "Depends is computed (libc6 named)" grep -q "libc6" <<< "$depends"
version=$(dpkg-deb -f "$deb" Version)
check "package version is the project's ($version)" grep -q "VERSION $version " "$root/CMakeLists.txt"

DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" > "$work/apt.log" 2>&1 || { cat "$work/apt.log"; exit 1; }
installed=1
check "funnel is on PATH at /usr/bin/funnel" test "$(command -v funnel)" = /usr/bin/funnel
check "funnel --version names the version" bash -c "funnel --version | grep -q '^funnel $version'"
"$build/funnel" report --by source "$root/examples/crm_events.csv" > "$work/built.txt" 2>&1
funnel report --by source "$root/examples/crm_events.csv" > "$work/installed.txt" 2>&1
check "the installed funnel's report equals the build's" cmp "$work/built.txt" "$work/installed.txt"
check "man funnel resolves to the installed page" bash -c "man -w funnel | grep -q '^/usr/share/man/man1/funnel.1'"
check "the bash completion loads and completes subcommands" bash -c '
  source /usr/share/bash-completion/bash_completion
  _completion_loader funnel 2>/dev/null || true
  complete -p funnel > /dev/null
  COMP_WORDS=(funnel rep); COMP_CWORD=1; COMP_LINE="funnel rep"; COMP_POINT=${#COMP_LINE}
  fn=$(complete -p funnel | sed -E "s/.*-F ([^ ]+).*/\1/")
  "$fn" funnel rep funnel
  printf "%s\n" "${COMPREPLY[@]}" | grep -qx report'
# The example scripts, as written, with the installed funnel (no FUNNEL override).
mkdir -p "$work/cron"
check "the cron job as the package installs it runs" env FUNNEL_INPUT="$root/examples/crm_events.csv" \
  FUNNEL_DIR="$work/cron" sh /usr/share/funnel/weekly-funnel.sh
check "the cron example wrote this week's report and a baseline" test -s "$work/cron/baseline.json"
check "the CI gate as the package installs it runs and writes JUnit" env FUNNEL_INPUT="$root/examples/crm_events.csv" \
  FUNNEL_JUNIT="$work/junit.xml" sh /usr/share/funnel/funnel-gate.sh
check "the CI gate's JUnit file is XML" grep -q '<testsuite' "$work/junit.xml"

DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq funnel > "$work/apt.log" 2>&1 || { cat "$work/apt.log"; exit 1; }
installed=0
check "removing the package removes /usr/bin/funnel" test ! -e /usr/bin/funnel
echo "package: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
