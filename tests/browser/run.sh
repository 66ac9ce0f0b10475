#!/usr/bin/env bash
# The browser tier (scripts/test runs it after the dev build): funnel's HTML reports of the
# bundled examples opened in Debian's headless Chromium, driven by puppeteer-core (the
# version pinned in package-lock.json, installed here with npm ci). Chromium runs with
# --no-sandbox (CI runs as root), a temporary profile, DevTools over a pipe (no port), host
# names resolving nowhere, and is closed at the end; the whole run is bounded by timeout.
# Fails, with the reason, when chromium or node cannot start.
# Usage: tests/browser/run.sh [FUNNEL] [OUTDIR]   (defaults: build/dev/funnel, build/dev/browser)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
funnel="$(realpath -m "${1:-$root/build/dev/funnel}")"
out="$(realpath -m "${2:-$root/build/dev/browser}")"
[ -x "$funnel" ] || { echo "tests/browser/run.sh: $funnel is not built (cmake --workflow --preset dev)" >&2; exit 1; }
command -v node >/dev/null || { echo "tests/browser/run.sh: node is not installed (scripts/install-deps)" >&2; exit 1; }
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "tests/browser/run.sh: ${CHROMIUM:-/usr/bin/chromium} is not installed (scripts/install-deps)" >&2; exit 1; }
cd "$here"
if ! npm ls --silent puppeteer-core >/dev/null 2>&1; then
  timeout 300 npm ci --no-audit --no-fund --loglevel=error
fi
start=$(date +%s%N)
timeout 240 node check.mjs "$funnel" "$out"
echo "browser tier: $(( ($(date +%s%N) - start) / 1000000 )) ms"
