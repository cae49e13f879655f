#!/usr/bin/env bash
# Fresh candidates: one candidate-generator pass that stocks 16 prompts with 4 responses each from a
# random-weight policy (sampling, duplicate checks and the SQLite writes included), side by side with
# bare PolicySampler calls on the same prompts. Tiny model (the starter's shape is close) and GPT-2
# small (124M). Needs HILO_BIN (make bench sets it). Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/../../.."
HILO=${HILO_BIN:-.build/release/hilo}
json() { echo "bench candidates: $*" >&2; "$HILO" bench candidates "$@" --json 2>/dev/null | tail -1; }
field() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(format(d[sys.argv[2]], sys.argv[3]))" "$1" "$2" "$3"; }

echo "## Candidate generation (hilo bench candidates)"
echo
echo "| model | responses | responses/s | tokens/s | bare sampling tokens/s | pass / bare (time per token) | peak RSS |"
echo "|---|---|---|---|---|---|---|"
for cfg in tiny small; do
  if [ $cfg = tiny ]; then r=$(json --layers 4 --embd 128 --heads 4 --vocab 2048 --prompts 16 --per-prompt 4 --new-tokens 32)
  else r=$(json --layers 12 --embd 768 --heads 12 --vocab 50257 --prompts 4 --per-prompt 4 --new-tokens 32 --batch-prompts 4); fi
  echo "| $cfg | $(field "$r" responses d) | $(field "$r" responses_per_s .1f) | $(field "$r" tokens_per_s .0f) | $(field "$r" bare_tokens_per_s .0f) | $(field "$r" pass_over_bare .2f)× | $(field "$r" peak_rss_mib .0f) MiB |"
done
echo
echo "tiny: 4 layers, 128 wide, vocab 2048, 16 prompts × 4 responses × 32 new tokens, 8 prompts per batch;"
echo "small: GPT-2 small shape (124M), 4 prompts × 4 responses × 32 new tokens in one batch. Random weights rarely emit EOS,"
echo "so every response runs to 32 tokens. A pass includes loading the model folder once."
