#!/bin/sh
# Olist marketing funnel (8,000 MQLs, 842 closed deals) by origin, as one funnel command on
# the two files exactly as published: the closed deals join the MQLs by mql_id.
# Usage: olist.sh DIR   (DIR holds olist_marketing_qualified_leads_dataset.csv and
# olist_closed_deals_dataset.csv); FUNNEL names the binary (default: funnel).
set -eu
dir=${1:?usage: olist.sh DIR}
exec "${FUNNEL:-funnel}" report -f csv --stages mql,won --id mql_id --stage-time mql=first_contact_date \
  --by origin "$dir/olist_marketing_qualified_leads_dataset.csv" "$dir/olist_closed_deals_dataset.csv"
