#!/usr/bin/env bash
# Installs what the build and the tests need and a fresh machine may lack:
# - OpenSSL development files (the default RSA backend links the system OpenSSL);
# - cargo-insta (the snapshot check in CI).
# Safe to re-run: installs only what is missing.
set -euo pipefail
if pkg-config --exists openssl 2>/dev/null; then
  echo "openssl development files: present"
else
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libssl-dev pkg-config
fi
if cargo insta --version >/dev/null 2>&1; then
  echo "cargo-insta: $(cargo insta --version)"
else
  cargo install cargo-insta --locked --version 1.49.0
fi
