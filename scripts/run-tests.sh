#!/usr/bin/env bash
# Run the whole suite on SQLite, then again on PostgreSQL when TEST_DATABASE_URL is set, then the non-browser
# part twice more on SQLite on a shifted clock (side by side): 400 days ahead, and from 23:50 on 29/02/2028 in
# Ho Chi Minh City (a leap day, ten minutes before local midnight while UTC is still mid-afternoon).
# The tests must pass on any date; these two runs catch a fixed date, a "today" or a leap/midnight bug.
set -u
pytest=.venv/bin/pytest

run() {
  local label=$1; shift
  echo "== FieldCRM tests on $label =="
  "$@"
  local rc=$?
  # pytest exits 5 when it collected no test: that is a failure of the suite, not a pass.
  if [ $rc -eq 5 ]; then echo "pytest collected no tests" >&2; fi
  return $rc
}

run "SQLite" env -u TEST_DATABASE_URL "$pytest" "$@" || exit $?
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  run "PostgreSQL ($TEST_DATABASE_URL)" "$pytest" "$@" || exit $?
fi

# The two shifted-clock runs: each on its own SQLite file and pytest temp folder, output kept until both end.
work=$(mktemp -d "${TMPDIR:-/tmp}/fieldcrm-clock.XXXXXX")
trap 'rm -rf "$work"' EXIT
labels=("SQLite, clock shifted 400 days ahead (--clock-shift=400d)"
        "SQLite, clock starting 29/02/2028 23:50 Asia/Ho_Chi_Minh (--clock-start=2028-02-29T23:50+07:00)")
options=("--clock-shift=400d" "--clock-start=2028-02-29T23:50+07:00")
pids=()
for i in 0 1; do
  echo "== FieldCRM tests on ${labels[$i]}: started =="
  env -u TEST_DATABASE_URL "$pytest" -q --ignore=tests/e2e -p no:cacheprovider --basetemp="$work/tmp$i" \
    "${options[$i]}" "$@" >"$work/out$i" 2>&1 &
  pids+=($!)
done
failed=0
for i in 0 1; do
  wait "${pids[$i]}"
  rc=$?
  echo "== FieldCRM tests on ${labels[$i]} =="
  cat "$work/out$i"
  if [ $rc -eq 5 ]; then echo "pytest collected no tests" >&2; fi
  if [ $rc -ne 0 ]; then echo "== FAILED (exit $rc): ${labels[$i]} ==" >&2; failed=$rc; fi
done
exit $failed
