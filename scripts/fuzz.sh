#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang in ./build-fuzz, makes their seed corpora and
# runs them (docs/RELIABILITY.md, "Fuzzing").
#
#   scripts/fuzz.sh                          every target for 10 seconds
#   scripts/fuzz.sh png jpeg --time 600      those two for ten minutes each
#   scripts/fuzz.sh --runs 10000000 --jobs 2 every target for 10 million executions; --jobs
#                                            runs that many targets at once, or one target in
#                                            libFuzzer's -fork mode with that many processes
#   scripts/fuzz.sh --list                   the targets
#   options: --runs N, --time SECONDS (both: whichever comes first), --jobs N (default 1),
#            --timeout SECONDS (one input; default 10), --no-build, --fresh-seeds
#
# Each target runs under ASan + UBSan with -malloc_limit_mb=64 (no single allocation of 64 MiB
# or more: the issue's bound for a small hostile file) and -rss_limit_mb=1024. Corpora grow in
# build-fuzz/fuzz/corpus/<target>; seeds are in build-fuzz/fuzz/seeds/<target> (made by
# fuzz_make_corpus and fuzz/make_corpus.py), saved findings in fuzz/regressions/<target> are
# run first. A finding (crash, sanitizer report, leak, large allocation, timeout) is written to
# build-fuzz/fuzz/findings/<target>/ and makes the script fail. A table of executions, exec/s
# and corpus sizes is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

all_targets=(idx idx_gzip png jpeg pth unpickle safetensors checkpoint config onnx formula)
declare -A dict=([png]=png [jpeg]=jpeg [pth]=pth [unpickle]=pickle [safetensors]=json
                 [checkpoint]=json [config]=json [onnx]=onnx [formula]=formula)

runs="" seconds="" jobs=1 timeout=10 build=true fresh=false targets=()
usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="${2:?}"; shift 2 ;;
    --time) seconds="${2:?}"; shift 2 ;;
    --jobs) jobs="${2:?}"; shift 2 ;;
    --timeout) timeout="${2:?}"; shift 2 ;;
    --no-build) build=false; shift ;;
    --fresh-seeds) fresh=true; shift ;;
    --list) printf '%s\n' "${all_targets[@]}"; exit 0 ;;
    -h|--help) usage ;;
    -*) usage ;;
    *) [[ " ${all_targets[*]} " == *" $1 "* ]] || { echo "fuzz.sh: no target '$1'" >&2; usage; }
       targets+=("$1"); shift ;;
  esac
done
[[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")
[[ -n "$runs$seconds" ]] || seconds=10

build_dir=$root/build-fuzz
work=$build_dir/fuzz
if $build; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # CNN_BUILD_TESTS=ON: the same build serves the ASan + UBSan unit tests (scripts/sanitize.sh
  # --fuzz-build), which CI runs from it.
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ \
    -DCNN_FUZZ=ON -DCNN_BUILD_TESTS=ON "${launcher[@]}" >/dev/null
  cmake --build "$build_dir" -j2 --target fuzz_make_corpus "${targets[@]/#/fuzz_}"
fi

# Seeds: the library's writers, then PyTorch's when it is installed.
seeds=$work/seeds
if $fresh || [[ ! -f $seeds/.complete ]]; then
  rm -rf "$seeds"
  ASAN_OPTIONS=detect_leaks=0 "$build_dir/fuzz/fuzz_make_corpus" "$seeds" >/dev/null
  python=${CNN_PYTHON:-/usr/bin/python3}
  if "$python" -c "import torch" 2>/dev/null; then
    PYTHONDONTWRITEBYTECODE=1 "$python" fuzz/make_corpus.py "$seeds" 2>/dev/null
  else
    echo "fuzz.sh: no PyTorch for $python: seeds from fuzz_make_corpus only" >&2
  fi
  touch "$seeds/.complete"
fi

limits=(-malloc_limit_mb=64 -rss_limit_mb=1024 -timeout="$timeout" -print_final_stats=1)
[[ -n "$runs" ]] && limits+=(-runs="$runs")
[[ -n "$seconds" ]] && limits+=(-max_total_time="$seconds")

# One target: its log in $work/logs/<target>.log, its wall time in <target>.seconds.
run_target() {
  local t=$1 forks=$2
  local corpus=$work/corpus/$t findings=$work/findings/$t log=$work/logs/$t.log
  mkdir -p "$corpus" "$findings" "$work/logs" "$seeds/$t"
  local extra=()
  [[ -n "${dict[$t]:-}" ]] && extra+=(-dict="$root/fuzz/dicts/${dict[$t]}.dict")
  [[ $forks -gt 1 ]] && extra+=(-fork="$forks" -ignore_crashes=0 -ignore_ooms=0 -ignore_timeouts=0)
  local dirs=("$corpus" "$seeds/$t")
  [[ -d $root/fuzz/regressions/$t ]] && dirs+=("$root/fuzz/regressions/$t")
  local start=$SECONDS status=0
  "$build_dir/fuzz/fuzz_$t" "${limits[@]}" "${extra[@]}" -artifact_prefix="$findings/" \
    "${dirs[@]}" >"$log" 2>&1 || status=$?
  echo $((SECONDS - start)) >"$work/logs/$t.seconds"
  echo "$status" >"$work/logs/$t.status"
  if [[ $status -ne 0 ]]; then
    echo "fuzz.sh: $t: FINDING (exit $status), see $log and $findings/" >&2
    grep -m 3 -E 'ERROR|FINDING|SUMMARY|deadly signal|out-of-memory|timeout' "$log" >&2 || true
  else
    echo "fuzz.sh: $t done"
  fi
}

if [[ ${#targets[@]} -eq 1 ]]; then
  run_target "${targets[0]}" "$jobs"
else
  export -f run_target
  export work seeds root build_dir
  for t in "${targets[@]}"; do echo "$t"; done |
    xargs -P "$jobs" -I{} bash -c "$(declare -p dict limits); run_target {} 1"
fi

# The table: executions (libFuzzer's own count), exec/s over the wall time, corpus size.
printf '\n%-12s %12s %9s %8s %7s  %s\n' target executions exec/s seconds corpus result
failed=0
for t in "${targets[@]}"; do
  log=$work/logs/$t.log
  execs=$(grep -oP 'stat::number_of_executed_units:\s*\K[0-9]+' "$log" | tail -1 || true)
  [[ -n "$execs" ]] || execs=$(grep -oP '^#\K[0-9]+(?=[:\t ])' "$log" | tail -1 || true)
  execs=${execs:-0}
  secs=$(cat "$work/logs/$t.seconds")
  status=$(cat "$work/logs/$t.status")
  corpus=$(find "$work/corpus/$t" -type f | wc -l)
  result=ok
  if [[ $status -ne 0 ]]; then result="FINDING: $(ls "$work/findings/$t" | head -1)"; failed=1; fi
  printf '%-12s %12s %9s %8s %7s  %s\n' "$t" "$execs" $((execs / (secs > 0 ? secs : 1))) \
    "$secs" "$corpus" "$result"
done
exit $failed
