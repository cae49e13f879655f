#!/usr/bin/env python3
"""Writes the Llama-family generation goldens: for each tiny model make_llama_golden.py saved under
llama/<name>/ (Llama 3.2 with GQA and a tied head, SmolLM3 with a NoPE layer, Qwen2 with biases and
an untied head, Qwen3 with q/k norms and head_dim != hidden/heads), transformers' greedy `generate`
with its KV cache on three prompts of different lengths, one prompt at a time (no padding), with
the logits of every step. Hilo generates the three as one right-padded batch and must choose the
same tokens with the same logits.

Format "hilo-golden-1" (make_golden.py's): llama/<name>_generate.json + .bin with, for prompt i,
prompt.i (ids), tokens.i (the new ids) and logits.i [steps, V]. No EOS stops a generation (the
models are random): every prompt gets NEW tokens.
"""
import os

import torch
from golden_file import write_golden
from transformers import AutoModelForCausalLM, GenerationConfig

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "llama")
SEED = 977
NEW = 12
LENGTHS = [5, 9, 3]



torch.manual_seed(SEED)
for name in ["llama3", "smollm3", "qwen2", "qwen3"]:
    model = AutoModelForCausalLM.from_pretrained(os.path.join(HERE, name), dtype=torch.float32,
                                                 attn_implementation="eager").eval()
    V = model.config.vocab_size
    gen = GenerationConfig(do_sample=False, max_new_tokens=NEW, min_new_tokens=0, eos_token_id=None, pad_token_id=0,
                           bos_token_id=None)
    arrays = {}
    for i, n in enumerate(LENGTHS):
        prompt = torch.randint(3, V, (1, n))
        with torch.no_grad():
            out = model.generate(prompt, attention_mask=torch.ones_like(prompt), generation_config=gen,
                                 output_logits=True, return_dict_in_generate=True, use_cache=True)
        tokens = out.sequences[0, n:]
        assert len(tokens) == NEW, f"{name}: generation stopped early"
        arrays[f"prompt.{i}"] = prompt[0].to(torch.int32)
        arrays[f"tokens.{i}"] = tokens.to(torch.int32)
        arrays[f"logits.{i}"] = torch.cat(out.logits, 0)
    write_golden(HERE, name + "_generate", arrays, seed=SEED, batch=[len(LENGTHS), NEW])
    print(f"wrote llama/{name}_generate.json/.bin: {[arrays[f'tokens.{i}'].tolist()[:4] for i in range(len(LENGTHS))]} …")
