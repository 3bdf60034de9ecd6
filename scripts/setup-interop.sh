#!/usr/bin/env bash
# Installs the official Alipay+/Antom Python SDK (PyPI `global-open-sdk-python`, version pinned in
# conformance/interop/requirements.txt together with its dependencies) into .venv/ at the repo
# root, for the interop test cli/tests/interop_python.rs.
# Safe to re-run: does nothing when .venv/ already holds exactly the pinned set. Prints one line on
# success; exits non-zero with the reason when the SDK cannot be installed.
# Needs python3 >= 3.9.2 with the venv module (set PYTHON to use another interpreter) and PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

REQUIREMENTS=conformance/interop/requirements.txt
VENV=.venv
PY="$VENV/bin/python"
STAMP="$VENV/.payspec-interop-requirements.sha256"
PYTHON="${PYTHON:-python3}"

fail() {
  echo "setup-interop: $*" >&2
  echo "setup-interop: the Python SDK interop test (cargo test -p payspec-cli --test interop_python) will fail until this works" >&2
  exit 1
}

# Prints `global-open-sdk-python <version> (<python version>)` if the SDK imports, else fails.
sdk_version() {
  "$PY" - <<'EOF'
import sys
from importlib.metadata import version
from com.alipay.ams.api.tools import signature_tool, webhook_tool  # noqa: F401
from com.alipay.ams.api.default_alipay_client import DefaultAlipayClient  # noqa: F401
import jsonschema, yaml, openapi_spec_validator  # noqa: F401,E401  (spec_schema.rs, openapi.rs)
print("global-open-sdk-python %s in .venv (Python %s)" % (version("global-open-sdk-python"), sys.version.split()[0]))
EOF
}

# Test processes may run this at the same time (cargo nextest, parallel test threads): one
# installs, the others wait for it and then find the venv ready.
if [ -z "${PAYSPEC_INTEROP_LOCKED:-}" ] && command -v flock >/dev/null 2>&1; then
  exec env PAYSPEC_INTEROP_LOCKED=1 flock "$(pwd)/.venv.lock" "$0" "$@"
fi

want=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
if [ -x "$PY" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && line=$(sdk_version 2>/dev/null); then
  echo "$line (already installed)"
  exit 0
fi

command -v "$PYTHON" >/dev/null 2>&1 || fail "$PYTHON not found; install Python >= 3.9.2 (with venv) or set PYTHON"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 9, 2))' ||
  fail "$("$PYTHON" --version 2>&1) is too old; global-open-sdk-python needs Python >= 3.9.2"

# A half-made venv (e.g. from a run without ensurepip) is replaced.
if [ -e "$VENV" ] && ! "$PY" -m pip --version >/dev/null 2>&1; then
  rm -rf "$VENV"
fi
if [ ! -e "$VENV" ]; then
  if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
    rm -rf "$VENV"
    # Debian/Ubuntu ship venv's ensurepip separately.
    if command -v apt-get >/dev/null 2>&1; then
      if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
      { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv; } >/dev/null 2>&1 ||
        fail "'$PYTHON -m venv' failed and python3-venv could not be installed"
      "$PYTHON" -m venv "$VENV" >/dev/null 2>&1 || { rm -rf "$VENV"; fail "'$PYTHON -m venv $VENV' failed"; }
    else
      fail "'$PYTHON -m venv $VENV' failed (is the venv module installed?)"
    fi
  fi
fi

rm -f "$STAMP"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "$PY" -m pip install --disable-pip-version-check --no-input -q -r "$REQUIREMENTS" >"$log" 2>&1; then
  cat "$log" >&2
  fail "pip could not install $REQUIREMENTS from PyPI (output above)"
fi
line=$(sdk_version 2>"$log") || { cat "$log" >&2; fail "the SDK was installed but does not import (output above)"; }
echo "$want" >"$STAMP"
echo "$line"
