"""A blind evaluation end to end: tiny random GPT-2 folders (written with transformers, tokenizer by
`hilo tokenizer train`), registered as policy-v1, policy-v2 and reward-v1 beside a running `hilo serve`;
`hilo eval create` samples and prepares a campaign on three held-out prompts; an annotator in a real
browser judges the blind comparisons with the keys 2, 1 and t; the stored winners are the choices mapped
through `swapped`; `hilo eval show`, `leaderboard` and `auto` report them.
"""
import json
import pathlib
import shutil
import sqlite3
import subprocess
import time

import pytest
import torch
from selenium.webdriver.common.by import By
from transformers import GPT2Config, GPT2ForSequenceClassification, GPT2LMHeadModel

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from test_browser_ui import LINK, SHOTS, Server, free_port, wait


def run(binary, *args) -> str:
    r = subprocess.run([binary, *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"hilo {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}"
    return r.stdout


def tiny_models(binary, tmp: pathlib.Path) -> dict:
    corpus = tmp / "corpus.txt"
    corpus.write_text("what is one plus one? two. what is two plus two? four.\n" * 20)
    tok = tmp / "tok"
    run(binary, "tokenizer", "train", "--corpus", str(corpus), "--vocab-size", "300", "--out", str(tok))
    config = dict(vocab_size=300, n_positions=64, n_embd=16, n_layer=1, n_head=2, bos_token_id=0, eos_token_id=0)
    paths = {}
    for name, seed, cls in [("policy-v1", 1, GPT2LMHeadModel), ("policy-v2", 2, GPT2LMHeadModel),
                            ("reward-v1", 3, GPT2ForSequenceClassification)]:
        torch.manual_seed(seed)
        extra = dict(num_labels=1, pad_token_id=0) if cls is GPT2ForSequenceClassification else {}
        model = cls(GPT2Config(**config, **extra))
        out = tmp / "models" / name
        model.save_pretrained(out, safe_serialization=True)
        for f in ("tokenizer.json", "vocab.json", "merges.txt"):
            shutil.copy(tok / f, out / f)
        paths[name] = out
    return paths


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def world(hilo_bin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("evaluation")
    models = tiny_models(hilo_bin, tmp)
    db = tmp / "hilo.db"
    server = Server(hilo_bin, db, free_port(), tmp / "serve.log")
    server.start()
    prompts = tmp / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": f"what is {n} plus {n}?"}) + "\n" for n in range(3)))
    run(hilo_bin, "import", str(prompts), "--format", "prompts", "--db", str(db))
    con = sqlite3.connect(db, timeout=10)
    with con:
        con.execute("UPDATE prompts SET heldout = 1")
        for name, kind in [("policy-v1", "policy"), ("policy-v2", "policy"), ("reward-v1", "reward")]:
            con.execute("INSERT INTO model_versions (name, kind, path, created_at, metrics, serving) VALUES (?, ?, ?, 0, '{}', ?)",
                        (name, kind, str(models[name]), 1 if name != "policy-v2" else 0))
    con.close()
    out = run(hilo_bin, "eval", "create", "--db", str(db), "--a", "policy-v1", "--b", "policy-v2", "--max-new-tokens", "8")
    assert "0 of 3 judged" in out, out
    alice = LINK.search(run(hilo_bin, "annotators", "add", "alice", "--db", str(db))).group(1)
    admin = LINK.findall(server.log.read_text())[0]
    yield dict(bin=hilo_bin, db=db, server=server, models=models, prompts=prompts,
               alice=f"http://127.0.0.1:{server.port}/login?token={alice}",
               admin=f"http://localhost:{server.port}/login?token={admin}", port=server.port)
    server.stop()


def test_an_annotator_judges_blind_comparisons_by_keyboard_and_the_winners_map_through_swapped(world, browser):
    browser.get(world["alice"])
    wait(browser, lambda d: d.find_element(By.ID, "blind").is_displayed(), what="the blind comparison mode")
    keys = ["2", "1", "t"]
    for i, key in enumerate(keys):
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '#blind-responses [data-side="left"] .text'), what="the two texts")
        page = browser.find_element(By.ID, "blind").get_attribute("textContent")
        assert "policy" not in page and "reward" not in page, "the page must not name the models"
        prompt = browser.find_element(By.ID, "blind-prompt").get_attribute("textContent")
        left = f"{3 - i} comparison{'s' if 3 - i != 1 else ''} left, this one included"
        wait(browser, lambda d: d.find_element(By.ID, "blind-left").text == left, what=left)  # counts down
        assert not browser.find_elements(By.CSS_SELECTOR, "#blind .choice-buttons button:focus"), "no answer looks chosen"
        if i == 1:  # a mis-click, taken back with u: the same comparison comes back unjudged
            browser.find_element(By.CSS_SELECTOR, '#blind [data-choice="right"]').click()  # then 1 (left) after the undo
            wait(browser, lambda d: d.find_element(By.ID, "blind-prompt").get_attribute("textContent") != prompt, what="the next one")
            judged = sqlite3.connect(f"file:{world['db']}?mode=ro", uri=True).execute(
                "SELECT count(*) FROM eval_comparisons WHERE winner IS NOT NULL").fetchone()[0]
            assert judged == 2
            assert not browser.find_elements(By.CSS_SELECTOR, "#blind .choice-buttons button:focus"), "the click left no focus behind"
            browser.find_element(By.TAG_NAME, "body").send_keys("u")
            wait(browser, lambda d: d.find_element(By.ID, "blind-prompt").get_attribute("textContent") == prompt, what="the undone one back")
            wait(browser, lambda d: d.find_element(By.ID, "blind-left").text == left, what="the counter back up")
            judged = sqlite3.connect(f"file:{world['db']}?mode=ro", uri=True).execute(
                "SELECT count(*) FROM eval_comparisons WHERE winner IS NOT NULL").fetchone()[0]
            assert judged == 1
        browser.find_element(By.TAG_NAME, "body").send_keys(key)
        wait(browser, lambda d: not d.find_element(By.ID, "blind").is_displayed()
             or d.find_element(By.ID, "blind-prompt").get_attribute("textContent") != prompt, what="the next comparison")
    wait(browser, lambda d: not d.find_element(By.ID, "blind").is_displayed(), what="leaving blind mode when none is left")
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "evaluation-done.png"))

    con = sqlite3.connect(f"file:{world['db']}?mode=ro", uri=True, timeout=10)
    rows = con.execute("SELECT swapped, winner FROM eval_comparisons ORDER BY id").fetchall()
    con.close()
    assert len(rows) == 3
    want = []
    for (swapped, _), key in zip(rows, keys):
        choice = {"1": "left", "2": "right", "t": "tie"}[key]
        want.append("tie" if choice == "tie" else ("a" if (choice == "left") != bool(swapped) else "b"))
    assert [w for _, w in rows] == want

    # The admin page (another host name, so another cookie) shows the result with its interval and the board.
    browser.get(world["admin"])
    browser.get(f"http://localhost:{world['port']}/admin.html#evaluations")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "button[aria-label^='Result of']"), what="the campaigns table")
    browser.find_element(By.CSS_SELECTOR, "button[aria-label^='Result of']").click()
    counts = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-result='counts']"), what="the result")[0]
    assert counts.text == f"A policy-v1 won {want.count('a')}, B policy-v2 won {want.count('b')}, 1 tie"
    assert "Wilson interval" in browser.find_element(By.CSS_SELECTOR, "[data-result='win-rate']").text
    assert "policy-v2" in browser.find_element(By.ID, "view").text and "Leaderboard" in browser.find_element(By.ID, "view").text
    browser.save_screenshot(str(SHOTS / "evaluation-admin.png"))

    shown = json.loads(run(world["bin"], "eval", "show", "--db", str(world["db"]), "1", "--json"))
    result = shown["result"]
    assert (result["wins"], result["ties"], result["losses"]) == (want.count("b"), 1, want.count("a"))
    assert shown["campaign"]["status"] == "open" and shown["progress"] == 1
    assert 0 <= result["win_rate_lower"] <= result["win_rate_upper"] <= 1
    board = json.loads(run(world["bin"], "eval", "leaderboard", "--db", str(world["db"]), "--json"))
    assert sorted(e["name"] for e in board["entries"]) == ["policy-v1", "policy-v2"] and board["comparisons"] == 3


def test_eval_auto_measures_two_folders_without_a_database(world):
    m = world["models"]
    out = json.loads(run(world["bin"], "eval", "auto", "--a", str(m["policy-v1"]), "--b", str(m["policy-v1"]),
                         "--reward", str(m["reward-v1"]), "--prompts", str(world["prompts"]), "--reference", str(m["policy-v1"]),
                         "--max-new-tokens", "8", "--json"))
    assert out["prompts"] == 3
    assert out["reward_win_rate"]["ties"] == 3, "a policy against itself ties on every prompt"
    assert out["kl_a"]["mean"] == 0 and out["kl_b"]["mean"] == 0
    assert out["mean_reward_a"]["mean"] == out["mean_reward_b"]["mean"]
