#!/usr/bin/env bash
# Configures and builds cnn (Release) in ./build with two parallel jobs.
#   scripts/build.sh           the library and the cnn program
#   scripts/build.sh --tests   the same, plus the test programs (needs scripts/setup.sh --test)
set -euo pipefail
cd "$(dirname "$0")/.."
tests=OFF
if [[ "${1:-}" == "--tests" ]]; then
  tests=ON
elif [[ $# -gt 0 ]]; then
  echo "usage: scripts/build.sh [--tests]" >&2
  exit 2
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCNN_BUILD_TESTS=$tests >/dev/null
cmake --build build -j2
