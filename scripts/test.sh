#!/usr/bin/env bash
# Runs every test. The one command a user (and CI, through .ci/run) runs to check the project.
# Tests read real models and data from ../shared beside the checkout; nothing is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if [ ! -d ../shared/datasets ]; then
  echo "error: ../shared (real models and datasets) must sit beside this checkout; see README.md" >&2
  exit 2
fi

# The report test loads the HTML report in headless chromium; install it once, only where we may.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq && sudo apt-get install -y -qq chromium
  else
    echo "warning: chromium is missing and cannot be installed here (not root, no sudo); the report browser test will fail" >&2
  fi
fi
# The llama: judge's native libraries (pinned, checksum-verified; a no-op once installed).
bash scripts/install-native.sh

dotnet build Judge.sln -c Release -nologo -v quiet
log=$(mktemp)
set +e
dotnet test Judge.sln -c Release --no-build -nologo -v quiet 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One closing line over all test projects, in the plain 'N passed, N failed' form.
sum() { grep -oE "$1: +[0-9]+" "$log" | awk '{ n += $2 } END { print n + 0 }'; }
passed=$(sum Passed)
failed=$(sum Failed)
skipped=$(sum Skipped)
rm -f "$log"
echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit "$status"
