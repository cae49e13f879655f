#!/usr/bin/env bash
# The alignment trainers on random-weight GPT-2s: the tiny config (4 layers, 256 wide, vocab 8192) and
# GPT-2 small (124M). DPO pairs/s with precomputed reference log-probs and with a live reference, side by
# side with an SFT step on the same tokens (goal: DPO ≤ 1.1× SFT); PPO seconds per rollout and per update
# minibatch, and the share of a PPO step spent generating, with a separate value model and with the value
# head on the policy's backbone. Needs HILO_BIN (make bench sets it). Markdown.
set -euo pipefail
cd "$(dirname "$0")/../../.."
HILO=${HILO_BIN:-.build/release/hilo}
A="--layers 4 --embd 256 --heads 4 --vocab 8192"
S="--layers 12 --embd 768 --heads 12 --vocab 50257"
json() { echo "bench train: $*" >&2; "$HILO" bench "$@" --json 2>/dev/null | tail -1; }
field() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(format(d[sys.argv[2]], sys.argv[3]))" "$1" "$2" "$3"; }

echo "## Alignment training (hilo bench dpo|ppo)"
echo
echo "| model | DPO pairs/s (precomputed ref) | live reference | DPO step | SFT step, same tokens | DPO / SFT |"
echo "|---|---|---|---|---|---|"
for cfg in tiny small; do
  if [ $cfg = tiny ]; then r=$(json dpo $A --seq 128 --batch 8 --steps 3); else r=$(json dpo $S --seq 256 --batch 2 --steps 2); fi
  echo "| $cfg | $(field "$r" pairs_per_s .2f) | $(field "$r" pairs_per_s_live_reference .2f) | $(field "$r" dpo_step_s .3f) s | $(field "$r" sft_step_s .3f) s | $(field "$r" dpo_over_sft .2f)× |"
done
echo
echo "| model | PPO step | rollout | generation | scoring forwards | update | per update minibatch | generation share |"
echo "|---|---|---|---|---|---|---|---|"
for run in "tiny" "small" "tiny --share-value-backbone" "small --share-value-backbone"; do
  set -- $run; cfg=$1; shift; label=$cfg; [ $# -gt 0 ] && label="$cfg, shared value head"
  if [ $cfg = tiny ]; then r=$(json ppo $A --prompt 32 --new-tokens 32 --batch 8 --minibatch 4 --ppo-epochs 2 --steps 2 "$@")
  else r=$(json ppo $S --prompt 32 --new-tokens 32 --batch 4 --minibatch 2 --ppo-epochs 1 --steps 1 "$@"); fi
  echo "| $label | $(field "$r" step_s .2f) s | $(field "$r" rollout_s .2f) s | $(field "$r" generation_s .2f) s | $(field "$r" scoring_s .2f) s | $(field "$r" update_s .2f) s | $(field "$r" update_batch_s .2f) s | $(field "$r" generation_share .0%) |"
done
echo
echo "DPO rows are T tokens (prompt T/2, completions T/2 incl. EOS); PPO: 32 prompt + 32 sampled tokens per row;"
echo "tiny: 8 prompts, minibatches of 4, 2 PPO epochs; small: 4 prompts, minibatches of 2, 1 epoch; a separate value model"
echo "(a copy of the reward model, TRL's default) unless the row says shared value head (one backbone, one forward less)."
echo "The anchor: OpenRLHF reports about 80% of PPO time in generation; the generation share column is Hilo's."
