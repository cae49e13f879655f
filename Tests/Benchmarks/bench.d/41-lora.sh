#!/usr/bin/env bash
# LoRA against full fine-tuning on random-weight GPT-2s (the tiny config and GPT-2 small): tokens/s of a
# causal-LM step, peak RSS, and the parameters the optimizer holds (AdamW keeps weights, gradients and two
# moments of each trained parameter; with LoRA the frozen base has weights only). LoRA r 16, alpha 32, on
# every linear projection. Needs HILO_BIN (make bench sets it). Markdown.
set -euo pipefail
cd "$(dirname "$0")/../../.."
HILO=${HILO_BIN:-.build/release/hilo}
A="--layers 4 --embd 256 --heads 4 --vocab 8192 --seq 128 --batch 8 --steps 3"
S="--layers 12 --embd 768 --heads 12 --vocab 50257 --seq 128 --batch 4 --steps 2"
json() { echo "bench train: $*" >&2; "$HILO" bench train "$@" --json 2>/dev/null | tail -1; }
field() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(format(d[sys.argv[2]], sys.argv[3]))" "$1" "$2" "$3"; }
state() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); p,t=d['parameters'],d['trained_parameters']; print(format((p+3*t)*4/2**20, '.1f'))" "$1"; }

echo "## LoRA vs full fine-tuning (hilo bench train --lora-r)"
echo
echo "| model | training | trained parameters | weights + gradients + AdamW | peak RSS | tokens/s |"
echo "|---|---|---|---|---|---|"
for cfg in tiny small; do
  if [ $cfg = tiny ]; then shape=$A; else shape=$S; fi
  for mode in full lora; do
    if [ $mode = full ]; then r=$(json $shape); label=full; else r=$(json $shape --lora-r 16); label="LoRA r 16"; fi
    echo "| $cfg | $label | $(field "$r" trained_parameters ,) | $(state "$r") MiB | $(field "$r" peak_rss_mib .0f) MiB | $(field "$r" tokens_per_s .0f) |"
  done
done
echo
echo "| model | LoRA DPO step, reference precomputed | live reference (adapter off, same weights) | LoRA SFT step, same tokens | live DPO / SFT |"
echo "|---|---|---|---|---|"
for cfg in tiny small; do
  if [ $cfg = tiny ]; then r=$("$HILO" bench dpo --layers 4 --embd 256 --heads 4 --vocab 8192 --seq 128 --batch 8 --steps 3 --lora-r 16 --json 2>/dev/null | tail -1)
  else r=$("$HILO" bench dpo --layers 12 --embd 768 --heads 12 --vocab 50257 --seq 128 --batch 2 --steps 2 --lora-r 16 --json 2>/dev/null | tail -1); fi
  echo "| $cfg | $(field "$r" dpo_step_s .3f) s | $(field "$r" dpo_live_step_s .3f) s | $(field "$r" sft_step_s .3f) s | $(field "$r" dpo_live_over_sft .2f)× |"
done
echo
echo "bench train: tiny T 128, B 8; small T 128, B 4. bench dpo: pairs of T 128 tokens, tiny 8, small 2 per step."
echo "The frozen base's gradient buffer is mapped but never touched, so it costs no memory; peak RSS also holds the activation workspace, the same in both modes."
