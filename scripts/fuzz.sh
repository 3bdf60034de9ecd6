#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) with libFuzzer for SECONDS each (default 600),
# starting from its seed corpus in fuzz/corpus/<target>/.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# Needs cargo-fuzz (`cargo install cargo-fuzz`). On a stable toolchain it runs with
# RUSTC_BOOTSTRAP=1, which lets stable rustc take the sanitizer flags cargo-fuzz passes.
# A crash leaves its input in fuzz/cargo-fuzz/artifacts/<target>/; copy it into the corpus
# once fixed, so `cargo test -p payspec-fuzz` keeps it as a regression.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(spec_loader ksher_verify alipayplus_verify mock_form cli_params)
fi
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
for t in "${targets[@]}"; do
  echo "==> $t for ${seconds}s"
  # New inputs go to fuzz/cargo-fuzz/corpus/<target> (not committed); the seeds stay as they are.
  mkdir -p "fuzz/cargo-fuzz/corpus/$t"
  cargo fuzz run --fuzz-dir fuzz/cargo-fuzz "$t" "fuzz/cargo-fuzz/corpus/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -timeout=10 -print_final_stats=1 \
    2>&1 | tee "fuzz/cargo-fuzz/$t.log" | grep -E "^#[0-9]+ +DONE|stat::number_of_executed_units|stat::average_exec_per_sec|ERROR|panicked" || true
done
