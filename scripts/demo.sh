#!/usr/bin/env bash
# The main job: builds judge and runs a real judging run on the sample data in datasets/sample.
# Extra arguments are passed to `judge compare` (e.g. --judge openai:gpt-4o once that provider lands).
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# The llama: judge's native libraries (pinned, checksum-verified; a no-op once installed).
bash scripts/install-native.sh

dotnet build src/Judge.Cli -c Release -nologo -v quiet
judge() { dotnet src/Judge.Cli/bin/Release/net10.0/judge.dll "$@"; }

sample=datasets/sample
echo "== judge rubrics list"
judge rubrics list

for turn in 1 2; do
  echo
  echo "== judge compare, turn $turn: three models, every pair, the sample's recorded verdicts replayed"
  judge compare \
    --questions "$sample/question.jsonl" \
    --answers "$sample"/model_answer/*.jsonl \
    --references "$sample/reference_answer/reference.jsonl" \
    --judge "replay:$sample/recorded_judgments.jsonl" \
    --turn "$turn" \
    --out "out/sample-compare-turn$turn.jsonl" "$@"
done

echo
echo "== judge agreement: the turn-1 verdicts above against the sample's human labels"
judge agreement --judgments out/sample-compare-turn1.jsonl --human "$sample/human_judgments.jsonl" --turn 1

echo
echo "== judge run: the same evaluation from examples/judge.yaml, gated, with HTML/Markdown/JUnit/CSV reports in out/example-run"
judge run examples/judge.yaml --overwrite
echo "== judge models info: the local llama: judge's model, read from its GGUF header"
judge models info ../shared/models/stories260K.gguf
