#!/usr/bin/env bash
# payspec and the official SDK code paths side by side, in one run, on the same vectors and keys:
# the Alipay+/Antom Python SDK (PyPI global-open-sdk-python, pinned in
# conformance/interop/requirements.txt, installed into .venv by scripts/setup-interop.sh) and the
# Ksher Python SDK's code path (PyPI rsa, the library it uses; the Ksher SDKs are not on a package
# registry). Prints one Markdown table: operation, SDK µs/op, payspec µs/op, speed-up.
#   scripts/bench-vs-sdks.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-interop.sh >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "timing payspec (cargo run --release --example sdk_side_by_side) ..." >&2
cargo run --release -q -p payspec-conformance --example sdk_side_by_side >"$tmp/payspec.json"
echo "timing the SDKs (.venv/bin/python conformance/interop/sdk_bench.py) ..." >&2
.venv/bin/python conformance/interop/sdk_bench.py >"$tmp/sdk.json"
python3 - "$tmp/sdk.json" "$tmp/payspec.json" <<'PY'
import json, sys
sdk = json.load(open(sys.argv[1]))
ours = json.load(open(sys.argv[2]))
print("| operation | SDK | SDK µs/op | payspec µs/op | speed-up |")
print("|---|---|---:|---:|---:|")
for name, s in sdk.items():
    p = ours[name]["us_per_op"]
    print("| %s | %s | %s | %s | %.0f× |" % (name, s["sdk"], format(round(s["us_per_op"], 1), ","), format(round(p, 1), ","), s["us_per_op"] / p))
PY
