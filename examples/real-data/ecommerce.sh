#!/bin/sh
# E-commerce website funnel (home -> search -> payment -> confirmation) by device, as one
# funnel command on the five files exactly as published: user_table.csv names the users and
# gives their date and device, each page table is stage evidence (ecommerce.toml says how).
# Usage: ecommerce.sh DIR; FUNNEL names the binary (default: funnel).
set -eu
dir=${1:?usage: ecommerce.sh DIR}
here=$(dirname "$0")
exec "${FUNNEL:-funnel}" report -f csv --config "$here/ecommerce.toml" "$dir/user_table.csv" \
  "$dir/home_page_table.csv" "$dir/search_page_table.csv" "$dir/payment_page_table.csv" \
  "$dir/payment_confirmation_table.csv"
