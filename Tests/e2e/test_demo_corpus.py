"""`hilo demo corpus` and `hilo demo judge`: files a seed reproduces, in the formats TRL reads, judged by the rule."""
import json
import subprocess


def run(hilo_bin, *args, stdin=None):
    return subprocess.run([hilo_bin, "demo", *args], capture_output=True, text=True, input=stdin)


def test_corpus_files_are_reproducible_jsonl_with_the_documented_fields(hilo_bin, tmp_path):
    fields = {
        "pretrain": {"text"},
        "sft": {"prompt", "completion"},
        "preferences": {"prompt", "chosen", "rejected"},
        "kto": {"prompt", "completion", "label"},
        "prompts": {"prompt"},
    }
    for kind, keys in fields.items():
        a, b = tmp_path / f"{kind}-a.jsonl", tmp_path / f"{kind}-b.jsonl"
        for out in (a, b):
            r = run(hilo_bin, "corpus", "--kind", kind, "--count", "40", "--seed", "5", "-o", str(out))
            assert r.returncode == 0, r.stderr
        assert a.read_bytes() == b.read_bytes()
        rows = [json.loads(line) for line in a.read_text().splitlines()]
        assert len(rows) == 40
        assert all(set(row) == keys for row in rows)
        if "prompt" in keys:
            assert all(row["prompt"].startswith("\n\nHuman: ") and row["prompt"].endswith("\n\nAssistant:") for row in rows)
        assert not list(tmp_path.glob(".*tmp*")), "no temporary file left behind"
    # An existing file is replaced whole.
    out = tmp_path / "sft-a.jsonl"
    out.write_text("old\n" * 1000)
    r = run(hilo_bin, "corpus", "--kind", "sft", "--count", "2", "--seed", "1", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert [set(json.loads(line)) for line in out.read_text().splitlines()] == [{"prompt", "completion"}] * 2


def test_judge_passes_every_chosen_and_fails_every_rejected(hilo_bin, tmp_path):
    prefs = run(hilo_bin, "corpus", "--kind", "preferences", "--count", "200", "--seed", "8").stdout.splitlines()
    rows = [json.loads(line) for line in prefs]
    for side, expected in (("chosen", True), ("rejected", False)):
        stdin = "".join(json.dumps({"prompt": r["prompt"], "response": r[side]}) + "\n" for r in rows)
        r = run(hilo_bin, "judge", "--rule", "correct", stdin=stdin)
        assert r.returncode == 0, r.stderr
        verdicts = [json.loads(line) for line in r.stdout.splitlines()]
        assert len(verdicts) == 200
        assert all(v["demo"] and v["satisfies"] is expected for v in verdicts)
        assert f"judged 200 rows: 200 demo questions, {200 if expected else 0} satisfy correct" in r.stderr


def test_bad_input_is_a_clear_error_and_writes_nothing(hilo_bin, tmp_path):
    r = run(hilo_bin, "corpus", "--kind", "poems", "--count", "3")
    assert r.returncode != 0 and "poems" in r.stderr
    r = run(hilo_bin, "corpus", "--kind", "sft", "--count=-3")
    assert r.returncode != 0 and "--count must not be negative" in r.stderr
    r = run(hilo_bin, "corpus", "--kind", "pretrain", "--count", "3", "--conversational")
    assert r.returncode != 0 and "pretrain" in r.stderr
    out = tmp_path / "missing" / "x.jsonl"
    r = run(hilo_bin, "corpus", "--kind", "sft", "--count", "3", "-o", str(out))
    assert r.returncode != 0 and "cannot create" in r.stderr and not out.exists()
    r = run(hilo_bin, "judge", stdin='{"prompt": "What is 7 + 5?", "response": "12"}\n{"prompt": 3}\n')
    assert r.returncode != 0 and "stdin:2" in r.stderr and "prompt" in r.stderr
