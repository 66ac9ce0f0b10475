#!/bin/sh
# The CI gate both pipeline definitions run: rules on this week's numbers and a comparison
# with the committed baseline. Writes JUnit XML for the CI to display; exits 1 when a rule
# fails, 2-7 when the input or the command is wrong (see funnel(1) EXIT STATUS).
#
# FUNNEL_INPUT     the CRM export to check
# FUNNEL_BASELINE  last week's `funnel report -f json` (optional)
# FUNNEL_JUNIT     where to write the JUnit report (default: funnel-check.xml)
set -eu
funnel=${FUNNEL:-funnel}
input=${FUNNEL_INPUT:?set FUNNEL_INPUT to the CRM export}
junit=${FUNNEL_JUNIT:-funnel-check.xml}
set -- --require "lead->mql >= 50%" --require "mql->sql >= 25%" --require "win_rate >= 40%"
if [ -n "${FUNNEL_BASELINE:-}" ]; then
  set -- "$@" --baseline "$FUNNEL_BASELINE" --max-drop 5pp --significance 0.05
fi
status=0
"$funnel" check --quiet -f junit -o "$junit" "$@" "$input" || status=$?
# The readable verdicts in the job log as well.
"$funnel" check --quiet "$@" "$input" || true
exit "$status"
