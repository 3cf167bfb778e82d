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

# The judge tool as a user gets it: packed once, installed into a throwaway tool path from that
# package folder alone, and run from a folder outside the checkout with no variable pointing back
# into it, so the rubrics and llama.cpp libraries (LLamaSharp.Backend.Cpu's linux-x64 builds) it uses
# are the ones inside the package.
tool_check() {
  # Runs in a subshell (below), so its variables and EXIT trap stay there.
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  version=$(dotnet msbuild src/Judge.Cli -getProperty:Version -nologo)
  dotnet pack src/Judge.Cli -c Release -nologo -v quiet -o "$work/pkg"
  (cd "$work/pkg" && du -b Judge.Cli.*.nupkg) | awk '{ printf "%s%s %s", sep, $2, $1 < 1e6 ? sprintf("%.0f kB", $1 / 1e3) : sprintf("%.1f MB", $1 / 1e6); sep = ", " } END { print "" }' | sed 's/^/tool package: /'
  # Only the package folder as a source: nothing is fetched, and no other feed's Judge.Cli can be picked.
  printf '<configuration><packageSources><clear /></packageSources></configuration>\n' > "$work/nuget.config"
  dotnet tool install --tool-path "$work/tools" --configfile "$work/nuget.config" --add-source "$work/pkg" Judge.Cli --version "$version"

  shared=$(cd ../shared && pwd)
  sample=$PWD/datasets/sample
  mkdir "$work/run"
  (
    cd "$work/run"
    unset JUDGE_LLAMA_NATIVE JUDGE_RUBRICS
    mt=$shared/datasets/mt-bench
    # The judge prints its summary and its errors on stdout: keep it out of the log unless a step fails.
    quiet() { "$@" >last.log 2>&1 || { local rc=$?; cat last.log >&2; return "$rc"; }; }
    quiet "$work/tools/judge" rubrics list
    grep -q pairwise-general last.log
    quiet "$work/tools/judge" compare --questions "$mt/question.jsonl" --answers "$mt"/model_answer/*.jsonl \
      --judge "replay:$mt/gpt4_pair_judgments.jsonl" --turn 1 --limit 20 --out "$work/run/replay.jsonl"
    quiet "$work/tools/judge" compare --questions "$sample/question.jsonl" --answers "$sample"/model_answer/*.jsonl \
      --references "$sample/reference_answer/reference.jsonl" --judge "llama:$shared/models/stories260K.gguf?ctx=4096" \
      --concurrency 1 --max-tokens 32 --limit 6 --out "$work/run/llama.jsonl"
    test -s replay.jsonl
    test -s llama.jsonl
  )
  echo "installed tool: rubrics list, replay compare and llama compare ran from outside the checkout"
}
# In a subshell of its own, not after ||: there bash would ignore set -e inside the function.
set +e
(set -e; tool_check)
tool_status=$?
set -e
if [ "$tool_status" -ne 0 ]; then
  echo "error: the packed judge tool failed its install check (exit $tool_status)" >&2
fi
[ "$status" -ne 0 ] && exit "$status"
exit "$tool_status"
