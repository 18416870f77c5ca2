#!/usr/bin/env bash
# Builds the API reference from the public headers (include/cnn/**) with Doxygen:
#   scripts/docs.sh [OUT]     HTML in OUT/api (default build/docs/api); open OUT/api/index.html
# Fails, listing them, on any Doxygen warning (a broken reference, an unknown command or HTML
# tag, a \param naming no parameter). Doxygen comes with `scripts/setup.sh --test`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -gt 1 || "${1:-}" == -* ]]; then
  echo "usage: scripts/docs.sh [OUT]" >&2
  exit 2
fi
out="$(mkdir -p "${1:-$root/build/docs}" && cd "${1:-$root/build/docs}" && pwd)"
if ! command -v doxygen >/dev/null; then
  echo "docs: doxygen not found (scripts/setup.sh --test installs it)" >&2
  exit 1
fi

version="$(sed -n 's/^project(cnn VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")"
log="$out/doxygen-warnings.log"
rm -rf "$out/api" "$log"
cd "$root"
status=0
{ cat docs/Doxyfile
  echo "PROJECT_NUMBER   = $version"
  echo "OUTPUT_DIRECTORY = $out"
  echo "WARN_LOGFILE     = $log"
} | doxygen - || status=$?

warnings=$(grep -cE '(warning|error):' "$log" || true)
if [[ $status -ne 0 || $warnings -ne 0 ]]; then
  cat "$log" >&2
  echo "docs: FAILED: $warnings Doxygen warning(s), exit status $status" >&2
  exit 1
fi
echo "docs: $out/api/index.html (doxygen $(doxygen --version), no warnings)"
