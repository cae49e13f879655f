"""Writes Tests/EngineTests/Fixtures/templates/golden.json: every chat template in templates/ (real
ones from public model repos, as llama.cpp ships them in vendor/llama.cpp/models/templates/) and
templates/handmade/ (Hilo's own, one per group of Jinja features), rendered over a set of
conversations (with tools and documents where the template reads them, the generation prompt off and
on, enable_thinking unset/false/true where read) by transformers' own render_jinja_template: the sandboxed jinja2 environment with
trim_blocks, lstrip_blocks, loop controls, the generation extension, tojson, raise_exception and
strftime_now. ChatTemplateGoldenTests render the same cases with Hilo's Jinja engine and fail on any
byte that differs.

A case whose template refuses the input with raise_exception is kept with the expected message; a
case on which jinja2 fails otherwise (a template written for another message shape) is left out.
strftime_now reads a fixed date (DATE, midnight) so the goldens do not change from day to day.

Run by `make golden` (or: .venv/bin/python Tests/EngineTests/Fixtures/make_template_golden.py).
"""
import copy
import datetime
import json
import pathlib
import re

import jinja2
from transformers.utils import chat_template_utils
from transformers.utils.chat_template_utils import _normalize_chat_messages, render_jinja_template

HERE = pathlib.Path(__file__).resolve().parent / "templates"
DATE = (2026, 7, 4)


class FixedDatetime(datetime.datetime):
    """strftime_now calls `datetime.now()` from transformers' module; this one always says DATE."""

    @classmethod
    def now(cls, tz=None):
        return cls(*DATE)


chat_template_utils.datetime = FixedDatetime

TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather", "description": "Get the current weather in a city.",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string", "description": "The city, e.g. \"Paris\""},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "Temperature unit"},
            "days": {"type": "integer", "description": "Forecast days", "default": 1}},
            "required": ["city"]}}},
    {"type": "function", "function": {
        "name": "add", "description": "Add two numbers.",
        "parameters": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
                       "required": ["a", "b"]}}},
]

DOCUMENTS = [
    {"title": "Tides", "text": "Tides are caused by the Moon's gravity.\nThere are two a day."},
    {"title": "Café", "text": "A café serves coffee — and 'thé'."},
]

SYSTEM = {"role": "system", "content": "You are a helpful assistant. Answer briefly."}
CONVERSATIONS = {
    "single_user": [{"role": "user", "content": "Hello!"}],
    "system_multi_turn": [
        SYSTEM,
        {"role": "user", "content": "What is 2 + 2?"},
        {"role": "assistant", "content": "2 + 2 = 4."},
        {"role": "user", "content": "And times 3?"},
    ],
    "no_system_multi_turn": [
        {"role": "user", "content": "Name a colour."},
        {"role": "assistant", "content": "Blue."},
        {"role": "user", "content": "Another one."},
        {"role": "assistant", "content": "Green."},
    ],
    "unicode_whitespace": [
        {"role": "system", "content": "  Réponds en français.\n"},
        {"role": "user", "content": "Ünïcödé ✓ 日本語 😀 \"double\" and 'single' quotes\n\tnew line, tab, back\\slash"},
        {"role": "assistant", "content": "  <b>D'accord</b> & voilà: 1.0 <|im_end|>\n\n"},
        {"role": "user", "content": "   "},
    ],
    "tool_call": [
        {"role": "user", "content": "What's the weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}}]},
        {"role": "tool", "name": "get_weather", "tool_call_id": "call_1", "content": "{\"temperature\": 21.5, \"sky\": \"clear\"}"},
        {"role": "assistant", "content": "It is 21.5 °C and clear in Paris."},
        {"role": "user", "content": "Thanks!"},
    ],
    "reasoning": [
        SYSTEM,
        {"role": "user", "content": "Is 17 prime?"},
        {"role": "assistant", "content": "Yes, 17 is prime.", "reasoning_content": "17 has no divisors but 1 and 17."},
        {"role": "user", "content": "And 21?"},
    ],
    "null_fields": [
        {"role": "user", "content": "Hi", "name": None},
        {"role": "assistant", "content": "Hello.", "tool_calls": None},
        {"role": "user", "content": "Bye"},
    ],
}

# Named special tokens as the model families define them (transformers passes them to every template).
SPECIAL = [
    ("llama", {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"}),
    ("Hermes", {"bos_token": "<|begin_of_text|>", "eos_token": "<|im_end|>"}),
    ("Qwen", {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}),
    ("gemma", {"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>", "unk_token": "<unk>"}),
    ("Phi", {"bos_token": "<s>", "eos_token": "<|endoftext|>", "unk_token": "<unk>"}),
    ("deepseek", {"bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>"}),
    ("", {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}),
]

# Extra variables the hand-made templates read (numbers, nested data, odd values).
HANDMADE_VARIABLES = {
    "numbers": [3, 1.5, -2, 10, 0.1, 1e-05, 1e16, 2.0],
    "names": ["bob", "Alice", "carol", "alice", "Dave"],
    "record": {"name": "Hilo", "version": 2, "tags": ["rlhf", "swift"], "meta": {"ok": True, "none": None, "pi": 3.14159}},
    "people": [{"name": "Ann", "age": 31, "admin": True}, {"name": "bo", "age": 7, "admin": False}, {"name": "Cy", "age": 45}],
    "empty": [],
    "nothing": None,
    "flag": True,
    "text": "  Hello, World! Hello again.\n",
}


def special_tokens(name):
    return next(tokens for key, tokens in SPECIAL if key.lower() in name.lower())


def render(source, messages, tools, documents, add_generation_prompt, variables):
    track = re.search(r"\{%-?\s*generation\s*-?%\}", source) is not None
    rendered, spans = render_jinja_template(
        conversations=[_normalize_chat_messages(copy.deepcopy(messages))], tools=copy.deepcopy(tools),
        documents=copy.deepcopy(documents),
        chat_template=source, add_generation_prompt=add_generation_prompt,
        return_assistant_tokens_mask=track, **copy.deepcopy(variables))
    return rendered[0], [list(s) for s in spans[0]] if track else []


def variables_for(name, handmade):
    variables = dict(HANDMADE_VARIABLES) if handmade else {}
    variables.update(special_tokens(name))
    return variables


def cases_for(name, source, variables):
    thinking = [None, False, True] if "enable_thinking" in source else [None]
    for conversation, messages in CONVERSATIONS.items():
        tool_options = [None, TOOLS] if conversation == "tool_call" and "tools" in source else [None]
        document_options = [None, DOCUMENTS] if conversation == "single_user" and "documents" in source else [None]
        for tools, documents in [(t, d) for t in tool_options for d in document_options]:
            for add_generation_prompt in (False, True):
                for enable_thinking in thinking:
                    case_variables = dict(variables)
                    case = {"template": name, "conversation": conversation, "tools": tools is not None,
                            "add_generation_prompt": add_generation_prompt}
                    if documents is not None:
                        case["documents"] = True
                    if enable_thinking is not None:
                        case_variables["enable_thinking"] = case["enable_thinking"] = enable_thinking
                    try:
                        case["text"], case["generation"] = render(source, messages, tools, documents, add_generation_prompt, case_variables)
                    except jinja2.exceptions.TemplateError as e:
                        if type(e) is not jinja2.exceptions.TemplateError:
                            continue  # a syntax or undefined error: not an input this template accepts
                        case["error"] = str(e)
                    except Exception:
                        continue
                    yield case


def main():
    templates = {}
    for path in sorted(HERE.glob("*.jinja")):
        templates[path.stem] = (path.read_text(encoding="utf-8"), False)
    for path in sorted((HERE / "handmade").glob("*.jinja")):
        templates["handmade/" + path.stem] = (path.read_text(encoding="utf-8"), True)
    cases = []
    variables = {}
    for name, (source, handmade) in templates.items():
        variables[name] = variables_for(name, handmade)
        found = list(cases_for(name, source, variables[name]))
        if not any("text" in c for c in found):
            print(f"make_template_golden: {name} renders no conversation in jinja2; left out")
            del variables[name]
            continue
        cases.extend(found)
    head = {"format": "hilo-template-golden-2", "date": "%04d-%02d-%02d" % DATE, "tools": TOOLS, "documents": DOCUMENTS,
            "conversations": CONVERSATIONS, "variables": variables}
    # One case per line, so a change to a template's output is a readable diff.
    text = json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "cases": [\n'
    text += ",\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n ]\n}\n"
    out = HERE / "golden.json"
    out.write_text(text, encoding="utf-8")
    used = variables
    errors = sum("error" in c for c in cases)
    print(f"make_template_golden: {len(used)} templates, {len(cases)} cases ({errors} raise_exception) -> {out}")


if __name__ == "__main__":
    main()
