#!/usr/bin/env python3
"""PyTorch reference for Tests/Benchmarks/bench.d/30-engine.sh and 32-llama.sh: the same GPT-2 or Llama-family
shape (--arch llama|qwen2 with --kv-heads and --intermediate), batch and 2 threads as `hilo bench train|generate`,
printing one JSON object (tokens_per_s, peak_rss_mib, ...).

    bench_engine_torch.py train --layers 4 --embd 256 --heads 4 --vocab 8192 --seq 128 --batch 8 --steps 5
    bench_engine_torch.py generate --layers 4 ... --prompt 32 --new-tokens 64 --batch 1 --runs 3 [--top-p 0.9]

PyTorch gets its best run: --warmup untimed steps or runs first (its allocator caches, oneDNN
primitives and OpenMP pool settle over the first few), then both the mean and the best timed step or
run are printed; `--compile` wraps the training forward and
loss in torch.compile (inductor, which fuses the elementwise work; it needs a C++ compiler), and for
generate gives transformers a static KV cache and lets it compile the decoding forward (which it does
by itself only on GPUs).
"""
import argparse
import json
import resource
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

p = argparse.ArgumentParser()
p.add_argument("mode", choices=["train", "generate"])
for name, default in [("layers", 4), ("embd", 256), ("heads", 4), ("vocab", 8192), ("seq", 128), ("batch", 8),
                      ("steps", 5), ("prompt", 32), ("new-tokens", 64), ("runs", 3), ("threads", 2), ("warmup", 3)]:
    p.add_argument("--" + name, type=int, default=default)
p.add_argument("--arch", default="gpt2", choices=["gpt2", "llama", "qwen2"])
p.add_argument("--kv-heads", type=int, default=None)
p.add_argument("--intermediate", type=int, default=None)
p.add_argument("--top-p", type=float, default=None, help="sample at temperature 1 from this nucleus (no top-k)")
p.add_argument("--compile", action="store_true", help="train: torch.compile the forward and loss; generate: static cache and compiled forward")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)
positions = a.seq if a.mode == "train" else a.prompt + a.new_tokens
if a.arch == "gpt2":
    cfg = GPT2Config(vocab_size=a.vocab, n_positions=positions, n_embd=a.embd, n_layer=a.layers, n_head=a.heads,
                     resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=None, eos_token_id=None)
    model = GPT2LMHeadModel(cfg)
else:
    # Hilo's `bench --arch llama|qwen2`: tied head, the given key/value heads and MLP width, sdpa attention.
    config_class, model_class = (LlamaConfig, LlamaForCausalLM) if a.arch == "llama" else (Qwen2Config, Qwen2ForCausalLM)
    cfg = config_class(vocab_size=a.vocab, hidden_size=a.embd, intermediate_size=a.intermediate or 4 * a.embd,
                       num_hidden_layers=a.layers, num_attention_heads=a.heads, num_key_value_heads=a.kv_heads or a.heads,
                       max_position_embeddings=positions, tie_word_embeddings=True, bos_token_id=None, eos_token_id=None)
    model = model_class(cfg)
out = {"torch": torch.__version__, "threads": torch.get_num_threads(),
       "mkl_avx512_forced": bool(__import__("os").environ.get("LD_PRELOAD")), "compiled": a.compile,
       "warmup": a.warmup}

if a.mode == "train":
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.1)
    ids = torch.randint(0, a.vocab, (a.batch, a.seq + 1))
    x, y = ids[:, :-1], ids[:, 1:]

    def forward():
        logits = model(input_ids=x).logits
        return torch.nn.functional.cross_entropy(logits.reshape(-1, a.vocab), y.reshape(-1))
    loss_of = torch.compile(forward) if a.compile else forward

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_of()
        loss.backward()
        opt.step()
        return float(loss.detach())

    for _ in range(max(1, a.warmup)):
        step()
    t = []
    for _ in range(a.steps):
        t0 = time.perf_counter(); step(); t.append(time.perf_counter() - t0)
    out["tokens_per_s"] = a.batch * a.seq * len(t) / sum(t)
    out["best_tokens_per_s"] = a.batch * a.seq / min(t)
else:
    model.eval()
    prompt = torch.randint(0, a.vocab, (a.batch, a.prompt))
    sampling = dict(do_sample=True, top_p=a.top_p, top_k=0, temperature=1.0) if a.top_p else dict(do_sample=False)
    kw = dict(**sampling, max_new_tokens=a.new_tokens, min_new_tokens=a.new_tokens, use_cache=True,
              pad_token_id=0, eos_token_id=None, attention_mask=torch.ones_like(prompt))
    if a.compile:
        from transformers import CompileConfig
        compile_config = CompileConfig(mode="default")
        compile_config._compile_all_devices = True   # generate's auto-compile is otherwise GPU-only
        kw.update(cache_implementation="static", compile_config=compile_config)
    with torch.no_grad():
        for _ in range(max(1, a.warmup)):
            model.generate(prompt, **kw)
        t = []
        for _ in range(a.runs):
            t0 = time.perf_counter(); model.generate(prompt, **kw); t.append(time.perf_counter() - t0)
        out["tokens_per_s"] = a.batch * a.new_tokens * len(t) / sum(t)
        out["best_tokens_per_s"] = a.batch * a.new_tokens / min(t)
out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
