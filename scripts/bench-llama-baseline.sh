#!/usr/bin/env bash
# Benchmark-only: builds llama.cpp's own llama-batched-bench (and llama-server) — the baseline the whole-run benchmark
# (benchmarks/LLAMA.md) compares the `llama:` judge with — from the llama.cpp source that the node-llama-cpp 3.20.0 npm
# package bundles (llama.cpp b10361, commit c2fd87ef). The product never needs npm or this script: the judge's natives
# come from LLamaSharp.Backend.Cpu on NuGet (llama.cpp 815a2a59, whose source no package carries).
#
#   scripts/bench-llama-baseline.sh [generic|native|both]   # default both; ~15 min per build on 2 cores
#
# generic: the flags of LLamaSharp.Backend.Cpu's AVX-512 build (GGML_NATIVE=OFF, AVX/AVX2/FMA/F16C/AVX-512, OpenMP),
#          so the baseline's build costs what the judge's does. native: GGML_NATIVE=ON, tuned for this CPU.
# Output: .native/bench/{generic,native}/bin/llama-batched-bench; the source in .native/bench/src.
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-both}
root=.native/bench
package=node-llama-cpp@3.20.0
sha256=69e17d87f4d4fedde99cc03599b995a032fb67680e7da2d4f082dfdac4f904c9
commit=c2fd87ef425381d62715c8cd067b900ab0b4c11c
mkdir -p "$root"
if [ ! -d "$root/src/.git" ]; then
  (cd "$root" && npm pack --silent "$package" >/dev/null)
  echo "$sha256  $root/node-llama-cpp-3.20.0.tgz" | sha256sum -c --quiet
  tar -xzf "$root/node-llama-cpp-3.20.0.tgz" -C "$root" package/llama/gitRelease.bundle
  git clone -q "$root/package/llama/gitRelease.bundle" "$root/src"
fi
test "$(git -C "$root/src" rev-parse HEAD)" = "$commit" || { echo "error: $root/src is not llama.cpp $commit" >&2; exit 2; }

build() {
  local name=$1; shift
  echo "building $name llama-batched-bench and llama-server into $root/$name (about 15 minutes on 2 cores)" >&2
  cmake -S "$root/src" -B "$root/$name" -G "$(command -v ninja >/dev/null && echo Ninja || echo 'Unix Makefiles')" \
    -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DGGML_OPENMP=ON -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
    -DLLAMA_BUILD_TESTS=OFF "$@" >/dev/null
  cmake --build "$root/$name" -j "$(nproc)" --target llama-batched-bench llama-server >/dev/null
  echo "$root/$name/bin/llama-batched-bench" >&2
}

case $which in
  generic|both) build generic -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON ;;&
  native|both) build native -DGGML_NATIVE=ON ;;
  generic) ;;
  *) echo "usage: $0 [generic|native|both]" >&2; exit 2 ;;
esac
