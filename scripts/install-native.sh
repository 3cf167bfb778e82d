#!/usr/bin/env bash
# Installs the prebuilt llama.cpp v0.5.0 CPU libraries the llama: judge loads, from the npm package
# @node-llama-cpp/linux-x64@3.22.1, into .native/llama/. The tarball is checked against a pinned
# SHA-512 (the registry's dist.integrity) before anything is extracted. Idempotent: a second run
# that finds the same verified install does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

package='@node-llama-cpp/linux-x64'
version='3.22.1'
# npm view @node-llama-cpp/linux-x64@3.22.1 dist.integrity, measured when this was pinned:
integrity='sha512-5uCCDNqWCNfaAm8aR/Uzxbo4HBpKgNF91kCHPepKhgMgV2OAmatoefbOlMihsqCiH2Od35E/eUHQCFbfRBJuOg=='
tarball='node-llama-cpp-linux-x64-3.22.1.tgz'

cache=.native/cache
dest=.native/llama
stamp="$dest/.installed"

. scripts/lib/npm-verified.sh

# Packing several projects at once runs this from each in parallel: one at a time, the rest then find the install.
mkdir -p .native
exec 9>.native/.install.lock
flock 9

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$package@$version $integrity" ] \
   && [ -f "$dest/libllama.v0.5.0.so" ] && [ -f "$dest/libggml.v0.5.0.so" ] && [ -f "$dest/libggml-base.so" ] \
   && compgen -G "$dest/libggml-cpu-*.so" >/dev/null; then
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "error: install-native.sh ships only the linux-x64 CPU libraries (this is $(uname -s)-$(uname -m))" >&2; exit 2 ;;
esac

npm_fetch_verified "$cache" "$package@$version" "$tarball" "$integrity"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar xzf "$cache/$tarball" -C "$tmp" package/bins/linux-x64
rm -rf "$dest"
mkdir -p "$dest"
cp "$tmp"/package/bins/linux-x64/libllama.v0.5.0.so "$tmp"/package/bins/linux-x64/libggml.v0.5.0.so \
   "$tmp"/package/bins/linux-x64/libggml-base.so "$tmp"/package/bins/linux-x64/libggml-cpu-*.so "$dest"/
echo "$package@$version $integrity" > "$stamp"
echo "install-native: llama.cpp v0.5.0 CPU libraries installed in $dest" >&2
