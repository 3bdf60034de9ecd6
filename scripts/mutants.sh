#!/usr/bin/env bash
# Mutation testing of the signature and verification code with cargo-mutants (installed here if
# missing). Slow: not part of .ci/run. Each file gets its own run and time budget.
#   scripts/mutants.sh [BUDGET_SECONDS_PER_FILE] [FILE...]
# Default files: the runtime's signature, key and validation modules. Tests: the runtime's own and
# the conformance crate's vector tests (the generated verification paths), all features (both RSA
# backends). Results: mutants.out/<file>/ (caught, missed, timeout, unviable lists) and one summary
# line per file; record them in TESTING.md.
# MUTANTS_RE=<regex> re-runs only the mutants whose names match (e.g. last run's survivors, after
# new tests), into mutants.out/<file>-subset/ so the full run's lists stay.
# MUTANTS_SINCE=<commit> runs only the mutants on lines changed since that commit (after a full
# run at that commit), into mutants.out/<file>-since/.
# MUTANTS_TESTS="<package>..." runs only those packages' tests (default: payspec-runtime
# payspec-conformance); a quicker check of mutants the runtime's own unit tests should catch.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${1:-1800}
shift || true
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=(runtime/src/sorted_params.rs runtime/src/header_signature.rs runtime/src/crypto.rs
         runtime/src/validate.rs runtime/src/money.rs)
fi
command -v cargo-mutants >/dev/null 2>&1 || cargo install cargo-mutants --locked
for f in "${files[@]}"; do
  name=$(echo "$f" | sed 's#^runtime/src/##; s#\.rs$##; s#/#-#g')
  out="mutants.out/$name"
  filter=()
  if [ -n "${MUTANTS_RE:-}" ]; then
    out="mutants.out/$name-subset"
    filter=(--re "$MUTANTS_RE")
  fi
  if [ -n "${MUTANTS_SINCE:-}" ]; then
    out="mutants.out/$name-since"
    mkdir -p "$out"
    git diff "$MUTANTS_SINCE" -- "$f" >"$out/changes.diff"
    filter+=(--in-diff "$out/changes.diff")
  fi
  mkdir -p "$out"
  echo "==> $f (budget ${budget}s)"
  tests=()
  for p in ${MUTANTS_TESTS:-payspec-runtime payspec-conformance}; do tests+=(--test-package "$p"); done
  timeout "$budget" cargo mutants --all-features -p payspec-runtime --file "$f" "${tests[@]}" \
    --minimum-test-timeout 60 "${filter[@]}" --output "$out" >/dev/null 2>&1 || true
  dir="$out/mutants.out"
  count() { [ -f "$dir/$1.txt" ] && wc -l <"$dir/$1.txt" || echo 0; }
  echo "$f: caught $(count caught), missed $(count missed), timeout $(count timeout), unviable $(count unviable)"
done
