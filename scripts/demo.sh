#!/usr/bin/env bash
# The main job: builds judge and runs a real judging run on the sample data in datasets/sample.
# JUDGE_MODEL=/path/to/judge.gguf (or a catalogue name, e.g. recommended) picks the local judge model; default
# ../shared/models/stories260K.gguf, else the recommended judge model pulled once into the model cache.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

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
    --out "out/sample-compare-turn$turn.jsonl"
done

echo
echo "== judge agreement: the turn-1 verdicts above against the sample's human labels"
judge agreement --judgments out/sample-compare-turn1.jsonl --human "$sample/human_judgments.jsonl" --turn 1

echo
echo "== judge run: the same evaluation from examples/judge.yaml, gated, with HTML/Markdown/JUnit/CSV reports in out/example-run"
judge run examples/judge.yaml --overwrite

# The local judge: a GGUF model run in-process by llama.cpp, verdicts read from the logits.
# The model: $JUDGE_MODEL (a GGUF path, or a catalogue name from 'judge models list') if set; else the tiny
# real model in ../shared (not instruction-tuned: it shows the mechanics, and its verdicts show a strong
# position bias, not judging quality); else the recommended judge model, pulled once into the model cache
# ($JUDGE_MODELS, else ~/.cache/judge/models; resumable, SHA-256 verified, reused offline afterwards).
shared_model=../shared/models/stories260K.gguf
if [ -n "${JUDGE_MODEL:-}" ]; then
  model=$JUDGE_MODEL
elif [ -f "$shared_model" ]; then
  model=$shared_model
else
  model=recommended
fi
echo
if [[ "$model" != */* && "$model" != *.gguf && ! -f "$model" ]]; then
  echo "== judge models pull $model: the judge model, fetched once into the model cache (a no-op when it is there)"
  status=0
  judge models pull "$model" || status=$?
  if [ "$status" -ne 0 ]; then
    echo >&2
    echo "error: the local-judge part of the demo needs a GGUF model, and '$model' could not be fetched (see above)." >&2
    echo "       Everything above ran. To finish offline: JUDGE_MODEL=/path/to/judge.gguf bash scripts/demo.sh," >&2
    echo "       or copy the model file into ${JUDGE_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/judge/models} (judge models list names it)." >&2
    exit "$status"
  fi
  echo
fi
echo "== judge models info: the local judge's model, read from its GGUF header"
judge models info "$model"
echo
echo "== judge compare, turn 1, with the local model in-process: both orders; it writes up to 32 tokens of feedback, then the verdict's probabilities are read from the logits"
judge compare \
  --questions "$sample/question.jsonl" \
  --answers "$sample"/model_answer/*.jsonl \
  --references "$sample/reference_answer/reference.jsonl" \
  --judge "llama:$model?ctx=4096" \
  --concurrency 1 \
  --max-tokens 32 \
  --out out/sample-compare-llama.jsonl
