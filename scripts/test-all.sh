#!/usr/bin/env bash
# Runs every test of the project: generated-code freshness, type checks, the Python suites
# (seed generator, training incl. the smoke pipeline) and every Jest tier (unit, contract,
# integration, e2e over HTTP and in Chromium). Prints one summary line at the end.
set -uo pipefail
cd "$(dirname "$0")/.."

out="${TEST_OUTPUT_DIR:-test-output}"
mkdir -p "$out"
failed_steps=()
step() {
  local name="$1"; shift
  echo
  echo "=== $name: $*"
  local started=$SECONDS
  if "$@"; then
    echo "=== $name: ok ($((SECONDS - started)) s)"
  else
    echo "=== $name: FAILED ($((SECONDS - started)) s)"
    failed_steps+=("$name")
  fi
}

step codegen npm run --silent codegen:check
step typecheck npx tsc --noEmit -p .
step seed /usr/bin/python3 -m pytest -q -p no:cacheprovider --junitxml="$out/pytest-seed.xml" seed/tests
step training /usr/bin/python3 -m pytest -q -p no:cacheprovider --junitxml="$out/pytest-training.xml" training/tests
step jest npx jest --ci --maxWorkers=2 --json --outputFile="$out/jest.json"

node scripts/test-summary.js "$out" "${failed_steps[@]}"
