#!/usr/bin/env bash
# The Llama family in the engine against PyTorch CPU, side by side in one run: training steps
# (forward + backward + AdamW) and KV-cache generation in tokens/s on a small but not trivial
# Llama-family shape (4 layers, 256 wide, 4 query / 2 key-value heads of 64, SwiGLU 688, vocab
# 8192, tied head), as LlamaForCausalLM and as Qwen2ForCausalLM (q/k/v biases). PyTorch runs with 2
# threads (transformers' default sdpa attention), plain and with MKL forced onto its AVX-512 path
# (30-engine.sh says how). LLAMA_BENCH_FULL=1 adds SmolLM2-135M's shape (30 layers, 576 wide, 9/3
# heads, MLP 1536, vocab 49152, T=256, B=4), minutes per row on 2 cores. Each side reports its best
# timed step or run after warm-up. Needs HILO_BIN and PY (make bench sets both). Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/../../.."
HILO=${HILO_BIN:-.build/release/hilo}
PY=${PY:-.venv/bin/python}
TORCH="$PY Tests/Benchmarks/bench_engine_torch.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo 'int mkl_serv_intel_cpu_true(void) { return 1; }' > "$tmp/shim.c"
cc -shared -fPIC -O2 -o "$tmp/libmklintel.so" "$tmp/shim.c"

run() { local key=$1; shift; echo "bench llama: $key" >&2; echo "$key $("$@" 2>/dev/null | tail -1)" >> "$tmp/results"; }

SHAPE="--layers 4 --embd 256 --heads 4 --kv-heads 2 --intermediate 688 --vocab 8192"
CONFIGS="llama qwen2"
if [ "${LLAMA_BENCH_FULL:-0}" = 1 ]; then CONFIGS="$CONFIGS smollm2"; fi
shape_of() { case $1 in smollm2) echo "--arch llama --layers 30 --embd 576 --heads 9 --kv-heads 3 --intermediate 1536 --vocab 49152";;
                        *) echo "--arch $1 $SHAPE";; esac; }
train_of() { case $1 in smollm2) echo "--seq 256 --batch 4 --steps 2";; *) echo "--seq 128 --batch 8 --steps 5";; esac; }
load_start=$(cut -d' ' -f1 /proc/loadavg)
for cfg in $CONFIGS; do
  s=$(shape_of $cfg)
  run train.$cfg.hilo      "$HILO" bench train $s $(train_of $cfg) --json
  run train.$cfg.torch     $TORCH train $s $(train_of $cfg)
  run train.$cfg.torch.mkl env LD_PRELOAD="$tmp/libmklintel.so" $TORCH train $s $(train_of $cfg)
  for b in 1 8; do
    g="$s --prompt 32 --new-tokens 64 --batch $b --runs 3"
    run gen.$cfg.b$b.hilo      "$HILO" bench generate $g --json
    run gen.$cfg.b$b.torch     $TORCH generate $g
    run gen.$cfg.b$b.torch.mkl env LD_PRELOAD="$tmp/libmklintel.so" $TORCH generate $g
  done
done
load_end=$(cut -d' ' -f1 /proc/loadavg)

LOAD="$load_start $load_end" CONFIGS="$CONFIGS" "$PY" - "$tmp/results" <<'PYEOF'
import json, os, sys
r = {}
for line in open(sys.argv[1]):
    key, _, js = line.partition(" ")
    try:
        r[key] = json.loads(js)
    except ValueError:
        r[key] = None
def tps(key):
    d = r.get(key) or {}
    return d.get("best_tokens_per_s") or d.get("tokens_per_s")
names = {"llama": "LlamaForCausalLM 4×256, 4/2 heads, MLP 688, vocab 8192",
         "qwen2": "Qwen2ForCausalLM 4×256, 4/2 heads, MLP 688, vocab 8192",
         "smollm2": "SmolLM2-135M shape (30×576, 9/3 heads, MLP 1536, vocab 49152)"}
ls, le = os.environ["LOAD"].split()
print("## The Llama family vs PyTorch\n")
print(f"Load average {ls} at the start and {le} at the end of this part (2 cores). Hilo with the environment's "
      f"OpenBLAS core ({(r.get('train.llama.hilo') or {}).get('openblas_core')}); PyTorch 2 threads, sdpa attention. "
      "Best timed step or run after warm-up; × is Hilo over the better PyTorch run.\n")
print("| configuration | measurement | Hilo tokens/s | PyTorch | PyTorch MKL AVX-512 | × best PyTorch | Hilo peak RSS | PyTorch peak RSS |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for c in os.environ["CONFIGS"].split():
    rows = [("train", "training step (T=128, B=8)" if c != "smollm2" else "training step (T=256, B=4)")]
    rows += [(f"gen.{c}.b{b}".split(".", 1)[0] + f".b{b}", f"greedy generation, batch {b}") for b in (1, 8)]
    for key, label in rows:
        base = f"train.{c}" if key == "train" else f"gen.{c}.{key.split('.')[1]}"
        h, t, m = tps(base + ".hilo"), tps(base + ".torch"), tps(base + ".torch.mkl")
        best = max(t or 0, m or 0)
        ratio = f"{h / best:.2f}" if h and best else "–"
        rss = lambda k: f"{(r.get(k) or {}).get('peak_rss_mib', 0) / 1024:.2f} GiB" if (r.get(k) or {}).get("peak_rss_mib") else "–"
        fmt = lambda v: f"{v:,.1f}" if v else "failed"
        print(f"| {names[c]} | {label} | {fmt(h)} | {fmt(t)} | {fmt(m)} | {ratio} | {rss(base + '.hilo')} | {rss(base + '.torch')} |")
PYEOF
