# Sourced by scripts/install-native.sh and scripts/build-llama.sh: fetches an npm package tarball with
# `npm pack` into a cache folder and accepts it only if it matches a pinned SRI integrity string.

# sri FILE: the file's SHA-512 as npm writes dist.integrity.
sri() { echo "sha512-$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }

# npm_fetch_verified CACHE_DIR PACKAGE@VERSION TARBALL_NAME INTEGRITY
# Leaves CACHE_DIR/TARBALL_NAME in place, verified; exits 3 (deleting it) on a checksum mismatch.
npm_fetch_verified() {
  local cache=$1 spec=$2 tarball=$3 integrity=$4
  mkdir -p "$cache"
  if [ ! -f "$cache/$tarball" ] || [ "$(sri "$cache/$tarball")" != "$integrity" ]; then
    rm -f "$cache/$tarball"
    echo "$(basename "$0"): fetching $spec" >&2
    (cd "$cache" && npm pack --silent "$spec" >/dev/null)
  fi
  local actual
  actual=$(sri "$cache/$tarball")
  if [ "$actual" != "$integrity" ]; then
    echo "error: $cache/$tarball has checksum $actual, expected the pinned $integrity; refusing to use it" >&2
    rm -f "$cache/$tarball"
    exit 3
  fi
}
