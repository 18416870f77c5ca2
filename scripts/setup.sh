#!/usr/bin/env bash
# Installs what cnn needs on Debian 12, skipping what is already present (idempotent).
#   scripts/setup.sh          build tools, libraries and the Fashion-MNIST data set
#   scripts/setup.sh --test   the same, plus GoogleTest, PyTorch and ONNX (the test oracles),
#                             Chromium, Doxygen (the API reference, scripts/docs.sh),
#                             clang-format and clang-tidy (scripts/lint.sh), clang and its
#                             libFuzzer (scripts/fuzz.sh) and ONNX Runtime for Node.js (npm
#                             onnxruntime-node, in bench/ort/node_modules)
set -euo pipefail

packages=(
  g++ cmake make              # compiler and build
  zlib1g-dev                  # gzip (IDX files)
  nlohmann-json3-dev          # JSON (safetensors headers, run records)
  libcli11-dev                # command-line parsing
  libpng-dev libjpeg62-turbo-dev  # image decoding (image-folder data sets, cnn predict)
  libplplot-dev plplot-driver-cairo  # plotting: training curves and confusion matrices as PNG
  libonnx-dev libprotobuf-dev # ONNX import/export (libonnx, protobuf)
  libopenmpi-dev openmpi-bin  # MPI: data-parallel training across processes and machines
  pkg-config
  dataset-fashion-mnist       # the default data set, in /usr/share/datasets/fashion-mnist
)
test=false
if [[ "${1:-}" == "--test" ]]; then
  test=true
  packages+=(
    libgtest-dev              # GoogleTest
    python3-torch python3-torchvision python3-numpy  # PyTorch, the oracle for golden tests
    python3-onnx              # ONNX's backend node tests; exporting torchvision models to ONNX
    chromium                  # headless browser: the lab report test loads report.html
    doxygen                   # the API reference from include/cnn (scripts/docs.sh, the docs test)
    clang-format clang-tidy   # the house rules that .ci/run checks (scripts/lint.sh)
    clang libclang-rt-14-dev  # libFuzzer and clang's sanitizers (scripts/fuzz.sh, .ci/run)
  )
  if ! command -v node >/dev/null; then
    packages+=(nodejs npm)    # Node.js, for ONNX Runtime (bench/ort); any node on PATH will do
  fi
elif [[ $# -gt 0 ]]; then
  echo "usage: scripts/setup.sh [--test]" >&2
  exit 2
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} packages present"
else
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null; then
      echo "setup: need root or sudo to install: ${missing[*]}" >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  echo "setup: installing ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi

if $test; then
  # ONNX Runtime for Node.js, as pinned by bench/ort/package-lock.json. --ignore-scripts: the
  # package's install script only downloads CUDA binaries (and fails offline); the CPU library
  # ships in the package itself.
  ort="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/bench/ort"
  if [[ -d "$ort/node_modules/onnxruntime-node" ]]; then
    echo "setup: onnxruntime-node present in bench/ort/node_modules"
  else
    echo "setup: installing onnxruntime-node into bench/ort/node_modules"
    npm ci --ignore-scripts --no-audit --no-fund --prefix "$ort"
  fi
fi
