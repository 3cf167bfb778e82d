#!/usr/bin/env bash
# Builds llama.cpp v0.5.0 from source: the exact tree node-llama-cpp@3.22.1 ships as
# llama/gitRelease.bundle, so the result is ABI-identical to the prebuilt CPU libraries
# scripts/install-native.sh installs. Use it when the prebuilt libraries do not fit:
#
#   scripts/build-llama.sh                 CPU build, optimised for this machine (GGML_NATIVE)
#   scripts/build-llama.sh --cuda          CUDA build for the GPU found by nvidia-smi (or --arch)
#   scripts/build-llama.sh --cuda --arch 90   e.g. an H100 with a driver older than 590, which the
#                                          prebuilt CUDA package (built for CUDA 13.1) refuses
#
# Output: DIR (default .native/build-cpu or .native/build-cuda) holding libllama.v0.5.0.so,
# libggml.v0.5.0.so, libggml-base.so, the backend plugins (libggml-cpu.so, libggml-cuda.so) and
# llama-batched-bench, the baseline benchmarks/Judge.Benchmarks.Llama compares against. Point the
# judge at it with JUDGE_LLAMA_NATIVE=DIR or "llama:MODEL.gguf?native=DIR".
#
# Options: --cuda, --arch SM (CMAKE_CUDA_ARCHITECTURES, e.g. 90), --out DIR, --jobs N,
#          --no-native (portable x86-64 CPU code instead of this machine's instruction set).
# The npm tarball is checked against a pinned SHA-512 and the bundle against its pinned commit
# before anything is built. Needs git, cmake, a C++17 compiler, npm (and nvcc for --cuda).
set -euo pipefail
cd "$(dirname "$0")/.."

version='3.22.1'
# npm view node-llama-cpp@3.22.1 dist.integrity, measured when this was pinned:
integrity='sha512-bltIipuWmc123H7tMIgDGKSsSrhmhlQYeVUC48XTjVW7XGJJiJJyCdlTMzQ/LiWoPkGDpcL4FviDpgw7qfTiDw=='
commit='de3ff815ea7d559ee917f063901b8986f038abc6'
tarball="node-llama-cpp-$version.tgz"

cuda=0
arch=''
out=''
jobs=$(nproc)
native=ON
while [ $# -gt 0 ]; do
  case "$1" in
    --cuda) cuda=1 ;;
    --arch) arch="$2"; shift ;;
    --out) out="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    --no-native) native=OFF ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

for tool in git cmake npm openssl; do
  command -v "$tool" >/dev/null || { echo "error: build-llama.sh needs $tool on PATH" >&2; exit 2; }
done

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

cache=.native/cache
src=.native/src/llama.cpp-v0.5.0
mkdir -p "$cache" .native/src

. scripts/lib/npm-verified.sh

if [ ! -f "$src/.commit" ] || [ "$(cat "$src/.commit")" != "$commit" ]; then
  npm_fetch_verified "$cache" "node-llama-cpp@$version" "$tarball" "$integrity"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  tar xzf "$cache/$tarball" -C "$tmp" package/llama/gitRelease.bundle
  rm -rf "$src"
  git -c advice.detachedHead=false clone --quiet "$tmp/package/llama/gitRelease.bundle" "$src"
  head=$(git -C "$src" rev-parse HEAD)
  if [ "$head" != "$commit" ]; then
    echo "error: the source bundle is at $head, expected $commit" >&2
    exit 3
  fi
  echo "$commit" > "$src/.commit"
fi

build="$src/build-$([ "$cuda" = 1 ] && echo "cuda$arch" || echo "cpu-$native")"
flags=(
  -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON
  -DGGML_BACKEND_DL=OFF -DGGML_NATIVE="$native"
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF
  -DLLAMA_BUILD_TOOLS=ON -DLLAMA_OPENSSL=OFF
  -DCMAKE_BUILD_RPATH_USE_ORIGIN=ON
)
targets=(llama ggml ggml-cpu llama-batched-bench)
if [ "$cuda" = 1 ]; then
  flags+=(-DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$arch")
  targets+=(ggml-cuda)
fi
command -v ninja >/dev/null || flags[1]='Unix Makefiles'

echo "build-llama: configuring $build" >&2
cmake -S "$src" -B "$build" "${flags[@]}" >"$build.configure.log" 2>&1 \
  || { echo "error: cmake configure failed; see $build.configure.log" >&2; tail -n 20 "$build.configure.log" >&2; exit 3; }
echo "build-llama: building ${targets[*]} with $jobs jobs (CPU: minutes; CUDA: about 7 min on 16 cores)" >&2
cmake --build "$build" --target "${targets[@]}" -j "$jobs"

# The layout the judge's resolver expects: the suffixed names the npm package uses, beside the
# plain ones the libraries' DT_NEEDED entries name (symlinks, so each is loaded once). The backends
# are linked in (GGML_NATIVE rules out GGML_BACKEND_DL), so loading them from the folder is a no-op.
mkdir -p "$out"
out=$(cd "$out" && pwd)
bin="$build/bin"
cp -a "$bin"/*.so* "$out"/
ln -sfn libllama.so "$out/libllama.v0.5.0.so"
ln -sfn libggml.so "$out/libggml.v0.5.0.so"
cp "$bin/llama-batched-bench" "$out"/
echo "$commit cuda=$cuda arch=$arch native=$native" > "$out/.built"
echo "build-llama: llama.cpp v0.5.0 ($commit) built into $out" >&2
echo "build-llama: use it with JUDGE_LLAMA_NATIVE=$out, baseline: $out/llama-batched-bench" >&2
