"""Hugging Face interop: folders transformers writes go through `hilo model convert`, and
transformers loads what Hilo wrote with identical tensors, logits and reward scores."""
import json
import subprocess

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import (AutoModelForCausalLM, AutoModelForSequenceClassification, GPT2Config,
                          GPT2ForSequenceClassification, GPT2LMHeadModel, GenerationConfig)

TINY = dict(vocab_size=50, n_positions=24, n_embd=32, n_layer=3, n_head=4, bos_token_id=49, eos_token_id=49)


def randomized(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)
    return model.eval()


def hilo(hilo_bin, *args, ok=True):
    result = subprocess.run([hilo_bin, *args], capture_output=True, text=True, timeout=120)
    if ok:
        assert result.returncode == 0, result.stderr
    return result


def convert(hilo_bin, src, out):
    report = json.loads(hilo(hilo_bin, "model", "convert", "--json", str(src), str(out)).stdout)
    assert report["dtype"] == "F32"
    return report


def assert_same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert sa[k].dtype == sb[k].dtype, k
        assert torch.equal(sa[k], sb[k]), f"{k}: max difference {(sa[k].float() - sb[k].float()).abs().max()}"


def test_language_model_round_trips_with_identical_state_and_logits(hilo_bin, tmp_path):
    original = randomized(GPT2LMHeadModel(GPT2Config(**TINY)), seed=3)
    original.generation_config = GenerationConfig(bos_token_id=49, eos_token_id=49, max_new_tokens=12,
                                                  temperature=0.8, top_k=7, top_p=0.95, do_sample=True)
    original.save_pretrained(tmp_path / "src")
    report = convert(hilo_bin, tmp_path / "src", tmp_path / "out")
    assert report["kind"] == "lm" and report["architecture"] == "GPT2LMHeadModel"
    assert report["parameters"] == sum(p.numel() for p in original.parameters())

    loaded, info = AutoModelForCausalLM.from_pretrained(tmp_path / "out", output_loading_info=True)
    assert type(loaded) is GPT2LMHeadModel
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    assert_same_state(original, loaded.eval())
    ids = torch.tensor([[1, 5, 9, 49, 2, 7, 3, 0], [8, 8, 8, 1, 2, 3, 4, 5]])
    with torch.no_grad():
        assert torch.equal(original(ids).logits, loaded(ids).logits)
    g = loaded.generation_config
    assert (g.eos_token_id, g.max_new_tokens, g.temperature, g.top_k, g.top_p, g.do_sample) == (49, 12, 0.8, 7, 0.95, True)

    with safe_open(str(tmp_path / "out" / "model.safetensors"), "pt") as f:
        assert f.metadata() == {"format": "pt"}
        assert all(k.startswith("transformer.") for k in f.keys())
        assert "lm_head.weight" not in f.keys()


def test_reward_model_round_trips_with_identical_scores(hilo_bin, tmp_path):
    original = randomized(GPT2ForSequenceClassification(GPT2Config(**TINY, num_labels=1, pad_token_id=0)), seed=4)
    original.save_pretrained(tmp_path / "src")
    report = convert(hilo_bin, tmp_path / "src", tmp_path / "out")
    assert report["kind"] == "reward" and report["num_labels"] == 1 and report["pad_token_id"] == 0
    assert report["parameters"] == sum(p.numel() for p in original.parameters())

    loaded, info = AutoModelForSequenceClassification.from_pretrained(tmp_path / "out", output_loading_info=True)
    assert type(loaded) is GPT2ForSequenceClassification
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    assert loaded.config.num_labels == 1 and loaded.config.pad_token_id == 0
    assert_same_state(original, loaded.eval())
    # A padded batch: transformers scores the last non-pad token of each row.
    ids = torch.tensor([[4, 9, 12, 3, 0, 0], [7, 1, 2, 3, 4, 5]])
    mask = (ids != 0).long()
    with torch.no_grad():
        a, b = original(ids, attention_mask=mask).logits, loaded(ids, attention_mask=mask).logits
    assert a.shape == (2, 1) and torch.equal(a, b)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_inputs_convert_to_torch_float_values(hilo_bin, tmp_path, dtype):
    original = randomized(GPT2LMHeadModel(GPT2Config(**TINY)), seed=5)
    # Edge values in the embedding: subnormal, overflow to inf in F16, values that round.
    with torch.no_grad():
        original.transformer.wte.weight[0, :5] = torch.tensor([1e-6, -3e-7, 7e4, 1 / 3, -0.0])
    low = original.to(dtype)
    low.save_pretrained(tmp_path / "src")
    report = convert(hilo_bin, tmp_path / "src", tmp_path / "out")
    assert report["source_dtype"] == {torch.float16: "F16", torch.bfloat16: "BF16"}[dtype]

    with safe_open(str(tmp_path / "out" / "model.safetensors"), "pt") as f:
        converted = {k: f.get_tensor(k) for k in f.keys()}
    expected = {k: v.float() for k, v in low.state_dict().items() if k != "lm_head.weight"}
    assert converted.keys() == expected.keys()
    for k, v in expected.items():
        assert converted[k].dtype == torch.float32
        assert torch.equal(converted[k], v), k
    loaded = GPT2LMHeadModel.from_pretrained(tmp_path / "out")
    assert loaded.transformer.wte.weight.dtype == torch.float32


def test_unprefixed_names_tied_head_and_mask_buffers_are_normalised(hilo_bin, tmp_path):
    original = randomized(GPT2LMHeadModel(GPT2Config(**TINY)), seed=6)
    state = {k[len("transformer."):]: v.clone() for k, v in original.state_dict().items() if k.startswith("transformer.")}
    state["lm_head.weight"] = original.lm_head.weight.detach().clone()
    n = TINY["n_positions"]
    for layer in range(TINY["n_layer"]):
        state[f"h.{layer}.attn.bias"] = torch.tril(torch.ones(n, n)).view(1, 1, n, n)
        state[f"h.{layer}.attn.masked_bias"] = torch.tensor(-1e4)
    (tmp_path / "src").mkdir()
    save_file(state, str(tmp_path / "src" / "model.safetensors"), metadata={"format": "pt"})
    original.config.to_json_file(tmp_path / "src" / "config.json")
    (tmp_path / "src" / "tokenizer.json").write_text('{"version": "1.0"}')

    report = convert(hilo_bin, tmp_path / "src", tmp_path / "out")
    assert len(report["dropped_tensors"]) == 1 + 2 * TINY["n_layer"]
    assert (tmp_path / "out" / "tokenizer.json").read_text() == '{"version": "1.0"}'
    loaded = GPT2LMHeadModel.from_pretrained(tmp_path / "out").eval()
    assert_same_state(original, loaded)


def test_model_info_reports_the_folder(hilo_bin, tmp_path):
    randomized(GPT2ForSequenceClassification(GPT2Config(**TINY, num_labels=1, pad_token_id=49)), seed=7).to(torch.float16).save_pretrained(tmp_path / "rm")
    info = json.loads(hilo(hilo_bin, "model", "info", "--json", str(tmp_path / "rm")).stdout)
    assert info["architecture"] == "GPT2ForSequenceClassification" and info["kind"] == "reward"
    assert info["dtype"] == "F16" and info["vocab_size"] == 50 and info["n_layer"] == 3
    text = hilo(hilo_bin, "model", "info", str(tmp_path / "rm")).stdout
    assert "GPT2ForSequenceClassification" in text and "F16" in text


def test_bad_folders_are_clear_errors_not_crashes(hilo_bin, tmp_path):
    from transformers import LlamaConfig, MixtralConfig
    MixtralConfig(vocab_size=50, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                  architectures=["MixtralForCausalLM"]).save_pretrained(tmp_path / "mixtral")
    r = hilo(hilo_bin, "model", "convert", str(tmp_path / "mixtral"), str(tmp_path / "out"), ok=False)
    assert r.returncode == 1
    assert "unsupported architecture 'MixtralForCausalLM'" in r.stderr
    assert str(tmp_path / "mixtral" / "config.json") in r.stderr
    # A Llama config is read (Llama folders convert: test_llama_interop.py); without weights it names the file.
    LlamaConfig(vocab_size=50, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                architectures=["LlamaForCausalLM"]).save_pretrained(tmp_path / "llama")
    r = hilo(hilo_bin, "model", "convert", str(tmp_path / "llama"), str(tmp_path / "out"), ok=False)
    assert r.returncode == 1 and str(tmp_path / "llama" / "model.safetensors") in r.stderr and "no such file" in r.stderr

    randomized(GPT2LMHeadModel(GPT2Config(**TINY)), seed=8).save_pretrained(tmp_path / "lm")
    weights = tmp_path / "lm" / "model.safetensors"
    data = weights.read_bytes()
    for cut in [0, 5, 8, 100, len(data) // 2, len(data) - 1]:
        weights.write_bytes(data[:cut])
        r = hilo(hilo_bin, "model", "convert", str(tmp_path / "lm"), str(tmp_path / "out"), ok=False)
        assert r.returncode == 1, (cut, r.returncode, r.stderr)
        assert str(weights) in r.stderr
    assert not (tmp_path / "out").exists(), "nothing half-written"
