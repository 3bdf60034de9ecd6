#!/usr/bin/env bash
# Installs the system packages the build and the tests need and a fresh machine may lack:
# OpenSSL development files and pkg-config (the default RSA backend links the system OpenSSL),
# python3 with venv (the official-SDK interop test), util-linux's flock (serializes the SDK
# set-up when several test processes start it at once), and Debian's Chromium with its
# ChromeDriver (the mock's cashier page and dashboard are tested in a headless browser).
# Safe to re-run: installs only what is missing. `cargo xtask test` calls it.
set -euo pipefail
missing=()
pkg-config --exists openssl 2>/dev/null || missing+=(libssl-dev pkg-config)
command -v flock >/dev/null 2>&1 || missing+=(util-linux)
command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-venv)
{ command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; } \
  || missing+=(chromium chromium-driver)
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: present (openssl, pkg-config, flock, python3, chromium, chromedriver)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: missing ${missing[*]} and apt-get is not available; install them with your package manager" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
echo "system packages: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
