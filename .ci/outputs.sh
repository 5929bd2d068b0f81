#!/usr/bin/env bash
# Write everything that the installed orders-migrate derives from the repository's fixtures into OUT:
# converted orders (with their companions too), webhooks and queries in several locales, their reports,
# import plans, the schemas (the companions' too) and the table.
# .ci/reproducible runs it in venvs of other dependency versions and compares the trees byte for byte.
set -uo pipefail
out=$1
mkdir -p "$out"
run() {  # name, then the command's arguments: keep stdout and the exit code, not stderr (it names versions)
  local name=$1
  shift
  orders-migrate "$@" >"$out/$name.stdout" 2>/dev/null
  echo $? >"$out/$name.exit"
}
for locale in en_US de_CH fr_FR ja_JP ar_EG en_IN he_IL; do
  run "stores.$locale" convert fixtures/stores -o "$out/stores.$locale/" --report-out "$out/stores.$locale.reports.ndjson" --report none --locale "$locale" --jobs 1
done
run webhooks convert fixtures/webhooks -o "$out/webhooks/" --report-out "$out/webhooks.reports.ndjson" --report none --jobs 1
run examples convert fixtures/reference/examples -o "$out/examples/" --report-out "$out/examples.reports.ndjson" --report none --jobs 1
run realworld convert fixtures/reference/realworld -o "$out/realworld/" --report-out "$out/realworld.reports.ndjson" --report none --jobs 1
for locale in en_US de_CH; do
  run "companions.$locale" convert fixtures/stores -o "$out/companions.$locale/" --companions --report-out "$out/companions.$locale.reports.ndjson" --report none --locale "$locale" --jobs 1
done
run import-plan import-plan fixtures/stores -o "$out/import-plan.ndjson"
run query-response convert fixtures/query_orders_response.json --report-out "$out/query-response.reports.ndjson" --report none
for q in fixtures/queries/*.stores.json; do
  run "query.$(basename "$q" .json)" query "$q"
done
run check check fixtures/check/mixed
run schema.stores schema stores
run schema.ecom schema ecom
run schema.order-transactions schema order-transactions
run schema.order-with-fulfillments schema order-with-fulfillments
run mappings mappings
