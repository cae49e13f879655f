"""A ranking left in the order shown, submitted with something else (a thumb, a rationale), in the real
browser. The page used to say "Saved" and store a `feedback` judgment without ranks: no pair, Total
unchanged, the prompt back in the queue. What is on the screen is what is saved: the untouched ranking
asks the same confirmation a bare Enter asks and, once confirmed, is stored as the ranking shown with
the extras in the same judgment. Its own server and database, so the main browser suite's counts stay.
"""
import sqlite3
import subprocess

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from test_browser_ui import LINK, SHOTS, Server, free_port, prompt_text, shot, status, wait, wait_empty, wait_task


@pytest.fixture(scope="module")
def setup(hilo_bin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ranking-extras")
    db = tmp / "hilo.db"
    server = Server(hilo_bin, db, free_port(), tmp / "serve.log")
    server.start()
    rows = tmp / "rows.jsonl"
    rows.write_text('{"prompt": "R1 marker: name a prime", "responses": ["R1 two", "R1 four", "R1 six"]}\n')
    run = lambda *args: subprocess.run([hilo_bin, *args, "--db", str(db)], capture_output=True, text=True, timeout=60)
    assert run("import", str(rows), "--format", "responses").returncode == 0
    out = run("annotators", "add", "alice")
    token = LINK.search(out.stdout + out.stderr).group(1)
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield db, driver, f"http://127.0.0.1:{server.port}/login?token={token}"
    finally:
        driver.quit()
        server.stop()


def query(db, sql, *params):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def test_an_untouched_ranking_with_a_thumb_and_a_rationale_is_confirmed_then_stored_as_shown(setup):
    db, browser, link = setup
    browser.get(link)
    ids = wait_task(browser, "R1 marker")
    assert len(ids) == 3
    browser.find_element(By.CSS_SELECTOR, '.response[data-pos="0"] .thumb.up').click()
    browser.find_element(By.ID, "rationale").send_keys("A is the only prime.")

    browser.find_element(By.ID, "btn-submit").click()
    wait(browser, lambda d: "You have not changed the order" in status(d), what="the confirmation")
    shot(browser, "annotate-ranking-confirm")
    assert "R1 marker" in prompt_text(browser), "the task stays until the order is confirmed"
    assert query(db, "SELECT count(*) FROM judgments") == [(0,)], "nothing is stored before the confirmation"

    browser.find_element(By.ID, "btn-submit").click()
    wait_empty(browser)
    wait(browser, lambda d: "Saved" in status(d), what="saved")
    stored = query(db, "SELECT id, kind, rationale FROM judgments")
    assert [(k, r) for _, k, r in stored] == [("ranking", "A is the only prime.")]
    jid = stored[0][0]
    assert dict(query(db, "SELECT response_id, rank FROM judgment_ranks WHERE judgment_id = ?", jid)) == \
        {ids[0]: 1, ids[1]: 2, ids[2]: 3}, "the ranking as shown"
    assert query(db, "SELECT response_id, thumb FROM judgment_thumbs WHERE judgment_id = ?", jid) == [(ids[0], 1)]
    assert query(db, "SELECT count(*) FROM preference_pairs") == [(3,)]
    wait(browser, lambda d: d.find_element(By.ID, "p-total").text == "1", what="Total counts the ranking")


def test_undo_brings_a_ranking_with_a_tie_back_as_it_was_submitted(setup):
    db, browser, _ = setup
    assert query(db, "SELECT count(*) FROM judgments WHERE undone_at IS NULL") == [(1,)], "runs after the test above"
    jid = query(db, "SELECT id FROM judgments")[0][0]
    ids = [r for (r,) in query(db, "SELECT response_id FROM judgment_ranks WHERE judgment_id = ? ORDER BY rank", jid)]
    browser.find_element(By.ID, "btn-undo").click()
    wait_task(browser, "R1 marker")
    tiers = [[c.get_attribute("data-pos") for c in t.find_elements(By.CSS_SELECTOR, ".chip")]
             for t in browser.find_elements(By.CSS_SELECTOR, "#tiers .tier")]
    assert tiers == [["0"], ["1"], ["2"]], "the submitted order, one response per row"
    assert browser.find_element(By.ID, "rationale").get_attribute("value") == "A is the only prime."
    assert browser.find_element(By.CSS_SELECTOR, '.response[data-pos="0"] .thumb.up').get_attribute("aria-pressed") == "true"
    # Tie C with B (select C, "="), then submit: a restored ranking needs no confirmation.
    browser.find_element(By.CSS_SELECTOR, '#tiers .chip[data-pos="2"]').click()
    browser.find_element(By.TAG_NAME, "body").send_keys("=")
    browser.find_element(By.ID, "btn-submit").click()
    wait_empty(browser)
    live = query(db, "SELECT id FROM judgments WHERE undone_at IS NULL")
    assert len(live) == 1 and live[0][0] != jid
    assert dict(query(db, "SELECT response_id, rank FROM judgment_ranks WHERE judgment_id = ?", live[0][0])) == \
        {ids[0]: 1, ids[1]: 2, ids[2]: 2}
    # Undo again: the tie comes back as submitted, and Submit stores it again without a confirmation.
    browser.find_element(By.ID, "btn-undo").click()
    wait_task(browser, "R1 marker")
    tiers = [[c.get_attribute("data-pos") for c in t.find_elements(By.CSS_SELECTOR, ".chip")]
             for t in browser.find_elements(By.CSS_SELECTOR, "#tiers .tier")]
    assert tiers == [["0"], ["1", "2"]], "the tie as submitted, not the order shown"
    shot(browser, "annotate-undo-ranking-restored")
    browser.find_element(By.ID, "btn-submit").click()
    wait_empty(browser)
    live = query(db, "SELECT id FROM judgments WHERE undone_at IS NULL")
    assert dict(query(db, "SELECT response_id, rank FROM judgment_ranks WHERE judgment_id = ?", live[0][0])) == \
        {ids[0]: 1, ids[1]: 2, ids[2]: 2}
