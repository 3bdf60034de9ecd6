#!/usr/bin/env bash
# Installs the system packages the build needs (OpenSSL headers for the default RSA backend).
# Safe to re-run: does nothing when they are present.
set -euo pipefail
if pkg-config --exists openssl 2>/dev/null; then
  echo "openssl development files: present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libssl-dev pkg-config
