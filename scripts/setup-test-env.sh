#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine (run as root or with sudo):
# the Debian packages (Fashion-MNIST, PyTorch for training with OpenBLAS, Chromium for browser tests)
# and the npm dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  dataset-fashion-mnist
  python3-torch python3-onnx python3-numpy python3-pytest python3-pil
  # Debian's PyTorch calls the system BLAS; without OpenBLAS that is the reference BLAS, and
  # matrix products run at 2.4 GFLOP/s here instead of 138 (see models/README.md).
  libopenblas0-pthread
  chromium chromium-driver
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: Debian packages already installed"
fi

echo "setup: installing npm dependencies"
# npm ci rejects this lock file over optional platform packages of @lancedb/lancedb that npm
# leaves out for other platforms; npm install installs the locked versions all the same.
ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund
