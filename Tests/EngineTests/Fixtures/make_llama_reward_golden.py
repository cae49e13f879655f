#!/usr/bin/env python3
"""Writes the Llama-family reward-model goldens: tiny random …ForSequenceClassification models (one
label, the `score` head read at the last non-pad token), saved under llama/<name>/, and
llama/<name>.json + .bin with their scores on a right-padded batch and the gradient of every
parameter of loss = Σ_b w[b] · score[b] (w = 1, −2, 0.5), as transformers computes them (eager, float32).
  llama3_reward  LlamaForSequenceClassification: GQA, llama3 RoPE scaling, tied embeddings.
  qwen2_reward   Qwen2ForSequenceClassification: q/k/v biases; untied in the config (no lm_head anyway).
Format "hilo-golden-1" (make_golden.py's). Names: ids, positions (last non-pad index), weights,
scores, grad.<transformers parameter name>.
"""
import os

import torch
from golden_file import write_golden
from transformers import LlamaConfig, LlamaForSequenceClassification, Qwen2Config, Qwen2ForSequenceClassification

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "llama")
SEED = 2468
COMMON = dict(vocab_size=96, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=256, initializer_range=0.1, bos_token_id=1,
              eos_token_id=2, pad_token_id=0, attention_dropout=0.0, num_labels=1)
MODELS = {
    "llama3_reward": (LlamaForSequenceClassification, LlamaConfig(**COMMON, rms_norm_eps=1e-5, tie_word_embeddings=True,
                      rope_parameters={"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
                                       "high_freq_factor": 4.0, "original_max_position_embeddings": 64})),
    "qwen2_reward": (Qwen2ForSequenceClassification, Qwen2Config(**COMMON, rms_norm_eps=1e-6, tie_word_embeddings=False,
                     rope_parameters={"rope_type": "default", "rope_theta": 10000.0})),
}



torch.manual_seed(SEED)
for name, (cls, cfg) in MODELS.items():
    cfg._attn_implementation = "eager"
    model = cls(cfg).eval()
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if pname.endswith(".bias"):
                p.copy_(torch.randn_like(p) * 0.1)
            elif "norm" in pname:
                p.copy_(1 + torch.randn_like(p) * 0.1)
            elif pname == "score.weight":
                p.copy_(torch.randn_like(p) * 0.5)
    ids = torch.randint(3, cfg.vocab_size, (3, 10))
    ids[2, 6:] = 0   # right padding: the score is read at position 5
    positions = torch.tensor([9, 9, 5])
    weights = torch.tensor([1.0, -2.0, 0.5])
    scores = model(input_ids=ids).logits[:, 0]
    (scores * weights).sum().backward()
    arrays = {"ids": ids.to(torch.int32), "positions": positions.to(torch.int32), "weights": weights,
              "scores": scores.detach()}
    for pname, p in model.named_parameters():
        arrays["grad." + pname] = p.grad.detach().clone()
    folder = os.path.join(HERE, name)
    model.save_pretrained(folder)
    again = cls.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
    with torch.no_grad():
        assert torch.equal(again(input_ids=ids).logits[:, 0], scores.detach())
    write_golden(HERE, name, arrays, seed=SEED, batch=[3, 10])
    print(f"wrote llama/{name} and llama/{name}.json/.bin: scores {scores.tolist()}")
