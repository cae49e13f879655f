#!/usr/bin/env bash
# Checkpoint conversion at GPT-2 small size (124M parameters): `hilo model convert` against
# transformers' from_pretrained + save_pretrained on the same folders, wall time and peak memory.
set -euo pipefail
HILO_BIN=${HILO_BIN:-.build/release/hilo}
PY=${PY:-.venv/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$PY" - "$work" <<'PYEOF' >/dev/null 2>&1
import sys, torch
from transformers import GPT2Config, GPT2LMHeadModel
torch.manual_seed(0)
m = GPT2LMHeadModel(GPT2Config()).eval()
m.save_pretrained(f"{sys.argv[1]}/f32")
m.half().save_pretrained(f"{sys.argv[1]}/f16")
PYEOF

measure() {  # prints "seconds|peak MiB" for a command
  /usr/bin/time -o "$work/time" -f "%e %M" "$@" >/dev/null 2>&1
  awk '{ printf "%.2f s|%.0f MiB", $1, $2 / 1024 }' "$work/time"
}

echo "## Checkpoints: GPT-2 small (124M) folder conversion"
echo
echo "Each row reads a folder written by transformers and writes an F32 folder; Hilo also fsyncs it. Peak is the process's maximum resident memory (the F32 model alone is 475 MiB)."
echo
echo "| input | hilo model convert | transformers load + save |"
echo "| --- | --- | --- |"
for src in f32 f16; do
  rm -rf "$work/out"
  h=$(measure "$HILO_BIN" model convert "$work/$src" "$work/out")
  rm -rf "$work/out"
  p=$(measure "$PY" -c "import sys, torch; from transformers import GPT2LMHeadModel; GPT2LMHeadModel.from_pretrained(sys.argv[1], dtype=torch.float32).save_pretrained(sys.argv[2])" "$work/$src" "$work/out")
  echo "| ${src^^} | ${h/|/, peak } | ${p/|/, peak } |"
done
