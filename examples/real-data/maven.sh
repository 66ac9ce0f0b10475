#!/bin/sh
# Maven CRM sales opportunities by sales agent (with the manager and regional office that
# sales_teams.csv looks up for each agent), or by sector (looked up in accounts.csv), as one
# funnel command on the files exactly as published.
# Usage: maven.sh DIR [agent|sector]; FUNNEL names the binary (default: funnel).
set -eu
dir=${1:?usage: maven.sh DIR [agent|sector]}
here=$(dirname "$0")
case ${2:-agent} in
  agent) exec "${FUNNEL:-funnel}" report --config "$here/maven.toml" --by sales_agent --by manager \
           --by regional_office "$dir/sales_pipeline.csv" "$dir/sales_teams.csv" ;;
  sector) exec "${FUNNEL:-funnel}" report --config "$here/maven.toml" --by sector \
            "$dir/sales_pipeline.csv" "$dir/accounts.csv" ;;
  *) echo "maven.sh: the breakdown is agent or sector, not '$2'" >&2; exit 2 ;;
esac
