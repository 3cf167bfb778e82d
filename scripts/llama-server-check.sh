#!/usr/bin/env bash
# Runs judge against a real OpenAI-compatible server, llama.cpp's llama-server, with the tiny stories260K model:
# compare, grade, --verdict json, logprobs, the server killed and restarted during a run, and a judge killed during
# a run followed by --resume. Prints one line of figures per step (calls, exit code, parsed/unparsed, seconds).
# Not part of CI: it needs a llama-server binary, which takes ~15 min to build here.
#
#   scripts/llama-server-check.sh --server PATH/llama-server          use a built server
#   scripts/llama-server-check.sh --build DIR                          build it first into DIR (~15 min), then run
#
# The server is built from the llama.cpp source the node-llama-cpp 3.20.0 npm package bundles (tag b10361):
#   npm pack node-llama-cpp@3.20.0; tar xzf node-llama-cpp-3.20.0.tgz; git clone package/llama/gitRelease.bundle src;
#   cmake -S src -B build -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_UI=OFF …;
#   cmake --build build --target llama-server
#
# Options: --server PATH | --build DIR, --model GGUF (default ../shared/models/stories260K.gguf), --port N (default
#          18080), --slots N (server slots, default 4), --concurrency N (judge requests in flight, default 8),
#          --work DIR (outputs and server logs, default a new temporary folder), --jobs N (build jobs, default nproc),
#          --max-tokens N (per call in the kill runs, default 128; the other steps use 128), --kill-only (skip the
#          compare/grade/json/logprobs steps).
# Needs: dotnet (builds src/Judge.Cli), curl, python3; for --build also npm, git, cmake and a C++17 compiler.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

server=''
build=''
model="$root/../shared/models/stories260K.gguf"
port=18080
slots=4
concurrency=8
work=''
jobs=$(nproc)
max_tokens=128
kill_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --server) server="$2"; shift ;;
    --build) build="$2"; shift ;;
    --model) model="$2"; shift ;;
    --port) port="$2"; shift ;;
    --slots) slots="$2"; shift ;;
    --concurrency) concurrency="$2"; shift ;;
    --work) work="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    --max-tokens) max_tokens="$2"; shift ;;
    --kill-only) kill_only=1 ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

for tool in curl python3 dotnet; do
  command -v "$tool" >/dev/null || { echo "error: llama-server-check.sh needs $tool on PATH" >&2; exit 2; }
done
[ -n "$server" ] || [ -n "$build" ] || { echo "error: give --server PATH (a llama-server binary) or --build DIR (see --help)" >&2; exit 2; }
[ -f "$model" ] || { echo "error: --model $model: no such file" >&2; exit 2; }
case "$port$slots$concurrency$max_tokens" in *[!0-9]*) echo "error: --port, --slots, --concurrency and --max-tokens take whole numbers" >&2; exit 2 ;; esac

if [ -z "$server" ]; then
  for tool in npm git cmake; do
    command -v "$tool" >/dev/null || { echo "error: --build needs $tool on PATH" >&2; exit 2; }
  done
  mkdir -p "$build"
  build=$(cd "$build" && pwd)
  echo "== building llama-server from node-llama-cpp 3.20.0's bundled llama.cpp into $build (takes ~15 min on 2 cores)"
  if [ ! -d "$build/src" ]; then
    (cd "$build" && npm pack node-llama-cpp@3.20.0 --silent >/dev/null && tar xzf node-llama-cpp-3.20.0.tgz)
    git clone --quiet "$build/package/llama/gitRelease.bundle" "$build/src"
  fi
  cmake -S "$build/src" -B "$build/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DLLAMA_CURL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_UI=OFF >"$build/cmake.log"
  cmake --build "$build/build" -j "$jobs" --target llama-server >"$build/build.log"
  server="$build/build/bin/llama-server"
fi
[ -x "$server" ] || { echo "error: --server $server is not an executable file" >&2; exit 2; }

work=${work:-$(mktemp -d -t judge-llama-server-XXXXXX)}
mkdir -p "$work"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build src/Judge.Cli -c Release -nologo -v quiet >/dev/null
judge_dll="$root/src/Judge.Cli/bin/Release/net10.0/judge.dll"
judge() { dotnet "$judge_dll" "$@"; }

pid=''
start_server() {
  "$server" -m "$model" --host 127.0.0.1 --port "$port" -c $((slots * 4096)) -np "$slots" >>"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do
    if curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { echo "error: llama-server exited; see $work/server.log" >&2; tail -5 "$work/server.log" >&2; exit 3; }
    sleep 0.2
  done
  echo "error: llama-server did not answer /health within 60 s; see $work/server.log" >&2
  exit 3
}
stop_server() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  pid=''
}
trap stop_server EXIT

# Figures of one results file: calls recorded, their statuses, calls with label probabilities, output tokens, finish reasons.
figures() {
  python3 - "$1" <<'PY'
import json, sys, collections
calls = []
try:
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                r = json.loads(line)
                if r.get("type") == "call":
                    calls.append(r)
except FileNotFoundError:
    pass
status = collections.Counter(c.get("status") for c in calls)
probs = sum(1 for c in calls if isinstance(c.get("probabilities"), dict) and c["probabilities"])
tokens = [c.get("output_tokens") for c in calls if isinstance(c.get("output_tokens"), int)]
finish = collections.Counter(c.get("finish_reason") for c in calls)
print(f"calls {len(calls)}, parsed {status.get('parsed', 0)}, unparsed {status.get('unparsed', 0)}, "
      f"out of range {status.get('out_of_range', 0)}, error {status.get('error', 0)}, with probabilities {probs}, "
      f"output tokens max {max(tokens) if tokens else '-'}, finish {dict(finish)}")
PY
}

sample=datasets/sample
spec="openai:stories260K?base_url=http://127.0.0.1:$port/v1"
answers=("$sample"/model_answer/*.jsonl)

seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# step NAME OUT ARGS…: runs judge, prints exit code, seconds and the figures of OUT.
step() {
  local name=$1 out=$2
  shift 2
  local t0 t1 code=0
  t0=$(date +%s.%N)
  judge "$@" >"$work/$name.log" 2>&1 || code=$?
  t1=$(date +%s.%N)
  printf '%-34s exit %s, %6s s, %s\n' "$name" "$code" "$(seconds "$t0" "$t1")" "$(figures "$out")"
}

echo "== llama-server check: $("$server" --version 2>&1 | grep -m1 -i version || echo "$server"), model $(basename "$model"), $slots slots, judge --concurrency $concurrency"
echo "   $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); outputs in $work"
start_server

if [ "$kill_only" = 0 ]; then
step "compare (text verdicts)" "$work/compare.jsonl" compare -q "$sample/question.jsonl" -a "${answers[@]}" --judge "$spec" \
  --limit 4 --concurrency "$concurrency" --max-tokens 128 --out "$work/compare.jsonl" --quiet
step "grade (text verdicts)" "$work/grade.jsonl" grade -q "$sample/question.jsonl" -a "${answers[@]}" --judge "$spec" \
  --limit 4 --concurrency "$concurrency" --max-tokens 128 --out "$work/grade.jsonl" --quiet
step "compare --verdict json" "$work/compare-json.jsonl" compare -q "$sample/question.jsonl" -a "${answers[@]}" --judge "$spec" \
  --limit 4 --concurrency "$concurrency" --max-tokens 128 --verdict json --out "$work/compare-json.jsonl" --quiet
step "grade --verdict json" "$work/grade-json.jsonl" grade -q "$sample/question.jsonl" -a "${answers[@]}" --judge "$spec" \
  --limit 4 --concurrency "$concurrency" --max-tokens 128 --verdict json --out "$work/grade-json.jsonl" --quiet
step "grade --verdict json, logprobs=5" "$work/grade-logprobs.jsonl" grade -q "$sample/question.jsonl" -a "${answers[@]}" \
  --judge "$spec&logprobs=5" --limit 4 --concurrency "$concurrency" --max-tokens 128 --verdict json --out "$work/grade-logprobs.jsonl" --quiet
fi

# The server killed (-9) mid-run and restarted 3 s later: the judge has had answers, so it waits the outage out.
run_args=(compare -q "$sample/question.jsonl" -a "${answers[@]}" --judge "$spec" --limit 10 --concurrency "$concurrency" --max-tokens "$max_tokens")
calls_in() { local n; n=$(grep -c '"type":"call"' "$1" 2>/dev/null) || true; echo "${n:-0}"; }
t0=$(date +%s.%N)
dotnet "$judge_dll" "${run_args[@]}" --out "$work/restart.jsonl" --quiet >"$work/restart.log" 2>&1 &
jpid=$!
while kill -0 "$jpid" 2>/dev/null && [ "$(calls_in "$work/restart.jsonl")" -lt 4 ]; do sleep 0.1; done
before=$(calls_in "$work/restart.jsonl")
if kill -0 "$jpid" 2>/dev/null; then
  stop_server
  sleep 3
  start_server
  killed="server killed after $before calls, restarted 3 s later"
else
  killed="the run finished before the kill ($before calls)"
fi
code=0
wait "$jpid" || code=$?
t1=$(date +%s.%N)
printf '%-34s exit %s, %6s s, %s (%s)\n' "server kill -9 and restart" "$code" "$(seconds "$t0" "$t1")" "$(figures "$work/restart.jsonl")" "$killed"
step "  then --retry-errors" "$work/restart.jsonl" "${run_args[@]}" --out "$work/restart.jsonl" --retry-errors --quiet

# The judge itself killed (-9) mid-run, then resumed: what was recorded is kept and only the rest is called.
t0=$(date +%s.%N)
dotnet "$judge_dll" "${run_args[@]}" --out "$work/judge-kill.jsonl" --quiet >"$work/judge-kill.log" 2>&1 &
jpid=$!
while kill -0 "$jpid" 2>/dev/null && [ "$(calls_in "$work/judge-kill.jsonl")" -lt 4 ]; do sleep 0.1; done
code=0
if kill -0 "$jpid" 2>/dev/null; then
  kill -9 "$jpid" 2>/dev/null || true
  killed="judge killed after $(calls_in "$work/judge-kill.jsonl") calls"
else
  killed="the run finished before the kill"
fi
{ wait "$jpid" || code=$?; } 2>/dev/null
t1=$(date +%s.%N)
printf '%-34s exit %s, %6s s, %s (%s)\n' "judge kill -9" "$code" "$(seconds "$t0" "$t1")" "$(figures "$work/judge-kill.jsonl")" "$killed"
step "  then --resume" "$work/judge-kill.jsonl" "${run_args[@]}" --out "$work/judge-kill.jsonl" --resume --quiet
step "  uninterrupted, for comparison" "$work/uninterrupted.jsonl" "${run_args[@]}" --out "$work/uninterrupted.jsonl" --quiet

echo "   load average after: $(cut -d' ' -f1-3 /proc/loadavg); logs: $work/*.log"
