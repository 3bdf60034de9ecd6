#!/usr/bin/env bash
# Runs the README's test command N times (default 3) while the machine is kept busy, to find
# tests that depend on an idle machine (fixed sleeps, schedules tuned to a quiet CPU).
#   scripts/loaded-tests.sh [N]
# The load: one busy loop per core, plus the test run itself. Everything stops when the script
# ends. Prints one line per run and a closing `N passed, N failed` line (runs, not tests).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
cores=$(nproc)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
for _ in $(seq "$cores"); do
  ( while :; do :; done ) &
  pids+=($!)
done
echo "load: $cores busy loops"
cargo xtask test >/dev/null 2>&1 || true # build once before timing runs
passed=0
failed=0
for i in $(seq "$runs"); do
  log=$(mktemp)
  start=$(date +%s)
  if cargo xtask test >"$log" 2>&1; then
    passed=$((passed + 1))
    echo "run $i: ok in $(($(date +%s) - start))s ($(grep -E '^tests: ' "$log" | tail -1))"
  else
    failed=$((failed + 1))
    echo "run $i: FAILED in $(($(date +%s) - start))s"
    grep -E '^\s+(FAIL|SIGSEGV|SIGABRT|TIMEOUT)' "$log" | sort -u || true
  fi
  rm -f "$log"
done
echo "loaded runs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
