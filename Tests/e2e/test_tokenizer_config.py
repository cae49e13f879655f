"""Every model folder Hilo writes carries the tokenizer_config.json transformers reads: the embedded
starter, a model trained from a bare tokenizer (`hilo train pretrain`), a model trained from the starter
(`hilo train sft`, as the loop's versions are) and `hilo model convert` output. `AutoTokenizer` loads
each with the model's special tokens and context as `model_max_length`, and `apply_chat_template`
renders the HH transcript form ("\\n\\nHuman: …\\n\\nAssistant:") exactly as Hilo renders it (`hilo
template`, `hilo generate --chat`), with the same token ids."""
import json
import pathlib
import shutil
import subprocess

import pytest
import transformers

MESSAGES = [
    {"role": "system", "content": "Answer in one line."},
    {"role": "user", "content": "What is 7 + 5?"},
    {"role": "assistant", "content": "7 + 5 = 12."},
    {"role": "user", "content": "And 8 + 1?"},
]
HH = "Answer in one line.\n\nHuman: What is 7 + 5?\n\nAssistant: 7 + 5 = 12.\n\nHuman: And 8 + 1?"


def hilo(hilo_bin, *args):
    p = subprocess.run([hilo_bin, *map(str, args)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return p.stdout


def starter(hilo_bin) -> pathlib.Path:
    """The embedded starter as the binary ships it (the resource bundle beside it)."""
    folder = pathlib.Path(hilo_bin).parent / "Hilo_Hilo.resources" / "Starter" / "policy"
    assert (folder / "config.json").exists(), folder
    return folder


@pytest.fixture(scope="module")
def folders(tmp_path_factory, hilo_bin):
    d = tmp_path_factory.mktemp("folders")
    (d / "corpus.txt").write_text("".join(f"\n\nHuman: what is {a} plus {a}?\n\nAssistant: {2 * a}.\n" for a in range(200)))
    hilo(hilo_bin, "tokenizer", "train", "--corpus", d / "corpus.txt", "--vocab-size", "300", "--out", d / "tok")
    assert not (d / "tok" / "tokenizer_config.json").exists()
    hilo(hilo_bin, "train", "pretrain", "--tokenizer", d / "tok", "--layers", "1", "--embd", "32", "--heads", "2",
         "--positions", "48", "--data", d / "corpus.txt", "--out", d / "pretrained", "--max-steps", "1", "--quiet")
    (d / "sft.jsonl").write_text(json.dumps({"prompt": "\n\nHuman: 2 + 2?\n\nAssistant:", "completion": " 4."}) + "\n")
    hilo(hilo_bin, "train", "sft", "--model", starter(hilo_bin), "--data", d / "sft.jsonl", "--out", d / "sft",
         "--max-steps", "1", "--quiet")
    # A folder with a tokenizer.json alone (as a hand-made or older export has), converted by Hilo.
    bare = d / "bare"
    bare.mkdir()
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        shutil.copy(d / "pretrained" / name, bare / name)
    hilo(hilo_bin, "model", "convert", bare, d / "converted")
    return {"starter": (starter(hilo_bin), 128), "pretrained": (d / "pretrained", 48), "sft": (d / "sft", 128),
            "converted": (d / "converted", 48)}


@pytest.mark.parametrize("name", ["starter", "pretrained", "sft", "converted"])
def test_folder_has_a_tokenizer_config_transformers_loads_with_the_hh_chat_template(hilo_bin, folders, name):
    folder, context = folders[name]
    config = json.loads((folder / "tokenizer_config.json").read_text())
    assert config["tokenizer_class"] == "GPT2Tokenizer" and config["model_max_length"] == context
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    assert tok.eos_token == tok.bos_token == tok.unk_token == "<|endoftext|>" and tok.eos_token_id == 0
    assert tok.model_max_length == context and tok.pad_token is None
    assert json.loads((folder / "config.json").read_text())["eos_token_id"] == tok.eos_token_id

    text = tok.apply_chat_template(MESSAGES, tokenize=False)
    assert text == HH
    prompt = tok.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=True)
    assert prompt == HH + "\n\nAssistant:"
    # Hilo renders the folder's template to the same text and ids.
    msgs = folder.parent / f"{name}-messages.json"
    msgs.write_text(json.dumps(MESSAGES))
    ours = json.loads(hilo(hilo_bin, "template", "--model", folder, "--messages", msgs, "--add-generation-prompt", "--json"))
    assert ours["text"] == prompt
    assert ours["ids"] == tok.apply_chat_template(MESSAGES, tokenize=True, add_generation_prompt=True)["input_ids"]
    assert ours["ids"] == json.loads(hilo(hilo_bin, "tokenize", "--model", folder, "--json", prompt))["ids"]
    # `hilo generate --chat` wraps a prompt in the same form as a one-turn conversation does.
    one = tok.apply_chat_template([{"role": "user", "content": "2 + 2?"}], tokenize=False, add_generation_prompt=True)
    assert one == "\n\nHuman: 2 + 2?\n\nAssistant:"


def test_chat_template_refuses_what_hilo_refuses(folders):
    tok = transformers.AutoTokenizer.from_pretrained(folders["starter"][0])
    with pytest.raises(Exception, match="system message must be the first turn"):
        tok.apply_chat_template([{"role": "user", "content": "a"}, {"role": "system", "content": "b"}], tokenize=False)
    with pytest.raises(Exception, match="unknown role: tool"):
        tok.apply_chat_template([{"role": "tool", "content": "a"}], tokenize=False)


def test_a_tokenizer_config_the_source_has_is_copied_as_it_is(hilo_bin, folders, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(folders["converted"][0], src)
    own = {"tokenizer_class": "GPT2Tokenizer", "eos_token": "<|endoftext|>", "model_max_length": 16, "chat_template": "{{ 'x' }}"}
    (src / "tokenizer_config.json").write_text(json.dumps(own))
    hilo(hilo_bin, "model", "convert", src, tmp_path / "out")
    assert json.loads((tmp_path / "out" / "tokenizer_config.json").read_text()) == own
