#!/usr/bin/env bash
# Regenerates the docs' screenshots from the code as it is: docs/report-screenshot.png is the HTML report of
# examples/judge.yaml, rendered by headless Chromium (Debian's chromium package). Run from anywhere:
#   bash scripts/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium >/dev/null || { echo "error: chromium is missing (apt-get install chromium)" >&2; exit 2; }
dotnet build src/Judge.Cli -c Release -nologo -v quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet src/Judge.Cli/bin/Release/net10.0/judge.dll run examples/judge.yaml --out "$work/run" --quiet
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$work/profile" --hide-scrollbars \
  --window-size=1280,1400 --screenshot="$PWD/docs/report-screenshot.png" "file://$work/run/report.html" 2>/dev/null
echo "wrote docs/report-screenshot.png"
