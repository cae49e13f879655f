"""Chat-template interop: `hilo template --model` renders a model folder's chat template and encodes
it exactly as transformers' `apply_chat_template` does (text and token ids), for a template given in
tokenizer_config.json and one in chat_template.jinja; `hilo template --template --context` renders
any template with exactly the context's variables; a template error names its line."""
import json
import pathlib
import shutil
import subprocess

import pytest

transformers = pytest.importorskip("transformers")

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "EngineTests" / "Fixtures"
TEMPLATES = FIXTURES / "templates"

MESSAGES = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Hello there, naïve café 日本語?"},
    {"role": "assistant", "content": "Hi.", "reasoning_content": "Greet back."},
    {"role": "user", "content": "Bye"},
]


def model_folder(tmp_path: pathlib.Path, template: str, in_config: bool) -> pathlib.Path:
    folder = tmp_path / "model"
    folder.mkdir()
    shutil.copy(FIXTURES / "tokenizer" / "tokenizer.json", folder / "tokenizer.json")
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "eos_token": "<|endoftext|>", "bos_token": "<|endoftext|>"}
    source = (TEMPLATES / f"{template}.jinja").read_text(encoding="utf-8")
    if in_config:
        config["chat_template"] = source
    else:
        (folder / "chat_template.jinja").write_text(source, encoding="utf-8")
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


def hilo_template(hilo_bin, *args) -> dict:
    out = subprocess.run([hilo_bin, "template", *map(str, args), "--json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("template,in_config,variables", [
    ("Qwen-Qwen2.5-7B-Instruct", True, {}),
    ("Qwen-Qwen3-0.6B", False, {"enable_thinking": False}),
    ("meta-llama-Llama-3.2-3B-Instruct", False, {}),
])
@pytest.mark.parametrize("add_generation_prompt", [False, True])
def test_model_template_matches_apply_chat_template(hilo_bin, tmp_path, template, in_config, variables, add_generation_prompt):
    folder = model_folder(tmp_path, template, in_config)
    (tmp_path / "messages.json").write_text(json.dumps(MESSAGES), encoding="utf-8")
    (tmp_path / "vars.json").write_text(json.dumps(variables), encoding="utf-8")
    args = ["--model", folder, "--messages", tmp_path / "messages.json", "--variables", tmp_path / "vars.json"]
    if add_generation_prompt:
        args.append("--add-generation-prompt")
    ours = hilo_template(hilo_bin, *args)
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    text = tokenizer.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=add_generation_prompt, **variables)
    ids = tokenizer.apply_chat_template(MESSAGES, tokenize=True, return_dict=False, add_generation_prompt=add_generation_prompt, **variables)
    assert ours["text"] == text
    assert ours["ids"] == list(ids)


def test_template_with_context_renders_only_its_variables(hilo_bin, tmp_path):
    (tmp_path / "t.jinja").write_text(
        "{{ greeting | default('none') }} {{ strftime_now('%d %b %Y') }} {{ tools }}{% for m in messages %} {{ m.role }}{% endfor %}\n",
        encoding="utf-8")
    (tmp_path / "ctx.json").write_text(json.dumps({"messages": MESSAGES[:2]}), encoding="utf-8")
    out = hilo_template(hilo_bin, "--template", tmp_path / "t.jinja", "--context", tmp_path / "ctx.json", "--date", "2025-01-31")
    assert out == {"text": "none 31 Jan 2025  system user"}


def test_template_error_names_file_and_line(hilo_bin, tmp_path):
    (tmp_path / "bad.jinja").write_text("fine\n{{ messages | shout }}\n", encoding="utf-8")
    (tmp_path / "ctx.json").write_text("{}", encoding="utf-8")
    result = subprocess.run([hilo_bin, "template", "--template", str(tmp_path / "bad.jinja"), "--context", str(tmp_path / "ctx.json")],
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "bad.jinja" in result.stderr and "template line 2: no filter named 'shout'" in result.stderr


def test_impossible_date_is_refused(hilo_bin, tmp_path):
    (tmp_path / "t.jinja").write_text("{{ strftime_now('%Y') }}", encoding="utf-8")
    (tmp_path / "ctx.json").write_text("{}", encoding="utf-8")
    result = subprocess.run([hilo_bin, "template", "--template", str(tmp_path / "t.jinja"), "--context", str(tmp_path / "ctx.json"),
                             "--date", "2025-13-01"], capture_output=True, text=True)
    assert result.returncode != 0 and "--date must be YYYY-MM-DD" in result.stderr
