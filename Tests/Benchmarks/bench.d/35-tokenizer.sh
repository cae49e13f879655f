#!/usr/bin/env bash
# Tokenizer throughput, Hilo vs Hugging Face `tokenizers`, side by side in one run: encoding MB/s
# and BPE training time on the same text (Python and Markdown from the .venv packages: real code
# and prose, no network). Prints a Markdown section on stdout for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/../../.."
HILO_BIN=${HILO_BIN:-$PWD/.build/release/hilo}
PY=${PY:-$PWD/.venv/bin/python}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

"$PY" - "$HILO_BIN" "$WORK" <<'PYEOF'
import os, pathlib, resource, subprocess, sys, sysconfig, time, json

hilo, work = sys.argv[1], pathlib.Path(sys.argv[2])
import tokenizers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

# The text: .py/.md/.txt/.rst files of the installed Python packages, in a fixed order.
root = pathlib.Path(sysconfig.get_paths()["purelib"])
docs, size = [], 0
for p in sorted(root.rglob("*")):
    if p.suffix not in (".py", ".md", ".txt", ".rst") or not p.is_file():
        continue
    try:
        t = p.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        continue
    docs.append(t)
    size += len(t.encode())
    if size > 25_000_000:
        break
train_docs, encode_docs = [], []
acc = 0
for d in docs:
    (train_docs if acc < 5_000_000 else encode_docs).append(d)
    acc += len(d.encode())
train_text, encode_text = "".join(train_docs), "".join(encode_docs)
# `tokenizers` slows down on very long strings, so it gets the text cut into ~4 kB chunks at line ends.
chunks, cur = [], []
for line in encode_text.splitlines(keepends=True):
    cur.append(line)
    if sum(map(len, cur)) >= 4096:
        chunks.append("".join(cur)); cur = []
chunks.append("".join(cur))
(work / "train.txt").write_text(train_text, encoding="utf-8")
(work / "encode.txt").write_text(encode_text, encoding="utf-8")
train_mb, encode_mb = len(train_text.encode()) / 1e6, len(encode_text.encode()) / 1e6
vocab = 8192

def child_run(args, stdin=None):
    """Wall and CPU seconds of a subprocess, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as f:
        out = subprocess.run(args, stdin=f, capture_output=True, check=True).stdout
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), out

def best(f, n=3):
    return min((f() for _ in range(n)), key=lambda r: r[0])

# Training: tokenizers BpeTrainer (all threads) vs Hilo's BPETrainer (one thread), same text.
def train_ref():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    t0 = time.perf_counter(); c0 = time.process_time()
    tok.train_from_iterator(train_docs, trainer=trainer)
    return time.perf_counter() - t0, time.process_time() - c0, tok
ref_train_wall, ref_train_cpu, ref = best(train_ref, 1)
ref.save(str(work / "ref.json"))
hilo_train_wall, hilo_train_cpu, _ = best(lambda: child_run(
    [hilo, "tokenizer", "train", "--corpus", str(work / "train.txt"), "--vocab-size", str(vocab), "--out", str(work / "hilo")]), 1)
same_merges = json.loads((work / "ref.json").read_text())["model"]["merges"] == \
    json.loads((work / "hilo" / "tokenizer.json").read_text())["model"]["merges"]

# Encoding with the same (Hilo-trained) tokenizer.json.
tok = Tokenizer.from_file(str(work / "hilo" / "tokenizer.json"))
def ref_batch():
    t0 = time.perf_counter(); c0 = time.process_time()
    n = sum(len(e.ids) for e in tok.encode_batch(chunks))
    return time.perf_counter() - t0, time.process_time() - c0, n
def ref_loop():
    t0 = time.perf_counter(); c0 = time.process_time()
    n = sum(len(tok.encode(d).ids) for d in chunks)
    return time.perf_counter() - t0, time.process_time() - c0, n
ref_batch_wall, ref_batch_cpu, ref_count = best(ref_batch)
ref_loop_wall, ref_loop_cpu, _ = best(ref_loop)
load_wall, load_cpu, _ = best(lambda: child_run([hilo, "tokenize", "--model", str(work / "hilo"), "--count"], stdin=None))
hilo_wall, hilo_cpu, out = best(lambda: child_run([hilo, "tokenize", "--model", str(work / "hilo"), "--count", "--json"], stdin=work / "encode.txt"))
hilo_count = json.loads(out)["count"]
hilo_wall, hilo_cpu = hilo_wall - load_wall, hilo_cpu - load_cpu

threads = os.cpu_count()
def mbs(s): return f"{encode_mb / s:.1f}"
print("## Tokenizer")
print()
print(f"Byte-level BPE, vocab {vocab}, trained by each side on {train_mb:.1f} MB and encoding {encode_mb:.1f} MB of")
print(f"Python/Markdown text from the installed packages ({len(encode_docs)} files). `tokenizers` {tokenizers.__version__};")
print(f"{threads} cores, load average {os.getloadavg()[0]:.1f} at the end (a shared machine: compare the ratios).")
print(f"Hilo encodes the text as one string in one thread (`hilo tokenize --count`, load time of {load_wall*1000:.0f} ms")
print(f"subtracted); `tokenizers`, slow on very long strings, gets it as {len(chunks)} chunks of about 4 kB cut at line ends.")
print("Throughput from wall time, best of 3; CPU time alongside.")
print()
print("| encode | threads | MB/s (wall) | MB/s per CPU-second | tokens | Hilo's wall-time advantage |")
print("| --- | --- | --- | --- | --- | --- |")
print(f"| Hilo `encode` | 1 | {mbs(hilo_wall)} | {mbs(hilo_cpu)} | {hilo_count} | 1.00× |")
print(f"| tokenizers `encode` per chunk | 1 | {mbs(ref_loop_wall)} | {mbs(ref_loop_cpu)} | {ref_count} | {ref_loop_wall / hilo_wall:.2f}× |")
print(f"| tokenizers `encode_batch` | {threads} | {mbs(ref_batch_wall)} | {mbs(ref_batch_cpu)} | {ref_count} | {ref_batch_wall / hilo_wall:.2f}× |")
print()
print(f"| train to vocab {vocab} | seconds (wall) | CPU seconds | Hilo's advantage (wall) |")
print("| --- | --- | --- | --- |")
print(f"| Hilo `tokenizer train` (1 thread) | {hilo_train_wall:.2f} | {hilo_train_cpu:.2f} | 1.00× |")
print(f"| tokenizers `BpeTrainer` ({threads} threads) | {ref_train_wall:.2f} | {ref_train_cpu:.2f} | {ref_train_wall / hilo_train_wall:.2f}× |")
print()
print(f"Same merges learned by both trainers: {'yes' if same_merges else 'NO'}. Token counts differ only where a chunk")
print("boundary splits what would otherwise be one pre-tokenized piece.")

# Real vocabularies through tokenizer.json's whole pipeline (the parity fixtures): Llama 3 (regex
# Split + ByteLevel) and Llama 2 (Prepend/Replace normalizer, byte fallback), on the same text.
import gzip
fixtures = pathlib.Path("Tests/EngineTests/Fixtures/tokenizer_json")
print()
print("| tokenizer.json | tokenizers `encode` per chunk, 1 thread (MB/s) | Hilo `encode`, 1 thread (MB/s) | tokens (tokenizers / Hilo) |")
print("| --- | --- | --- | --- |")
for vocab, label in [("llama-bpe", "Llama 3"), ("llama-spm", "Llama 2")]:
    folder = work / vocab
    folder.mkdir()
    (folder / "tokenizer.json").write_bytes(gzip.decompress((fixtures / f"{vocab}.tokenizer.json.gz").read_bytes()))
    real = Tokenizer.from_file(str(folder / "tokenizer.json"))
    def real_loop():
        t0 = time.perf_counter(); c0 = time.process_time()
        n = sum(len(real.encode(d, add_special_tokens=False).ids) for d in chunks)
        return time.perf_counter() - t0, time.process_time() - c0, n
    real_wall, _, real_count = best(real_loop, 2)
    real_load, _, _ = best(lambda: child_run([hilo, "tokenize", "--model", str(folder), "--count"], stdin=None), 2)
    mine_wall, _, out = best(lambda: child_run([hilo, "tokenize", "--model", str(folder), "--count", "--json"], stdin=work / "encode.txt"), 2)
    print(f"| {label} | {mbs(real_wall)} | {mbs(mine_wall - real_load)} | {real_count} / {json.loads(out)['count']} |")
PYEOF
