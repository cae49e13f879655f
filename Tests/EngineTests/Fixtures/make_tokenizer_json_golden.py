"""Writes the tokenizer.json parity fixtures under Tests/EngineTests/Fixtures/tokenizer_json/: real
vocabularies (Llama 3, Qwen2, Llama 2, Phi-3, GPT-2, StarCoder) rebuilt as tokenizer.json files with
the layout their Hugging Face repositories have, and the ids and decoded texts the `tokenizers`
library gives for llama.cpp's test texts and Hilo's own hard cases. TokenizerJSONParityTests compare
Hilo against these files; any difference fails.

The vocabularies come from llama.cpp's test models (models/ggml-vocab-*.gguf), vendored by the
llama_cpp_python source package on PyPI (fetched with pip, no other network), read with the `gguf`
package. llama.cpp's .gguf.out files hold the ids Hugging Face's library gave for the .gguf.inp
texts when llama.cpp made them: each rebuilt tokenizer must reproduce them before anything is
written, which shows the rebuild is faithful (SentencePiece vocabularies get their merges as
transformers' SentencePieceExtractor derives them from the scores).

Run by `make golden` (or: .venv/bin/python Tests/EngineTests/Fixtures/make_tokenizer_json_golden.py).
"""
import gzip
import json
import pathlib
import random
import subprocess
import sys
import tarfile
import tempfile

import gguf
import tokenizers
from tokenizers import Tokenizer

OUT = pathlib.Path(__file__).resolve().parent / "tokenizer_json"
VERSION = 1
LLAMA_CPP_PYTHON = "llama_cpp_python==0.3.36"
VOCABS = ["llama-bpe", "qwen2", "llama-spm", "phi-3", "gpt-2", "starcoder"]

LLAMA3_REGEX = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2_REGEX = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6


def fetch_vocab_files(cache: pathlib.Path) -> pathlib.Path:
    """llama.cpp's models/ folder (vocabularies and test texts) from the llama_cpp_python sdist."""
    models = cache / "models"
    if all((models / f"ggml-vocab-{v}.gguf").exists() for v in VOCABS):
        return models
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", "llama_cpp_python",
                    LLAMA_CPP_PYTHON, "-d", str(cache)], check=True)
    sdist = next(cache.glob("llama_cpp_python-*.tar.gz"))
    models.mkdir(exist_ok=True)
    with tarfile.open(sdist) as tar:
        for m in tar.getmembers():
            name = pathlib.PurePosixPath(m.name)
            if "vendor/llama.cpp/models" in m.name and name.name.startswith("ggml-vocab-"):
                m.name = name.name
                tar.extract(m, models)
    return models


def read_gguf(path: pathlib.Path) -> dict:
    r = gguf.GGUFReader(str(path))
    def field(key):
        f = r.fields.get(key)
        if f is None:
            return None
        values = [f.parts[i] for i in f.data]
        if f.types[-1] == gguf.GGUFValueType.STRING:
            values = [bytes(v).decode("utf-8") for v in values]
        else:
            values = [v.tolist()[0] for v in values]
        return values if f.types[0] == gguf.GGUFValueType.ARRAY else values[0]
    return {k: field(f"tokenizer.ggml.{k}") for k in
            ["model", "pre", "tokens", "token_type", "merges", "scores", "bos_token_id", "eos_token_id", "unknown_token_id"]}


def added(i: int, content: str, special: bool, normalized: bool = False, rstrip: bool = False) -> dict:
    return {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": rstrip,
            "normalized": normalized, "special": special}


def byte_level(add_prefix_space=False, use_regex=True) -> dict:
    return {"type": "ByteLevel", "add_prefix_space": add_prefix_space, "trim_offsets": True, "use_regex": use_regex}


def split(regex: str) -> dict:
    return {"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": False}


def template(bos: str, bos_id: int) -> dict:
    return {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {bos: {"id": bos, "ids": [bos_id], "tokens": [bos]}}}


def byte_level_doc(g: dict) -> dict:
    """A byte-level BPE as the model's Hugging Face repository writes it."""
    tokens, types = g["tokens"], g["token_type"]
    vocab = {t: i for i, t in enumerate(tokens)}
    specials = [added(i, t, True) for i, t in enumerate(tokens) if types[i] == CONTROL]
    users = [added(i, t, False) for i, t in enumerate(tokens) if types[i] == USER_DEFINED]
    doc = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": specials + users,
           "normalizer": None, "pre_tokenizer": byte_level(), "post_processor": byte_level(),
           "decoder": byte_level(),
           "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                     "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                     "vocab": vocab, "merges": g["merges"]}}
    pre = g["pre"]
    if pre == "llama-bpe":  # Llama 3: regex split, merges as pairs, ignore_merges, BOS template
        doc["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [split(LLAMA3_REGEX), byte_level(use_regex=False)]}
        doc["post_processor"] = {"type": "Sequence", "processors": [
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
            template("<|begin_of_text|>", vocab["<|begin_of_text|>"])]}
        doc["model"]["ignore_merges"] = True
        doc["model"]["merges"] = [m.split(" ") for m in g["merges"]]
    elif pre == "qwen2":  # Qwen2: NFC, single-digit regex split
        doc["normalizer"] = {"type": "NFC"}
        doc["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [split(QWEN2_REGEX), byte_level(use_regex=False)]}
    elif pre == "starcoder":  # StarCoder: each digit alone, then GPT-2's split
        doc["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True}, byte_level()]}
    return doc


def sentencepiece_merges(vocab: dict, scores: dict) -> list:
    """The merges transformers' SentencePieceExtractor derives: every split of a piece into two
    pieces, ordered by the merged piece's score (highest first), then by the pieces' ids."""
    merges = []
    for piece, score in scores.items():
        local = [(piece[:k], piece[k:], score) for k in range(1, len(piece)) if piece[:k] in vocab and piece[k:] in vocab]
        local.sort(key=lambda x: (vocab[x[0]], vocab[x[1]]))
        merges.extend(local)
    merges.sort(key=lambda x: x[2], reverse=True)
    return [[a, b] for a, b, _ in merges]


def sentencepiece_doc(g: dict) -> dict:
    """A SentencePiece BPE (Llama 2, Phi-3) as transformers' LlamaConverter writes it (legacy layout)."""
    tokens, types, scores = g["tokens"], g["token_type"], g["scores"]
    keep = [i for i, t in enumerate(tokens) if not (types[i] == UNKNOWN and t.startswith("[PAD"))]
    vocab = {tokens[i]: i for i in keep}
    unk = tokens[g["unknown_token_id"]]
    specials = [added(i, tokens[i], True, rstrip=tokens[i] not in ("<unk>", "<s>", "</s>", "<|endoftext|>"))
                for i in keep if types[i] in (CONTROL, USER_DEFINED) or i == g["unknown_token_id"]]
    bos = tokens[g["bos_token_id"]]
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": specials,
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
            "pre_tokenizer": None, "post_processor": template(bos, g["bos_token_id"]),
            "decoder": {"type": "Sequence", "decoders": [
                {"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"},
                {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
            "model": {"type": "BPE", "dropout": None, "unk_token": unk, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                      "vocab": vocab, "merges": sentencepiece_merges(vocab, {tokens[i]: scores[i] for i in keep})}}


def llama_cpp_cases(models: pathlib.Path, name: str) -> list:
    """llama.cpp's test texts and the ids Hugging Face's library gave for them."""
    texts = (models / f"ggml-vocab-{name}.gguf.inp").read_text(encoding="utf-8").split("\n__ggml_vocab_test__\n")[:-1]
    ids = [[int(x) for x in line.split()] for line in (models / f"ggml-vocab-{name}.gguf.out").read_text().split("\n")]
    return list(zip(texts, ids[:len(texts)]))


# Hilo's own hard cases, beyond llama.cpp's.
CATEGORY_SAMPLES = {  # one or more scalars of every Unicode general category
    "Lu": "AÉΣЖ", "Ll": "aéσж", "Lt": "ǅᾈ", "Lm": "ʰˆー", "Lo": "日本語ไทยא", "Mn": "e\u0301n\u0303", "Mc": "\u0903\u093e",
    "Me": "\u20dd\u0488", "Nd": "0٣৪１", "Nl": "ⅫⅠ〇", "No": "½²①", "Pc": "_‿", "Pd": "-–—", "Ps": "([{「", "Pe": ")]}」",
    "Pi": "«‘“", "Pf": "»’”", "Po": "!?¿。", "Sm": "+<=∑≠", "Sc": "$€£¥", "Sk": "^`¨", "So": "©®°😀", "Zs": " \u00a0\u3000\u2009",
    "Zl": "\u2028", "Zp": "\u2029", "Cc": "\x00\x07\x1b\x7f\x85", "Cf": "\u200b\u200d\ufeff\u00ad", "Co": "\ue000\U000f0000",
    "Cn": "\u0378\U0001fffe",
}
HARD_CASES = [
    "", " ", "  ", "\n", "\r\n", "Hello world", " Hello world", "Hello, world!  How are you?\n",
    "I'm you're we've they'll she'd it's don't O'Neil's", "I'M YOU'RE WE'VE THEY'LL SHE'D IT'S DON'T 'S 'Re",
    "the 'ſ long s", "''s '''t 's'''", "it\u2019s don\u2019t",
    " ".join(str(10 ** k + k) for k in range(22)), "1234567890123456789012345678901234567890",
    "3.14159 1,000,000 0x1F 2nd ½ ² ① ٣٤٥ 42abc １２３４５ ⅫⅠ",
    "a" + " " * 2 + "b" + " " * 3 + "c" + " " * 17 + "d" + "\t" * 5 + "e" + " " * 64, " " * 300 + "x" + " " * 300,
    "\n" * 30 + "text" + "\r\n" * 7 + " \n \n  \n" + "\t\n\t\n",
    "x \n y\n \nz  \n\n  w\u00a0\u00a0v\u3000\u3000u\u2028\u2028t\u0085s",
    "def f(x):\n    return x**2 + 1  # square\n\nif (a && b) { c->d[0] = '\\n'; }\n\treturn;",
    "Wait!!! What?!... (yes) [no] {maybe} -- ;; :: ... ``` ~~~ @@@ .Hello ,world !x",
    "naïve café résumé Zürich Ärger Straße ñandú e\u0301 n\u0303 a\u0308\u0304",
    "日本語のテキスト、中文文本。한국어 텍스트 Привет мир Ελληνικά שלום עולם مرحبا بالعالم हिन्दी ไทย Tiếng Việt",
    "😀👍🏽👨‍👩‍👧‍👦🏳️‍🌈❤️🇫🇷 🦙.cpp 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛",
    "".join(CATEGORY_SAMPLES.values()), " ".join(CATEGORY_SAMPLES.values()),
    "\U0001f9ef\U0001fae8\u0c5d\u1b4c \U00011f00 new letters and marks",
    "▁already▁has▁metaspace ▁ ▁▁",
    "<0x41> <0xE5><0x8F><0xAB> <unk> [PAD32011]",
    "bytes \ufffd\ufffd replaced \ufffd",
]
RANDOM_ALPHABET = ["a", "b", "Z", "é", "ß", "1", "2", "42", "½", "٣", " ", " ", "  ", "\t", "\n", "\r\n", "'", "'s", "'LL",
                   "ſ", "e\u0301", "日", "😀", "\u200d", "🏽", "!", ".", "?!", "\u00a0", "\u3000", "\u0085", "\u2028", "\x00",
                   "_", "-", "\ufeff", "▁", "<0x41>"]


def special_cases(doc: dict) -> list:
    """Texts with the vocabulary's special tokens inside words, at the ends, and glued together."""
    specials = [t["content"] for t in doc["added_tokens"] if t["special"]][:6]
    out = []
    for s in specials:
        out += [s, f"{s}Hello", f"Hello{s}", f" {s} x ", f"a{s}{s}b", f"{s}\n\n{s}  word"]
    out.append("".join(specials) + " tail")
    return out


def random_cases(seed: int, n: int) -> list:
    rng = random.Random(seed)
    return ["".join(rng.choice(RANDOM_ALPHABET) for _ in range(rng.randint(0, 30))) for _ in range(n)]


def invalid_utf8_cases() -> list:
    """Raw byte strings that are not valid UTF-8, as Python repairs them (one U+FFFD per bad sequence)."""
    raws = [b"\xff\xfe abc", b"caf\xc3", b"\xe6\x97", b"ok \xed\xa0\x80 surrogate", b"\xf4\x90\x80\x80 too big",
            b"\xc0\xaf overlong", b"mid\x80dle", b"\xe2\x82\xac\xe2\x82"]
    return [r.decode("utf-8", errors="replace") for r in raws]


def decode_cases(tok: Tokenizer, rng: random.Random) -> list:
    """Random id sequences (any id, special ones included): decoding must repair whatever they spell."""
    n = tok.get_vocab_size(with_added_tokens=True)
    seqs = [[rng.randrange(n) for _ in range(rng.randint(1, 12))] for _ in range(150)]
    low = [[rng.randrange(min(n, 600)) for _ in range(rng.randint(1, 12))] for _ in range(150)]
    return [{"ids": s, "text": tok.decode(s, skip_special_tokens=False), "text_skip_special": tok.decode(s, skip_special_tokens=True)}
            for s in seqs + low]


def variants() -> list:
    """Pipelines today's vocabularies do not use, on top of a base vocabulary: Metaspace with each
    prepend scheme (newer Llama/Mistral files), Split with every behavior and invert, a regex that
    no hand-written scanner knows, Digits, NFKC, Lowercase. (name, base vocabulary, replaced fields)."""
    space = {"String": " "}
    out = [
        ("metaspace-first", "llama-spm", {
            "normalizer": None,
            "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False},
            "decoder": {"type": "Sequence", "decoders": [{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False},
                                                         {"type": "ByteFallback"}, {"type": "Fuse"}]}}),
        ("metaspace-always-split-nfkc-lowercase", "llama-spm", {
            "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}]},
            "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
            "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always"}]}}),
        ("metaspace-never", "llama-spm", {
            "normalizer": None,
            "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never", "split": True},
            "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never"}}),
        ("digits-contiguous", "gpt-2", {
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": False}, byte_level()]}}),
        ("regex-fallback", "gpt-2", {
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": r"\p{N}+|[aeiou]+"}, "behavior": "MergedWithNext", "invert": True},
                byte_level(use_regex=False)]}}),
    ]
    for behavior in ["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"]:
        for invert in (False, True):
            out.append((f"split-{behavior}-{'inverted' if invert else 'plain'}", "gpt-2", {"pre_tokenizer": {
                "type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": space, "behavior": behavior, "invert": invert},
                                                      byte_level(use_regex=False)]}}))
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    cache = pathlib.Path(tempfile.gettempdir()) / "hilo-llama-cpp-vocabs"
    models = fetch_vocab_files(cache)
    summary = []
    docs = {}
    for name in VOCABS:
        g = read_gguf(models / f"ggml-vocab-{name}.gguf")
        doc = byte_level_doc(g) if g["model"] == "gpt2" else sentencepiece_doc(g)
        text = json.dumps(doc, ensure_ascii=False)
        docs[name] = doc
        tok = Tokenizer.from_str(text)
        reference = llama_cpp_cases(models, name)
        for i, (t, ids) in enumerate(reference):
            got = tok.encode(t, add_special_tokens=False).ids
            if got != ids:
                sys.exit(f"{name}: the rebuilt tokenizer.json gives {got} for llama.cpp case {i} {t!r}, the reference says {ids}")
        texts = [t for t, _ in reference] + HARD_CASES + special_cases(doc) + invalid_utf8_cases() + random_cases(seed=len(name), n=300)
        cases = []
        for t in texts:
            enc = tok.encode(t, add_special_tokens=False).ids
            cases.append({"text": t, "ids": enc, "ids_with_special": tok.encode(t, add_special_tokens=True).ids,
                          "decoded": tok.decode(enc, skip_special_tokens=False),
                          "decoded_skip_special": tok.decode(enc, skip_special_tokens=True)})
        with gzip.GzipFile(OUT / f"{name}.tokenizer.json.gz", "wb", mtime=0) as f:
            f.write(text.encode("utf-8"))
        golden = {"version": VERSION, "tokenizers_version": tokenizers.__version__, "vocab": name,
                  "llama_cpp_cases": len(reference), "vocab_size": tok.get_vocab_size(with_added_tokens=True),
                  "cases": cases, "decode_cases": decode_cases(tok, random.Random(7))}
        (OUT / f"{name}.golden.json").write_text(json.dumps(golden, ensure_ascii=False, indent=0))
        summary.append(f"{name} ({len(reference)} llama.cpp + {len(cases) - len(reference)} own cases)")
    texts = [t for t, _ in llama_cpp_cases(models, "llama-bpe")] + HARD_CASES + invalid_utf8_cases() + random_cases(seed=99, n=60)
    out = []
    for name, base, fields in variants():
        tok = Tokenizer.from_str(json.dumps({**docs[base], **fields}, ensure_ascii=False))
        cases = []
        for t in texts:
            ids = tok.encode(t, add_special_tokens=False).ids
            cases.append({"text": t, "ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False)})
        out.append({"name": name, "base": base, "fields": json.dumps(fields, ensure_ascii=False), "cases": cases})
    (OUT / "variants.golden.json").write_text(json.dumps({"version": VERSION, "variants": out}, ensure_ascii=False, indent=0))
    summary.append(f"{len(out)} pipeline variants")
    print(f"wrote {OUT} with tokenizers {tokenizers.__version__}: " + ", ".join(summary))


if __name__ == "__main__":
    main()
