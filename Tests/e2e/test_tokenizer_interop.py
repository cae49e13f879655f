"""Tokenizer interop: a tokenizer Hilo trains loads in Hugging Face `tokenizers` and transformers
and encodes exactly as Hilo does; `hilo tokenize` agrees with `tokenizers` on the golden tokenizer."""
import json
import pathlib
import random
import subprocess

import pytest

tokenizers = pytest.importorskip("tokenizers")

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "EngineTests" / "Fixtures" / "tokenizer"

WORDS = ("the quick brown fox jumps over lazy dog It's they'll DON'T naïve café 日本語 東京 "
         "Привет мир שלום مرحبا 😀 👍🏽 👨‍👩‍👧‍👦 e\u0301 3.14 2024 1,000 -- ... !? def f(x): return").split(" ")
SYLLABLES = "ka to ri mu sen dai lo ne vi ish ra ko mi an ter pol ex gar".split()
SPACES = [" ", " ", " ", "  ", "\t", "\n", "\n\n", " \n ", "   "]

TEST_TEXTS = [
    "", " ", "Hello world", "  leading and trailing  ", "a\t\tb\n\n\nc", "I'M HERE, it's fine",
    "emoji 👨‍👩‍👧‍👦 and 🏳️‍🌈 flags 🇫🇷", "日本語のテキスト", "e\u0301 combining", "مرحبا بالعالم",
    "numbers 12345 3.14159 ½", "<|endoftext|>", "before<|endoftext|>after <|endoftext|> x",
    "code:\n    return x**2  # ok\n", "nul\x00and\x01controls\x1b[0m", "unseen words: xylophone zygote",
]


def corpus_text(seed: int, lines: int) -> str:
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        words = [rng.choice(WORDS) if rng.random() < 0.5 else
                 "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(2, 20))]
        out.append("".join(w + rng.choice(SPACES) for w in words))
    return "\n".join(out) + "\n"


def hilo_ids(hilo_bin: str, model_dir: pathlib.Path, text: str) -> list[int]:
    # Through stdin, so NUL and other bytes argv cannot carry arrive intact.
    out = subprocess.run([hilo_bin, "tokenize", "--model", str(model_dir), "--json"], input=text.encode(),
                         capture_output=True, check=True).stdout
    return json.loads(out)["ids"]


@pytest.fixture(scope="module")
def trained(hilo_bin, tmp_path_factory) -> pathlib.Path:
    work = tmp_path_factory.mktemp("tok")
    files = []
    for i in range(2):
        path = work / f"corpus{i}.txt"
        path.write_text(corpus_text(seed=i, lines=800), encoding="utf-8")
        files.append(str(path))
    out = work / "tokenizer"
    result = subprocess.run([hilo_bin, "tokenizer", "train", "--corpus", *files, "--vocab-size", "600",
                             "--out", str(out), "--json"], capture_output=True, text=True, check=True)
    summary = json.loads(result.stdout)
    assert summary["vocab_size"] == 600
    assert summary["merges"] == 600 - 257
    return out


def test_tokenizers_loads_the_trained_tokenizer_and_encodes_identically(hilo_bin, trained):
    ref = tokenizers.Tokenizer.from_file(str(trained / "tokenizer.json"))
    assert ref.get_vocab_size() == 600
    assert ref.token_to_id("<|endoftext|>") == 0
    texts = TEST_TEXTS + corpus_text(seed=99, lines=40).split("\n")
    for text in texts:
        expected = ref.encode(text).ids
        assert hilo_ids(hilo_bin, trained, text) == expected, repr(text)
        assert ref.decode(expected, skip_special_tokens=False) == text


def test_transformers_reads_both_file_layouts_hilo_writes(hilo_bin, trained, tmp_path):
    transformers = pytest.importorskip("transformers")
    fast = transformers.PreTrainedTokenizerFast(tokenizer_file=str(trained / "tokenizer.json"))
    # A folder with only GPT-2's original pair of files, read by transformers' GPT2Tokenizer.
    for name in ("vocab.json", "merges.txt"):
        (tmp_path / name).write_bytes((trained / name).read_bytes())
    pair = transformers.GPT2Tokenizer.from_pretrained(str(tmp_path))
    for text in TEST_TEXTS[2:13]:
        ids = hilo_ids(hilo_bin, trained, text)
        assert len(ids) > 0
        assert fast(text)["input_ids"] == ids, repr(text)
        assert pair(text)["input_ids"] == ids, repr(text)


def test_hilo_tokenize_matches_tokenizers_on_the_golden_tokenizer(hilo_bin):
    ref = tokenizers.Tokenizer.from_file(str(FIXTURES / "tokenizer.json"))
    for text in TEST_TEXTS:
        assert hilo_ids(hilo_bin, FIXTURES, text) == ref.encode(text).ids, repr(text)


def test_hilo_tokenize_prints_plain_ids_and_reports_bad_folders(hilo_bin, tmp_path):
    out = subprocess.run([hilo_bin, "tokenize", "--model", str(FIXTURES), "Hello world"],
                         capture_output=True, text=True, check=True).stdout.split()
    ref = tokenizers.Tokenizer.from_file(str(FIXTURES / "tokenizer.json"))
    assert [int(x) for x in out] == ref.encode("Hello world").ids
    (tmp_path / "tokenizer.json").write_text('{"model": {"type": "Unigram", "vocab": []}}')
    bad = subprocess.run([hilo_bin, "tokenize", "--model", str(tmp_path), "x"], capture_output=True, text=True)
    assert bad.returncode != 0
    assert "tokenizer.json" in bad.stderr and "Unigram" in bad.stderr


def test_training_on_a_missing_corpus_file_fails_naming_it(hilo_bin, tmp_path):
    bad = subprocess.run([hilo_bin, "tokenizer", "train", "--corpus", str(tmp_path / "nope.txt"),
                          "--vocab-size", "300", "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert bad.returncode != 0
    assert "nope.txt" in bad.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("vocab", ["llama-bpe", "llama-spm", "qwen2"])
def test_hilo_tokenize_matches_tokenizers_on_real_vocabularies_with_and_without_special_tokens(hilo_bin, tmp_path, vocab):
    """`hilo tokenize` prints the ids of the text alone, as add_special_tokens=False does; with
    --add-special-tokens it applies the post-processor (BOS for Llama 3 and Llama 2)."""
    import gzip
    path = tmp_path / "tokenizer.json"
    path.write_bytes(gzip.decompress((ROOT / "Tests" / "EngineTests" / "Fixtures" / "tokenizer_json" / f"{vocab}.tokenizer.json.gz").read_bytes()))
    ref = tokenizers.Tokenizer.from_file(str(path))
    for text in TEST_TEXTS[1:] + ["<|begin_of_text|>Hi<|eot_id|>", "<s> x </s>", "¿Qué tal? 12345678 \r\n\r\n  end"]:
        for extra in ([], ["--add-special-tokens"]):
            out = subprocess.run([hilo_bin, "tokenize", "--model", str(path), "--json", *extra], input=text.encode(),
                                 capture_output=True, check=True).stdout
            expected = ref.encode(text, add_special_tokens=bool(extra)).ids
            assert json.loads(out)["ids"] == expected, (vocab, text, extra)
