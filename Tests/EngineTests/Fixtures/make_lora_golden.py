#!/usr/bin/env python3
"""Writes the LoRA golden files with the real peft: two tiny random base models saved as Hugging
Face folders under lora/<name>/, each with an adapter folder peft saved (lora/<name>_adapter/,
adapter_config.json + adapter_model.safetensors), and lora/<name>.json + .bin holding what peft
computes on one batch: logits, loss, the gradient of every lora_A/lora_B (and none for the frozen
base), three AdamW steps on the adapter alone, and the base weights after merge_and_unload.

Run by `make golden` with the repository's .venv; Tests/EngineTests/LoRAGoldenTests.swift loads each
base and adapter folder with Hilo and compares. The adapters:
  gpt2   GPT2LMHeadModel (Conv1D, fan_in_fan_out), r 4, alpha 8, on c_attn, c_proj (both), c_fc.
  qwen2  Qwen2ForCausalLM (q/k/v biases, grouped-query attention, untied head), all seven
         projections, rsLoRA (alpha/sqrt(r)), rank_pattern {down_proj: 2}, alpha_pattern {o_proj: 6}.
B is initialised non-zero (init_lora_weights=False) so the adapter changes the logits.
Names: ids, mask, targets, logits, loss, grad.<module path>.lora_A.weight (the saved key without
"base_model.model."), train_losses, final.<same>, merged.<Hilo's base tensor name>.
"""
import os

import torch
from golden_file import write_golden
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import GPT2Config, GPT2LMHeadModel, Qwen2Config, Qwen2ForCausalLM

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lora")
SEED = 1919
PREFIX = "base_model.model."
HP = dict(lr=1e-2, beta1=0.9, beta2=0.95, eps=1e-8, weight_decay=0.1, clip=1.0, warmup=0, steps=3, min_lr_ratio=1.0)

MODELS = {
    "gpt2": (GPT2LMHeadModel, GPT2Config(vocab_size=80, n_positions=32, n_embd=32, n_layer=2, n_head=4,
                                          bos_token_id=1, eos_token_id=2, resid_pdrop=0.0, embd_pdrop=0.0,
                                          attn_pdrop=0.0),
             dict(r=4, lora_alpha=8, target_modules=["c_attn", "c_proj", "c_fc"], fan_in_fan_out=True),
             lambda n: n[len("transformer."):] if n.startswith("transformer.") else n),
    "qwen2": (Qwen2ForCausalLM, Qwen2Config(vocab_size=96, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                             num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                                             rms_norm_eps=1e-6, tie_word_embeddings=False, bos_token_id=1,
                                             eos_token_id=2, pad_token_id=0, attention_dropout=0.0,
                                             rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
              dict(r=4, lora_alpha=8, use_rslora=True, rank_pattern={"down_proj": 2}, alpha_pattern={"o_proj": 6},
                   target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
              lambda n: n),
}


def batch(vocab):
    """Three rows of 12; the last is right-padded from position 7 (masked)."""
    B, T = 3, 12
    ids = torch.randint(3, vocab, (B, T))
    mask = torch.ones(B, T, dtype=torch.long)
    mask[2, 7:] = 0
    ids[2, 7:] = 0
    labels = ids.clone()
    labels[mask == 0] = -100
    targets = torch.full((B, T), -1, dtype=torch.long)
    targets[:, :-1] = labels[:, 1:]
    targets[targets == -100] = -1
    return ids, mask, labels, targets


def lora_params(model):
    """The adapter's parameters under their saved names (without the prefix and the adapter name)."""
    return {n[len(PREFIX):].replace(".default", ""): p for n, p in model.named_parameters() if "lora_" in n}


os.makedirs(HERE, exist_ok=True)
torch.manual_seed(SEED)
torch.use_deterministic_algorithms(True)
for name, (cls, cfg, lora, hilo_name) in MODELS.items():
    cfg._attn_implementation = "eager"
    base = cls(cfg).eval()
    with torch.no_grad():
        for pname, p in base.named_parameters():
            if pname.endswith(".bias"):
                p.copy_(torch.randn_like(p) * 0.1)
    base_folder = os.path.join(HERE, name)
    base.save_pretrained(base_folder)
    state = {k: v.clone() for k, v in base.state_dict().items()}

    model = get_peft_model(base, LoraConfig(lora_dropout=0.0, bias="none", init_lora_weights=False, **lora))
    with torch.no_grad():   # larger B so the adapter's share of the logits is well above float noise
        for n, p in lora_params(model).items():
            p.mul_(3.0)
    adapter_folder = os.path.join(HERE, name + "_adapter")
    model.save_pretrained(adapter_folder)
    os.remove(os.path.join(adapter_folder, "README.md"))

    ids, mask, labels, targets = batch(cfg.vocab_size)
    out = model(input_ids=ids, attention_mask=mask, labels=labels)
    out.loss.backward()
    assert all(p.grad is None for n, p in model.named_parameters() if "lora_" not in n), "a base weight got a gradient"
    arrays = {"ids": ids.to(torch.int32), "mask": mask.to(torch.int32), "targets": targets.to(torch.int32),
              "logits": out.logits.detach(), "loss": out.loss.detach().reshape(1)}
    params = lora_params(model)
    for n, p in params.items():
        arrays["grad." + n] = p.grad.detach().clone()

    # Three AdamW steps on the adapter alone (weight decay on A and B, clipping).
    opt = torch.optim.AdamW(list(params.values()), lr=HP["lr"], betas=(HP["beta1"], HP["beta2"]), eps=HP["eps"],
                            weight_decay=HP["weight_decay"], foreach=False)
    losses = []
    for _ in range(HP["steps"]):
        opt.zero_grad()
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), HP["clip"])
        losses.append(loss.item())
        opt.step()
    arrays["train_losses"] = torch.tensor(losses)
    for n, p in params.items():
        arrays["final." + n] = p.detach().clone()

    # merge_and_unload of the saved adapter on a fresh copy of the base.
    fresh = cls(cfg)
    fresh.load_state_dict(state)
    merged = PeftModel.from_pretrained(fresh, adapter_folder).merge_and_unload()
    for n, p in merged.state_dict().items():
        if n.endswith(".weight") and any(m in n for m in ("c_attn", "c_proj", "c_fc", "_proj")):
            arrays["merged." + hilo_name(n)] = p.detach().clone()

    # The adapter folder as written must give peft the same logits.
    fresh = cls(cfg)
    fresh.load_state_dict(state)
    again = PeftModel.from_pretrained(fresh, adapter_folder).eval()
    with torch.no_grad():
        diff = (again(input_ids=ids, attention_mask=mask).logits - out.logits).abs().max().item()
    assert diff == 0, f"{name}: reloaded adapter gives other logits ({diff})"
    size = write_golden(HERE, name, arrays, seed=SEED, batch=[3, 12], hyper=HP)
    print(f"wrote lora/{name}, lora/{name}_adapter and lora/{name}.json/.bin ({size} bytes), loss {out.loss.item():.6f}, "
          f"AdamW losses {losses[0]:.4f} -> {losses[-1]:.4f}")
