#!/usr/bin/env bash
# Builds the tests with a sanitizer and runs them with ctest (docs/RELIABILITY.md,
# "Sanitizers").
#
#   scripts/sanitize.sh address                 ASan + UBSan, GCC, ./build-asan: every test
#   scripts/sanitize.sh thread                  TSan, GCC, ./build-tsan: the concurrency tests
#                                               (thread pool, data loader, checkpoints, training,
#                                               mpirun's fault paths)
#   scripts/sanitize.sh address --clang         the same with clang (./build-asan-clang)
#   scripts/sanitize.sh address --fuzz-build    in scripts/fuzz.sh's clang build (./build-fuzz,
#                                               ASan + UBSan + libFuzzer coverage), as CI does
#   --programs "core io"   build and run only those test programs (tests/<folder>)
#   -- ARGS                more ctest arguments, e.g. -R 'Idx|Png'
# The install and docs tests are left out (they build examples/ without the sanitizer's flags
# and run Doxygen), and with --programs the golden and ONNX data when no program reads them.
# Any sanitizer report fails the test that caused it (UBSan does not recover; ASan reports
# leaks at exit). Suppressions, only for libraries we do not build, are in
# scripts/sanitizers/*.supp with the reason for each.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}
[[ $# -ge 1 ]] || usage
kind=$1
shift
compiler=gcc fuzz_build=false programs="" ctest_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --clang) compiler=clang; shift ;;
    --fuzz-build) fuzz_build=true; compiler=clang; shift ;;
    --programs) programs="${2:?--programs needs a list}"; shift 2 ;;
    --) shift; ctest_args=("$@"); break ;;
    *) usage ;;
  esac
done

# The thread pool, the data loader, checkpoints written while training and the training runs
# of the command line (which run the sanitized `cnn` program); data-parallel training under
# mpirun (each rank's communication and watchdog threads) on the fault paths, which are short:
# the equivalence and resume tests train for minutes even unsanitized.
tsan_tests='^(ParallelFor|DataLoaderTest|CheckpointTest|TrainCli|EndToEnd|SyncBatchNorm|'\
'GradientReducer|Distributed)\.|^Mpirun\.(AKilledRank|AHungRank|DifferentModels|OneRanksError)'
case "$kind" in
  address) sanitize=address,undefined build_dir=build-asan ;;
  thread)
    sanitize=thread build_dir=build-tsan
    [[ -n "$programs" ]] || programs="core data train e2e distributed"
    [[ ${#ctest_args[@]} -gt 0 ]] || ctest_args=(-R "$tsan_tests")
    ;;
  *) usage ;;
esac

options=(-DCMAKE_BUILD_TYPE=Release -DCNN_BUILD_TESTS=ON)
command -v ccache >/dev/null && options+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if $fuzz_build; then
  [[ $kind == address ]] || { echo "sanitize.sh: --fuzz-build is ASan + UBSan only" >&2; exit 2; }
  build_dir=build-fuzz
  options+=(-DCMAKE_CXX_COMPILER=clang++ -DCNN_FUZZ=ON)  # as scripts/fuzz.sh configures it
else
  if [[ $compiler == clang ]]; then
    build_dir=$build_dir-clang
    options+=(-DCMAKE_CXX_COMPILER=clang++)
  fi
  options+=(-DCNN_SANITIZE="$sanitize")
fi

cmake -S . -B "$build_dir" "${options[@]}" >/dev/null
if [[ -n "$programs" ]]; then
  # `cnn` too: the end-to-end tests run it. Programs not built show in ctest as *_NOT_BUILT.
  # And the programs that replay the saved fuzz findings (fuzz/regressions/, one ctest each):
  # every fuzz_<target> in the fuzzing build, fuzz_replay otherwise.
  read -r -a names <<<"$programs"
  replay=(fuzz_replay)
  if $fuzz_build; then
    replay=()
    for dir in fuzz/regressions/*/; do
      [[ -d $dir ]] && replay+=("fuzz_$(basename "$dir")")
    done
  fi
  cmake --build "$build_dir" -j2 --target cnn "${names[@]/#/test_}" "${replay[@]}"
  # The golden and ONNX data only where a program chosen reads them.
  exclude='_NOT_BUILT$|^(install|docs)$'
  [[ " $programs " =~ " "(golden|models)" " ]] || exclude+='|^golden_data$'
  [[ " $programs " == *" onnx "* ]] || exclude+='|^onnx_data$'
  ctest_args=(-E "$exclude" "${ctest_args[@]}")
else
  cmake --build "$build_dir" -j2
  # install builds examples/ against the installed package, without the sanitizer's flags;
  # docs runs Doxygen: neither runs the project's code.
  ctest_args=(-E '^(install|docs)$' "${ctest_args[@]}")
fi

supp=$root/scripts/sanitizers
export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:\
strict_init_order=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:${LSAN_OPTIONS:-}"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp:\
${TSAN_OPTIONS:-}"
ctest --test-dir "$build_dir" -j2 --output-on-failure --timeout 3000 "${ctest_args[@]}"
