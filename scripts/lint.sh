#!/usr/bin/env bash
# The house rules that a compiler does not check, run by .ci/run before the tests:
#   1. C++ files are formatted as .clang-format says (clang-format 14, Debian's clang-format);
#   2. no line of code (C++, CMake, shell, Python, JavaScript) is longer than 100 columns;
#   3. clang-tidy, with the checks in .clang-tidy, is clean on src/ (needs
#      build/compile_commands.json, which scripts/build.sh writes).
#
#   scripts/lint.sh                 all three, on every tracked file
#   scripts/lint.sh --since REF     only on the files changed since the git commit REF
#   scripts/lint.sh --no-tidy       rules 1 and 2 only (seconds instead of minutes)
#   scripts/lint.sh --fix           rewrite the C++ files clang-format would change, then check
set -euo pipefail
cd "$(dirname "$0")/.."

since="" tidy=true fix=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --since) since="${2:?--since needs a git commit}"; shift 2 ;;
    --no-tidy) tidy=false; shift ;;
    --fix) fix=true; shift ;;
    *) echo "usage: scripts/lint.sh [--since REF] [--no-tidy] [--fix]" >&2; exit 2 ;;
  esac
done

# tracked files matching the patterns, or those of them changed since $since (and still
# present); outside a git checkout (a source tarball), the files under the source folders
in_git=false
git rev-parse --is-inside-work-tree >/dev/null 2>&1 && in_git=true
files() {
  if [[ -n "$since" ]]; then
    git diff --name-only --diff-filter=d "$since" -- "$@"
  elif $in_git; then
    git ls-files -- "$@"
  else
    local names=() p
    for p in "$@"; do
      if [[ $p == */* ]]; then names+=(-o -path "$p"); else names+=(-o -name "$p"); fi
    done
    find src include tools tests examples scripts bench cmake CMakeLists.txt -type f \
      \( "${names[@]:1}" \) -not -path '*/node_modules/*' | sort
  fi
}

failed=0
mapfile -t cxx < <(files '*.cpp' '*.h')

if $fix && [[ ${#cxx[@]} -gt 0 ]]; then
  clang-format -i "${cxx[@]}"
fi
if [[ ${#cxx[@]} -gt 0 ]] &&
    ! clang-format --dry-run --Werror "${cxx[@]}" 2>/tmp/cnn_lint_format.$$; then
  grep -m 20 'error:' /tmp/cnn_lint_format.$$ >&2 || true
  echo "lint: clang-format would change the files above (scripts/lint.sh --fix rewrites them)" >&2
  failed=1
fi
rm -f /tmp/cnn_lint_format.$$

# (.ci/run is not among them: it holds the README's test command verbatim)
mapfile -t code < <(files '*.cpp' '*.h' '*.sh' '*.py' '*.js' 'CMakeLists.txt' '*/CMakeLists.txt' \
  '*.cmake' '*.in')
if [[ ${#code[@]} -gt 0 ]]; then
  long=$(awk 'length > 100 { printf "%s:%d: %d columns\n", FILENAME, FNR, length }' "${code[@]}")
  if [[ -n "$long" ]]; then
    echo "$long" | head -20 >&2
    echo "lint: $(echo "$long" | wc -l) lines over 100 columns" >&2
    failed=1
  fi
fi

if $tidy; then
  mapfile -t sources < <(files 'src/*.cpp')
  if [[ ${#sources[@]} -gt 0 ]]; then
    if [[ ! -f build/compile_commands.json ]]; then
      echo "lint: clang-tidy needs build/compile_commands.json: run scripts/build.sh first" >&2
      exit 1
    fi
    # one file per clang-tidy process, two at a time; quiet unless it finds something
    if ! printf '%s\n' "${sources[@]}" |
        xargs -P 2 -n 1 clang-tidy -p build --quiet 2>/dev/null >/tmp/cnn_lint_tidy.$$; then
      grep -E 'warning:|error:' /tmp/cnn_lint_tidy.$$ | sort -u | head -40 >&2
      echo "lint: clang-tidy found the problems above" >&2
      failed=1
    fi
    rm -f /tmp/cnn_lint_tidy.$$
  fi
fi

if [[ $failed -ne 0 ]]; then exit 1; fi
echo "lint: ${#cxx[@]} C++ files formatted, ${#code[@]} files within 100 columns$($tidy &&
  echo ", clang-tidy clean on ${#sources[@]} sources")"
