"""Writes the tokenizer reference fixtures under Tests/EngineTests/Fixtures/tokenizer/ with the
Hugging Face `tokenizers` library (no network): a byte-level BPE trained on a deterministic corpus
with GPT-2's pre-tokenizer and decoder, saved as tokenizer.json and vocab.json + merges.txt, and the
ids and decodes `tokenizers` gives for a corpus of hard cases. TokenizerGoldenTests compare Hilo
against these files; any difference fails.

Run by `make golden` (or: .venv/bin/python Tests/EngineTests/Fixtures/make_tokenizer_golden.py).
"""
import json
import pathlib
import random

import tokenizers
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

OUT = pathlib.Path(__file__).resolve().parent / "tokenizer"
VERSION = 1

WORDS = """the of and to in is was he for it with as his on be at by had are but from or have an
they which one you were her all she there would their we him been has when who will more no if out
so said what up its about into than them can only other new some could time these two may then do
first any my now such like our over man me even most made after also did many before must through
back years where much your way well down should because each just those people how too little state
good very make world still own see men work long get here between both life being under never day
same another know while last might us great old year off come since against go came right used take
three Don't I'm you're we've they'll she'd it's O'Neil THE AND YOU'RE DON'T IT'S HELLO World Swift
naïve café résumé coöperate façade jalapeño Zürich Ärger Straße ñandú""".split()
FOREIGN = ["日本語", "東京", "中文", "汉字", "한국어", "안녕하세요", "Привет", "мир", "Ελληνικά",
           "שלום", "עולם", "مرحبا", "العالم", "हिन्दी", "ไทย", "Tiếng", "Việt", "e\u0301", "n\u0303",
           "a\u0308\u0304", "😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "❤️", "🇫🇷", "∑", "≠", "€", "£", "¥",
           "①", "Ⅻ", "½", "²", "٣", "৪", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\u00a0", "\u3000", "\u200b"]
PUNCT = [".", ",", "!", "?", ";", ":", "...", "--", "—", "(", ")", "[", "]", "{", "}", "\"", "'",
         "''", "#", "@", "$", "%", "&", "*", "+", "=", "<", ">", "/", "\\", "|", "~", "`", "^", "_"]
SPACES = [" ", " ", " ", " ", " ", "  ", "   ", "\t", "\n", "\n\n", " \n", "\r\n", "\t\t", "    "]


def corpus(seed: int, n_lines: int) -> list[str]:
    """A deterministic, GPT-2-ish mix: prose, numbers, punctuation, code, foreign scripts, odd spaces."""
    rng = random.Random(seed)
    lines = []
    for _ in range(n_lines):
        parts = []
        for _ in range(rng.randint(3, 24)):
            r = rng.random()
            if r < 0.62:
                w = rng.choice(WORDS)
                parts.append(w.capitalize() if rng.random() < 0.1 else w)
            elif r < 0.72:
                parts.append(rng.choice(FOREIGN))
            elif r < 0.82:
                parts.append(str(rng.choice([rng.randint(0, 99), rng.randint(0, 99999), 2024, 3.14159])))
            elif r < 0.95:
                parts.append(rng.choice(PUNCT))
            else:
                parts.append(rng.choice(["def f(x):", "return x + 1", "if (a && b) {", "x_1 = y**2",
                                         "print('hi')", "<html>", "</div>", "#include <stdio.h>"]))
            parts.append(rng.choice(SPACES))
        lines.append("".join(parts))
    return lines


# Each case: (name, text). Chosen for the places a hand-written pre-tokenizer goes wrong.
HARD_CASES = [
    ("empty", ""),
    ("single space", " "),
    ("plain", "Hello world"),
    ("leading and trailing spaces", "  hello world  "),
    ("space runs before a word", "a    b"),
    ("tabs and newlines", "a\t\tb\n\nc\r\n\td"),
    ("whitespace only", " \t\n \n\n   "),
    ("trailing newline run", "end.\n\n\n"),
    ("space then newline then word", "x \n y\n \nz"),
    ("mixed whitespace before letters", "a \t b\u00a0c\u3000d\u2028e\u0085f\u000bg\u000ch"),
    ("contractions", "I'm you're we've they'll she'd it's don't O'Neil's"),
    ("upper-case contractions", "I'M YOU'RE WE'VE THEY'LL SHE'D IT'S DON'T"),
    ("apostrophe runs", "''s '''t 's'''"),
    ("typographic apostrophe", "it\u2019s don\u2019t"),
    ("numbers", "1 12 123 1234 12345 3.14159 1,000,000 0x1F 2nd ½ ² ① ٣٤٥ 42abc"),
    ("punctuation runs", "Wait!!! What?!... (yes) [no] {maybe} -- ;; :: ... ``` ~~~ @@@"),
    ("code", "def f(x):\n    return x**2 + 1  # square\n\nif (a && b) { c->d[0] = '\\n'; }"),
    ("emoji", "I ❤️ emoji 😀😃😄 ok👍"),
    ("emoji zwj and skin tones", "👨‍👩‍👧‍👦 family, 👍🏽 👋🏿 🏳️‍🌈 🇫🇷🇩🇪 🧑🏻‍💻"),
    ("cjk", "日本語のテキスト、東京タワー。中文汉字测试。한국어 문장입니다."),
    ("combining marks", "e\u0301 n\u0303 a\u0308\u0304 Z\u0351\u0352\u0353a\u0308lgo cafe\u0301"),
    ("precomposed accents", "naïve café résumé Ångström"),
    ("arabic and hebrew", "مرحبا بالعالم ١٢٣ שלום עולם 456"),
    ("devanagari and thai", "हिन्दी भाषा ภาษาไทย"),
    ("math and symbols", "∑ x² ≠ ∞ € £ ¥ © ® ™ → ← ⇒"),
    ("astral letters", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝐁𝐨𝐥𝐝 𐐷"),
    # Letters and digits of Unicode 14–17: the pattern's tables stop at the version its regex engine knows.
    ("recent unicode letters and digits", "a\ua7cfb 1\U0001ccf02 x\U0001e5d0y \U0001e030\U00011f04 \U0001d2c0 \u0870"),
    ("special token alone", "<|endoftext|>"),
    ("special tokens inside text", "Hello<|endoftext|>world <|endoftext|> again<|endoftext|><|endoftext|>"),
    ("special token split in half", "<|endof text|> <|endoftext| >"),
    ("added tokens with strip flags", "a <|pad|>  b<|pad|>c   <|pad|>"),
    ("single-word added token", "xyzzy said xyzzy, not axyzzy or xyzzyb"),
    ("non-special added token", "ÉTÉ and ÉTÉs"),
    ("nul and controls", "a\x00b\x01\x02 \x1b[31mred\x1b[0m \x7f\x1c\x1d\x1e\x1f end"),
    ("zero-width characters", "zero\u200bwidth\u200c\u200djoin\ufeffbom"),
    ("private use and noncharacters", "\ue000\uf8ff \U000f0000 \ufffd"),
    ("long word", "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3),
    ("repeated characters", "aaaaaaaaaaaaaaaaaaaaaaaa " + "=" * 40),
    ("mixed everything", "Hi!! It's 2024 — naïve 👍🏽 日本\n\n\tok  <|endoftext|> done.  "),
]

# Raw byte inputs, some not valid UTF-8: `tokenizers` needs a str, so the reference is the
# encoding of the bytes decoded with U+FFFD replacement, as Hilo's encode(bytes:) does.
BYTE_CASES = [
    ("valid", "héllo".encode()),
    ("lone continuation byte", b"a\x80b"),
    ("truncated 3-byte sequence", b"\xe6\x97 x"),
    ("overlong encoding", b"\xc0\xaf and \xe0\x80\xaf"),
    ("surrogate encoded", b"\xed\xa0\x80!"),
    ("invalid lead bytes", b"\xff\xfe text \xf8\x88\x80\x80\x80"),
    ("truncated emoji at end", "ok 😀".encode()[:-1]),
]


# Random strings over the characters the pattern treats specially, to catch the combinations the
# hand-picked cases miss.
RANDOM_ALPHABET = [" ", " ", " ", "  ", "\t", "\n", "\r", "'", "s", "t", "re", "ll", "S", "a", "Z", "q", "1", "42",
                   "٣", "½", "é", "e\u0301", "日", "😀", "\u200d", "🏽", "!", ".", "?!", "\u00a0", "\u3000", "\u0085",
                   "\u2028", "\x00", "\x1c", "\x0b", "<|endoftext|>", "<|pad|>", "xyzzy", "ÉTÉ", "_", "-", "\ufeff"]


def random_cases(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(RANDOM_ALPHABET) for _ in range(rng.randint(0, 30))) for _ in range(n)]


def save_with_extras(tok: Tokenizer) -> None:
    """The golden tokenizer gets added tokens that exercise every AddedToken flag."""
    tok.add_special_tokens([AddedToken("<|pad|>", lstrip=True, rstrip=True, special=True, normalized=False)])
    tok.add_tokens([AddedToken("xyzzy", single_word=True, normalized=False),
                    AddedToken("ÉTÉ", normalized=False)])


def with_whole_word_tokens(doc: dict) -> None:
    """ignore_merges on, plus vocabulary entries for whole pieces the merges would split, so that
    the switch changes ids: such a piece must come out as its single token."""
    doc["model"]["ignore_merges"] = True
    vocab = doc["model"]["vocab"]
    next_id = max(vocab.values()) + 1
    to_chars = dict(zip(range(256), byte_alphabet_in_byte_order()))
    for piece in [" world", "Pneumonoultramicroscopicsilicovolcanoconiosis", " 👍🏽", "!!!", "   "]:
        spelled = "".join(to_chars[b] for b in piece.encode())
        if spelled not in vocab:
            vocab[spelled] = next_id
            next_id += 1
    # Ids stay contiguous, as `tokenizers` assumes when it reads added tokens back: those not in
    # the vocabulary move up behind the new entries.
    for t in doc["added_tokens"]:
        if t["content"] not in vocab:
            t["id"] = next_id
            next_id += 1


def byte_alphabet_in_byte_order() -> list[str]:
    """GPT-2's bytes_to_unicode table as a list indexed by byte."""
    printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    out, extra = {}, 0
    for b in range(256):
        if b in printable:
            out[b] = chr(b)
        else:
            out[b] = chr(256 + extra)
            extra += 1
    return [out[b] for b in range(256)]


def decode_cases(tok: Tokenizer) -> list[dict]:
    """Id sequences that cut multi-byte characters apart, so decoding must repair invalid UTF-8."""
    emoji = tok.encode("👨‍👩‍👧‍👦 日本 é").ids
    vocab = tok.get_vocab()
    byte_chars = pre_tokenizers.ByteLevel.alphabet()
    lone = sorted(vocab[c] for c in byte_chars if c in vocab)
    seqs = [emoji, emoji[1:], emoji[:-1], emoji[::2], lone[:40], lone[-40:], [vocab["<|endoftext|>"]] + emoji,
            [0, 1, 2, 3], [tok.get_vocab_size() + 5, 10, 999999]]
    return [{"ids": s, "text": tok.decode(s, skip_special_tokens=False),
             "text_skip_special": tok.decode(s, skip_special_tokens=True)} for s in seqs]


def scalar_classes() -> list[list]:
    """How `tokenizers`' pattern classes every code point (letter, number, whitespace, other), as
    runs [first code point, class]: read off the pre-tokenizer itself, so Unicode-version gaps show."""
    split = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True).pre_tokenize_str
    runs, last = [], None
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        x = chr(cp)
        c = "L" if len(split("a" + x)) == 1 else "N" if len(split("1" + x)) == 1 else "O" if len(split("!" + x)) == 1 else "S"
        if c != last:
            runs.append([cp, c])
            last = c
    return runs


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    byte_level = pre_tokenizers.ByteLevel.alphabet()

    # 1. The golden tokenizer: GPT-2's layout, trained on a deterministic corpus.
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=2000, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=byte_level, show_progress=False)
    tok.train_from_iterator(corpus(seed=1, n_lines=3000), trainer=trainer)
    save_with_extras(tok)
    tok.save(str(OUT / "tokenizer.json"))
    tok.model.save(str(OUT))  # vocab.json + merges.txt

    # 2. A variant in the older file layout: merges as "a b" strings, and add_prefix_space on.
    doc = json.loads((OUT / "tokenizer.json").read_text())
    doc["model"]["merges"] = [" ".join(m) for m in doc["model"]["merges"]]
    doc["pre_tokenizer"]["add_prefix_space"] = True
    (OUT / "tokenizer_prefix_space.json").write_text(json.dumps(doc, ensure_ascii=False))
    prefixed = Tokenizer.from_file(str(OUT / "tokenizer_prefix_space.json"))

    # Variants for the other ByteLevel/BPE switches: no regex split, and ignore_merges (whole
    # pieces that are tokens skip the merges, as in newer tokenizer.json files).
    variants = {}
    for name, edit in [("no_regex", lambda d: d["pre_tokenizer"].update(use_regex=False)),
                       ("ignore_merges", with_whole_word_tokens)]:
        d = json.loads((OUT / "tokenizer.json").read_text())
        edit(d)
        (OUT / f"tokenizer_{name}.json").write_text(json.dumps(d, ensure_ascii=False))
        variants[name] = Tokenizer.from_file(str(OUT / f"tokenizer_{name}.json"))

    # vocab.json + merges.txt as a user's GPT-2 folder has them: no added-token metadata.
    from_files = Tokenizer(models.BPE.from_file(str(OUT / "vocab.json"), str(OUT / "merges.txt")))
    from_files.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    from_files.decoder = decoders.ByteLevel()
    from_files.add_special_tokens(["<|endoftext|>"])

    cases = []
    for name, text in HARD_CASES:
        enc = tok.encode(text)
        tok.encode_special_tokens = True
        literal = tok.encode(text).ids
        tok.encode_special_tokens = False
        cases.append({
            "name": name, "text": text, "ids": enc.ids, "tokens": enc.tokens,
            "pieces": [piece for piece, _ in tok.pre_tokenizer.pre_tokenize_str(text)],
            "ids_special_as_text": literal,
            "ids_prefix_space": prefixed.encode(text).ids,
            "ids_vocab_merges": from_files.encode(text).ids,
            "ids_no_regex": variants["no_regex"].encode(text).ids,
            "ids_ignore_merges": variants["ignore_merges"].encode(text).ids,
            "decoded": tok.decode(enc.ids, skip_special_tokens=False),
            "decoded_skip_special": tok.decode(enc.ids, skip_special_tokens=True),
        })
    randoms = [{"text": t, "ids": tok.encode(t).ids, "ids_prefix_space": prefixed.encode(t).ids,
                "decoded": tok.decode(tok.encode(t).ids, skip_special_tokens=False)}
               for t in random_cases(seed=3, n=400)]
    byte_cases = []
    for name, raw in BYTE_CASES:
        repaired = raw.decode("utf-8", errors="replace")
        byte_cases.append({"name": name, "bytes": list(raw), "repaired": repaired,
                           "ids": tok.encode(repaired).ids})
    golden = {
        "version": VERSION, "tokenizers_version": tokenizers.__version__,
        "vocab_size": tok.get_vocab_size(with_added_tokens=True),
        "eos_token_id": tok.token_to_id("<|endoftext|>"),
        "cases": cases, "random_cases": randoms, "byte_cases": byte_cases, "decode_cases": decode_cases(tok),
    }
    (OUT / "golden.json").write_text(json.dumps(golden, ensure_ascii=False, indent=1))

    (OUT / "scalar_classes.json").write_text(json.dumps({"tokenizers_version": tokenizers.__version__,
                                                         "runs": scalar_classes()}))

    # 3. Trainer parity: the corpus Hilo's BPETrainer trains on, and what tokenizers' BpeTrainer learns.
    train_lines = corpus(seed=7, n_lines=600)
    (OUT / "train_corpus.json").write_text(json.dumps(train_lines, ensure_ascii=False))
    reference = Tokenizer(models.BPE())
    reference.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    reference.decoder = decoders.ByteLevel()
    reference.train_from_iterator(train_lines, trainer=trainers.BpeTrainer(
        vocab_size=700, special_tokens=["<|endoftext|>"], initial_alphabet=byte_level, show_progress=False))
    reference.save(str(OUT / "trained_reference.json"))
    print(f"wrote {OUT}: vocab {golden['vocab_size']}, {len(cases)} cases, tokenizers {tokenizers.__version__}")


if __name__ == "__main__":
    main()
