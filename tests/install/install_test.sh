#!/usr/bin/env bash
# The installed package works for a user: installs the freshly built library into a temporary
# prefix, builds examples/ against it with nothing but CMAKE_PREFIX_PATH (find_package(cnn)),
# runs each example on small inputs, and compiles a one-file program with pkg-config.
#   tests/install/install_test.sh BUILD_DIR SOURCE_DIR PYTHON [COMPILER_LAUNCHER]
set -euo pipefail
build=$1 source=$2 python=$3 launcher=${4:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cnn-install-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
fail() { echo "install test: FAILED: $*" >&2; exit 1; }
step() { echo "== $* ($SECONDS s)"; }

step "cmake --install into $prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" ||
  { cat "$tmp/install.log"; fail "cmake --install"; }
for f in include/cnn/cnn.h include/cnn/tensor.h; do
  [[ -f $prefix/$f ]] || fail "$f not installed"
done
[[ -n $(find "$prefix" -name libcnn.a) ]] || fail "libcnn.a not installed"
[[ -n $(find "$prefix" -name cnnConfigVersion.cmake) ]] || fail "no cnnConfigVersion.cmake"

step "configure and build examples/ against the package"
cmake -S "$source/examples" -B "$tmp/examples" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
  -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" ${launcher:+-DCMAKE_CXX_COMPILER_LAUNCHER=$launcher} \
  >"$tmp/configure.log" 2>&1 || { cat "$tmp/configure.log"; fail "configuring examples/"; }
version=$(sed -n 's/^project(cnn VERSION \([0-9.]*\).*/\1/p' "$source/CMakeLists.txt")
grep -q "found cnn $version " "$tmp/configure.log" ||
  { cat "$tmp/configure.log"; fail "examples/ did not find cnn $version"; }
cmake --build "$tmp/examples" -j2 >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log"; fail "building examples/"; }
bin=$tmp/examples

step "example 1: train_small_cnn"
"$bin/train_small_cnn" /usr/share/datasets/fashion-mnist 100 | tee "$tmp/train.txt"
first=$(awk '$1 == "step" {print $4; exit}' "$tmp/train.txt")
last=$(awk '$1 == "step" {v = $4} END {print v}' "$tmp/train.txt")
awk -v a="$first" -v b="$last" 'BEGIN {exit !(b < 0.7 * a)}' ||
  fail "the loss did not fall: $first -> $last"

step "inputs from PyTorch: resnet18 weights and a picture"
"$python" "$source/tests/install/make_inputs.py" "$tmp" || fail "make_inputs.py"

step "example 2: classify_image"
"$bin/classify_image" resnet18 "$tmp/resnet18.pth" "$tmp/picture.png" "$tmp/labels.txt" |
  tee "$tmp/classify.txt"
ours=$(awk 'NR > 1 {print $3}' "$tmp/classify.txt" | head -1)
theirs=$(cut -d' ' -f1 "$tmp/torch_top5.txt")
echo "torch's top 5: $(cat "$tmp/torch_top5.txt")"
[[ -n $ours && $ours == "$theirs" ]] || fail "top class $ours, torch says $theirs"

step "example 3: hypercolumn"
"$bin/hypercolumn" "$tmp/picture.png" "$tmp/resnet18.pth" "$tmp/similarity.png" |
  tee "$tmp/hyper.txt"
grep -q '^hypercolumns \[1, 64, 64, 512\]$' "$tmp/hyper.txt" || fail "unexpected hypercolumn shape"
[[ -s $tmp/similarity.png ]] || fail "no similarity picture"

step "usage messages"
for prog in train_small_cnn classify_image hypercolumn; do
  set +e; "$bin/$prog" --nonsense a b c d e >/dev/null 2>"$tmp/usage.txt"; rc=$?; set -e
  [[ $rc == 2 ]] && grep -q usage "$tmp/usage.txt" || fail "$prog: bad arguments gave status $rc"
done

step "pkg-config: a one-file program"
pc=$(dirname "$(find "$prefix" -name cnn.pc)")
cat >"$tmp/one.cpp" <<'CPP'
#include <cnn/cnn.h>
#include <cstdio>
int main() {
  cnn::Generator gen(1);
  cnn::Tensor w = cnn::Tensor::normal({3, 3, 1, 4}, 0, 1, gen).requires_grad_();
  cnn::Tensor x = cnn::Tensor::ones({1, 5, 5, 1});
  cnn::Tensor loss = cnn::mean(cnn::square(cnn::conv2d(x, w, cnn::Tensor(), {.padding = 1})));
  loss.backward();
  std::printf("loss %.4f, grad %s\n", loss.item(), cnn::to_string(w.grad().shape()).c_str());
  return w.grad().shape() == cnn::Shape{3, 3, 1, 4} ? 0 : 1;
}
CPP
flags=$(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs --static cnn) || fail "pkg-config cnn"
[[ $(PKG_CONFIG_PATH=$pc pkg-config --modversion cnn) == "$version" ]] || fail "cnn.pc version"
echo "pkg-config --cflags --libs --static cnn: $flags"
# shellcheck disable=SC2086  # the flags are words
${launcher} g++ -std=c++20 -O1 "$tmp/one.cpp" -o "$tmp/one" $flags ||
  fail "compiling with pkg-config's flags"
"$tmp/one" || fail "the pkg-config program"

echo "install test: passed in $SECONDS s"
