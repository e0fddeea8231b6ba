#!/usr/bin/env bash
# Run the whole suite on SQLite, then again on PostgreSQL when TEST_DATABASE_URL is set.
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
