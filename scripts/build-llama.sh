#!/usr/bin/env bash
# Builds llama.cpp commit 815a2a59, the one LLamaSharp 0.30.0 binds, from a source checkout you supply,
# for the judge's native=DIR / JUDGE_LLAMA_NATIVE option: a CPU build tuned for this machine, or a CUDA
# build. The judge refuses any other commit (its structs differ, and a mismatch crashes the process).
#
#   scripts/build-llama.sh --source DIR                      CPU build, optimised for this machine (GGML_NATIVE)
#   scripts/build-llama.sh --source DIR --cuda               CUDA build for the GPU found by nvidia-smi (or --arch)
#   scripts/build-llama.sh --source DIR --cuda --arch 90     e.g. an H100
#
# DIR is a git checkout of llama.cpp at commit 815a2a59 (git clone https://github.com/ggml-org/llama.cpp
# && git -C llama.cpp checkout 815a2a59, where GitHub is reachable). No package on the npm or NuGet
# registries these machines reach was found to carry that source, so nothing here fetches it; the
# script checks the checkout's HEAD before building anything.
#
# Output: OUT (default .native/build-cpu or .native/build-cuda) holding libllama.so, libggml.so,
# libggml-base.so, the backends they link (libggml-cpu.so, libggml-cuda.so) and llama-batched-bench,
# the baseline benchmarks/Judge.Benchmarks.Llama compares against. Point the judge at it with
# JUDGE_LLAMA_NATIVE=OUT or "llama:MODEL.gguf?native=OUT".
#
# Options: --source DIR (required), --cuda, --arch SM (CMAKE_CUDA_ARCHITECTURES, e.g. 90), --out OUT,
#          --jobs N, --no-native (portable x86-64 CPU code instead of this machine's instruction set).
# Needs git, cmake, a C++17 compiler (and nvcc for --cuda).
set -euo pipefail
cd "$(dirname "$0")/.."

commit='815a2a59'
source=''
cuda=0
arch=''
out=''
jobs=$(nproc)
native=ON
while [ $# -gt 0 ]; do
  case "$1" in
    --source) source="$2"; shift ;;
    --cuda) cuda=1 ;;
    --arch) arch="$2"; shift ;;
    --out) out="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    --no-native) native=OFF ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

for tool in git cmake; do
  command -v "$tool" >/dev/null || { echo "error: build-llama.sh needs $tool on PATH" >&2; exit 2; }
done
[ -n "$source" ] || { echo "error: --source DIR is required: a llama.cpp checkout at commit $commit (see --help)" >&2; exit 2; }
[ -f "$source/CMakeLists.txt" ] || { echo "error: --source $source: no CMakeLists.txt there; expected a llama.cpp checkout" >&2; exit 2; }
head=$(git -C "$source" rev-parse HEAD 2>/dev/null) \
  || { echo "error: --source $source is not a git checkout, so its commit cannot be checked (expected $commit)" >&2; exit 2; }
case "$head" in
  "$commit"*) ;;
  *) echo "error: --source $source is at commit $head, not $commit (the one LLamaSharp 0.30.0 binds)" >&2; exit 2 ;;
esac

if [ "$cuda" = 1 ]; then
  if ! command -v nvcc >/dev/null; then
    for d in /usr/local/cuda/bin /usr/local/cuda-*/bin; do
      if [ -x "$d/nvcc" ]; then export PATH="$d:$PATH"; break; fi
    done
  fi
  command -v nvcc >/dev/null || { echo "error: --cuda needs nvcc (the CUDA toolkit) on PATH or in /usr/local/cuda*/bin" >&2; exit 2; }
  if [ -z "$arch" ]; then
    if command -v nvidia-smi >/dev/null; then
      arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -n1 | tr -d '. ')
    fi
    [ -n "$arch" ] || { echo "error: no GPU found by nvidia-smi; give the architecture with --arch (e.g. 90 for H100)" >&2; exit 2; }
  fi
fi
out=${out:-.native/build-$([ "$cuda" = 1 ] && echo cuda || echo cpu)}

build=".native/obj/llama.cpp-$commit-$([ "$cuda" = 1 ] && echo "cuda$arch" || echo "cpu-$native")"
mkdir -p "$(dirname "$build")"
# Shared libraries with the backends linked in (GGML_BACKEND_DL off), as LLamaSharp's own builds are: loading
# libllama.so loads libggml.so and its backends through DT_NEEDED and $ORIGIN, with no plugin step.
flags=(
  -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON
  -DGGML_BACKEND_DL=OFF -DGGML_NATIVE="$native"
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF
  -DLLAMA_BUILD_TOOLS=ON -DLLAMA_CURL=OFF
  -DCMAKE_BUILD_RPATH_USE_ORIGIN=ON
)
targets=(llama ggml ggml-cpu llama-batched-bench)
if [ "$cuda" = 1 ]; then
  flags+=(-DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$arch")
  targets+=(ggml-cuda)
fi
command -v ninja >/dev/null || flags[1]='Unix Makefiles'

echo "build-llama: configuring $build" >&2
cmake -S "$source" -B "$build" "${flags[@]}" >"$build.configure.log" 2>&1 \
  || { echo "error: cmake configure failed; see $build.configure.log" >&2; tail -n 20 "$build.configure.log" >&2; exit 3; }
echo "build-llama: building ${targets[*]} with $jobs jobs (CPU: minutes; CUDA: about 7 min on 16 cores)" >&2
cmake --build "$build" --target "${targets[@]}" -j "$jobs"

mkdir -p "$out"
out=$(cd "$out" && pwd)
bin="$build/bin"
cp -a "$bin"/*.so* "$out"/
cp "$bin/llama-batched-bench" "$out"/
echo "$head cuda=$cuda arch=$arch native=$native" > "$out/.built"
echo "build-llama: llama.cpp $head built into $out" >&2
echo "build-llama: use it with JUDGE_LLAMA_NATIVE=$out, baseline: $out/llama-batched-bench" >&2
