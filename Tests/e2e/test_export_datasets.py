"""`hilo import` then `hilo export`: the trl and hh outputs load with the real
`datasets.load_dataset("json", ...)` and have exactly the columns TRL's DPOTrainer (prompt, chosen,
rejected) and RewardTrainer (chosen, rejected: implicit prompt) expect; the split writes files that
datasets maps to train and test; bad input and a full disk give clear errors and leave no half file."""
import json
import sqlite3
import subprocess

import pytest

datasets = pytest.importorskip("datasets")

RANKED = [
    {"prompt": "What is 2+2?", "responses": ["4", "5", "It is four."], "ranks": [1, 3, 2]},
    {"prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say \"hi\""}],
     "responses": ["hi", "Hello there,\nfriend!"], "ranks": [2, 1]},
] + [{"prompt": f"Question {k}?", "responses": [f"good {k}", f"bad {k}"], "ranks": [1, 2]} for k in range(40)]

HH = {
    "chosen": "\n\nHuman: Tell me a joke.\n\nAssistant: Why did the chicken cross the road?",
    "rejected": "\n\nHuman: Tell me a joke.\n\nAssistant: No.",
}


def run(hilo_bin, *args, check=True):
    proc = subprocess.run([hilo_bin, *args], capture_output=True, text=True)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture()
def db(tmp_path, hilo_bin):
    ranked = tmp_path / "ranked.jsonl"
    ranked.write_text("".join(json.dumps(r) + "\n" for r in RANKED))
    hh = tmp_path / "hh.jsonl"
    hh.write_text(json.dumps(HH) + "\n")
    path = str(tmp_path / "hilo.db")
    run(hilo_bin, "import", str(ranked), "--format", "responses", "--db", path)
    run(hilo_bin, "import", str(hh), "--format", "hh", "--db", path)
    return path


def load(path):
    return datasets.load_dataset("json", data_files=str(path), split="train")


def test_trl_export_loads_with_exactly_the_dpo_columns(hilo_bin, db, tmp_path):
    out = tmp_path / "dpo.jsonl"
    run(hilo_bin, "export", "--format", "trl", "--db", db, "-o", str(out))
    ds = load(out)
    assert ds.column_names == ["prompt", "chosen", "rejected"]
    # 3 pairs from the 3-way ranking, 1 from the conversation, 40 simple ones, 1 from HH.
    assert ds.num_rows == 45
    assert ds[0] == {"prompt": "What is 2+2?", "chosen": "4", "rejected": "5"}
    assert ds[3] == {"prompt": "Be brief.\n\nHuman: Say \"hi\"\n\nAssistant:", "chosen": " Hello there,\nfriend!", "rejected": " hi"}


def test_prompts_export_loads_as_a_prompt_only_dataset_without_held_out_prompts(hilo_bin, db, tmp_path):
    with sqlite3.connect(db) as c:
        c.execute("UPDATE prompts SET heldout = 1 WHERE text = 'Question 0?'")
    out = tmp_path / "prompts.jsonl"
    run(hilo_bin, "export", "--format", "prompts", "--db", db, "-o", str(out))
    ds = load(out)
    # TRL's prompt-only format (PPO, RLOO, GRPO): one "prompt" column; 42 imported prompts, one held out.
    assert ds.column_names == ["prompt"] and ds.num_rows == 42
    assert ds[0] == {"prompt": "What is 2+2?"}
    assert ds[1] == {"prompt": "Be brief.\n\nHuman: Say \"hi\"\n\nAssistant:"}
    assert "Question 0?" not in ds["prompt"] and "Question 1?" in ds["prompt"]
    run(hilo_bin, "export", "--format", "prompts", "--conversational", "--db", db, "-o", str(tmp_path / "conv.jsonl"))
    conv = load(tmp_path / "conv.jsonl")
    assert conv[1]["prompt"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": 'Say "hi"'}]


def test_conversational_trl_export_has_message_lists(hilo_bin, db, tmp_path):
    out = tmp_path / "conv.jsonl"
    run(hilo_bin, "export", "--format", "trl", "--conversational", "--db", db, "-o", str(out))
    ds = load(out)
    assert ds.column_names == ["prompt", "chosen", "rejected"]
    row = ds[3]
    assert row["prompt"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say \"hi\""}]
    assert row["chosen"] == [{"role": "assistant", "content": "Hello there,\nfriend!"}]
    assert row["rejected"] == [{"role": "assistant", "content": "hi"}]


def test_hh_export_loads_with_exactly_the_reward_trainer_columns(hilo_bin, db, tmp_path):
    out = tmp_path / "hh_out.jsonl"
    run(hilo_bin, "export", "--format", "hh", "--db", db, "-o", str(out))
    ds = load(out)
    assert ds.column_names == ["chosen", "rejected"]
    assert ds.num_rows == 45
    # The imported HH row comes back as it went in.
    assert ds[-1] == HH
    for row in ds:
        assert row["chosen"].startswith("\n\nHuman: ") or row["chosen"].startswith("Be brief.")
        assert "\n\nAssistant: " in row["chosen"] and "\n\nAssistant: " in row["rejected"]


def test_implicit_prompt_trl_export_loads_with_chosen_and_rejected_only(hilo_bin, db, tmp_path):
    out = tmp_path / "rm.jsonl"
    run(hilo_bin, "export", "--format", "trl", "--implicit-prompt", "--conversational", "--db", db, "-o", str(out))
    ds = load(out)
    assert ds.column_names == ["chosen", "rejected"]
    assert ds[0]["chosen"] == [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4"}]


def test_kto_and_sft_exports_have_the_trainer_columns(hilo_bin, db, tmp_path):
    sft_in = tmp_path / "sft.jsonl"
    sft_in.write_text(json.dumps({"prompt": "Say hi", "completion": "Hi!"}) + "\n")
    run(hilo_bin, "import", str(sft_in), "--format", "sft", "--db", db)
    kto, sft = tmp_path / "kto.jsonl", tmp_path / "sft_out.jsonl"
    run(hilo_bin, "export", "--format", "kto", "--db", db, "-o", str(kto))
    run(hilo_bin, "export", "--format", "sft", "--db", db, "-o", str(sft))
    k = load(kto)
    assert k.column_names == ["prompt", "completion", "label"] and k.num_rows == 90
    assert sorted(set(k["label"])) == [False, True]
    s = load(sft)
    assert s.column_names == ["prompt", "completion"] and s[0] == {"prompt": "Say hi", "completion": "Hi!"}


def test_split_writes_train_and_test_files_that_datasets_maps_to_splits(hilo_bin, db, tmp_path):
    out_dir = tmp_path / "split"
    out_dir.mkdir()
    run(hilo_bin, "export", "--format", "trl", "--db", db, "-o", str(out_dir / "prefs.jsonl"),
        "--test-fraction", "0.3", "--seed", "7")
    assert sorted(p.name for p in out_dir.iterdir()) == ["prefs.test.jsonl", "prefs.train.jsonl"]
    dd = datasets.load_dataset("json", data_dir=str(out_dir))
    assert sorted(dd.keys()) == ["test", "train"]
    assert dd["train"].num_rows + dd["test"].num_rows == 45
    assert 0 < dd["test"].num_rows < 45
    assert not set(dd["train"]["prompt"]) & set(dd["test"]["prompt"])
    # The same seed gives the same files.
    again = tmp_path / "again.jsonl"
    run(hilo_bin, "export", "--format", "trl", "--db", db, "-o", str(again), "--test-fraction", "0.3", "--seed", "7")
    assert (tmp_path / "again.test.jsonl").read_text() == (out_dir / "prefs.test.jsonl").read_text()


def test_unknown_format_is_a_usage_error(hilo_bin, db):
    proc = run(hilo_bin, "export", "--format", "parquet", "--db", db, check=False)
    assert proc.returncode != 0 and "parquet" in proc.stderr


def test_a_file_size_limit_fails_the_export_and_leaves_no_file(hilo_bin, db, tmp_path):
    many = tmp_path / "many.jsonl"
    many.write_text("".join(json.dumps({"prompt": f"q{k}", "responses": ["a" * 200, "b" * 200], "ranks": [1, 2]}) + "\n"
                            for k in range(1000)))
    run(hilo_bin, "import", str(many), "--format", "responses", "--db", db)
    out = tmp_path / "big.jsonl"
    # 100 kB is enough to open the database (its -shm file is 32 kB) but not for the 400 kB export.
    proc = subprocess.run(["bash", "-c", f'ulimit -f 100; exec "$0" export --format trl --db {db} -o {out}', hilo_bin],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "write failed" in proc.stderr and "was not written" in proc.stderr
    assert list(tmp_path.glob("*big*")) == []


def test_a_file_size_limit_during_import_names_the_file_and_keeps_the_database_sound(hilo_bin, tmp_path):
    rows = tmp_path / "many.jsonl"
    rows.write_text("".join(json.dumps({"prompt": f"{k} " + "x" * 500}) + "\n" for k in range(3000)))
    path = tmp_path / "limited.db"
    proc = subprocess.run(["bash", "-c", f'ulimit -f 400; exec "$0" import {rows} --format prompts --batch-size 100 --db {path}', hilo_bin],
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert f"{rows}:" in proc.stderr and "error:" in proc.stderr
    run(hilo_bin, "db", "check", "--db", str(path))
    kept = sqlite3.connect(path).execute("SELECT count(*) FROM prompts").fetchone()[0]
    assert 0 < kept < 3000 and kept % 100 == 0


def test_a_locked_database_fails_the_import_with_a_clear_error_and_nothing_written(hilo_bin, db, tmp_path):
    rows = tmp_path / "p.jsonl"
    rows.write_text(json.dumps({"prompt": "locked out"}) + "\n")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        proc = run(hilo_bin, "import", str(rows), "--format", "prompts", "--db", db, check=False)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert proc.returncode == 1
    assert "locked" in proc.stderr and f"{rows}:1" in proc.stderr
    count = sqlite3.connect(db).execute("SELECT count(*) FROM prompts WHERE text = 'locked out'").fetchone()[0]
    assert count == 0


def test_strict_import_reports_file_line_and_field_and_writes_nothing(hilo_bin, tmp_path):
    rows = tmp_path / "bad.jsonl"
    rows.write_text(json.dumps({"prompt": "fine"}) + "\n" + json.dumps({"prompt": "x", "extra": 1}) + "\n")
    path = str(tmp_path / "s.db")
    proc = run(hilo_bin, "import", str(rows), "--format", "prompts", "--strict", "--db", path, check=False)
    assert proc.returncode == 1
    assert f"{rows}:2: extra: unknown field" in proc.stderr
    assert sqlite3.connect(path).execute("SELECT count(*) FROM prompts").fetchone()[0] == 0


def test_db_check_finds_a_hand_edited_row(hilo_bin, db):
    run(hilo_bin, "db", "check", "--db", db)
    con = sqlite3.connect(db)
    con.execute("UPDATE responses SET text = 'tampered' WHERE id = 1")
    con.commit()
    con.close()
    proc = run(hilo_bin, "db", "check", "--db", db, check=False)
    assert proc.returncode == 1 and "response content hash does not match its text: id 1" in proc.stdout


def test_unknown_import_format_is_a_usage_error(hilo_bin, tmp_path):
    rows = tmp_path / "p.jsonl"
    rows.write_text("{}\n")
    proc = run(hilo_bin, "import", str(rows), "--format", "alpaca", "--db", str(tmp_path / "x.db"), check=False)
    assert proc.returncode != 0 and "alpaca" in proc.stderr
