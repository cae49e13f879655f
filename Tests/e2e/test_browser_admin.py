"""The admin page in a real browser (headless chromium) against `hilo serve` as a new user gets it: the
embedded starter policy, the demo prompts, and a second policy registered with `hilo models add`.

Each test checks what the admin reads and what the database then holds: Promote, Roll back, Disable
and New login link first ask, naming the consequence, and Cancel changes nothing; the Models tab shows
each version's true state and origin (no build paths) and the promotion history, which GET
/api/v1/models answers too; a retrain with no labels is headed "failed" with its error; the settings
show every loop setting and save them; the export form counts rows and words refusals as the form
does; the leaderboard and the campaign form; /favicon.ico; and at 360 px the admin tables are cards
whose buttons stay on screen. Screenshots at 1366 and 360 px go to .build/screenshots/.
"""
import json
import os
import pathlib
import re
import shutil
import sqlite3
import subprocess
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from eventually import TIMEOUT, eventually

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHOTS = ROOT / ".build" / "screenshots"
LINK = re.compile(r"/login\?token=([A-Za-z0-9_\-%.~]+)")


class World:
    def __init__(self, hilo_bin, tmp):
        self.bin, self.tmp = hilo_bin, tmp
        self.db = tmp / "hilo.db"
        self.log = tmp / "serve.log"
        self.proc = subprocess.Popen([hilo_bin, "serve", "--port", "0", "--db", str(self.db), "--public", str(ROOT / "Public")],
                                     stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        m = eventually(lambda: re.search(r"listening on http://\S+:(\d+)", self.log.read_text()), every=0.1)
        assert m, f"hilo serve did not start:\n{self.log.read_text()}"
        self.port = int(m.group(1))
        self.base = f"http://127.0.0.1:{self.port}"
        token = eventually(lambda: LINK.search(self.log.read_text()), every=0.1)
        assert token, f"hilo serve printed no admin login link:\n{self.log.read_text()}"
        self.admin_link = f"{self.base}/login?token={token.group(1)}"

    def hilo(self, *args):
        r = subprocess.run([self.bin, *args], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"hilo {' '.join(args)}:\n{r.stdout}\n{r.stderr}"
        return r.stdout

    def query(self, sql, *params):
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)


@pytest.fixture(scope="module")
def world(hilo_bin, tmp_path_factory):
    w = World(hilo_bin, tmp_path_factory.mktemp("admin"))
    try:
        # A second policy: the starter's own files plus a note, so its fingerprint differs.
        starter = pathlib.Path(w.query("SELECT path FROM model_versions WHERE name = 'policy-v1'")[0][0])
        copy = w.tmp / "trained-elsewhere"
        shutil.copytree(starter, copy)
        (copy / "NOTE.txt").write_text("fine-tuned elsewhere\n")
        w.hilo("models", "add", str(copy), "--kind", "policy", "--db", str(w.db))
        w.hilo("annotators", "add", "carol", "--db", str(w.db))
        yield w
    finally:
        w.stop()


@pytest.fixture(scope="module")
def browser(world):
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1366,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.get(world.admin_link)
    yield driver
    driver.quit()


def wait(driver, cond, what):
    return WebDriverWait(driver, TIMEOUT, poll_frequency=0.05).until(lambda d: cond(d), message=what)


def open_tab(driver, world, tab):
    driver.get(f"{world.base}/admin.html#{tab}")
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#view h1") and "Loading" not in d.find_element(By.ID, "view").text,
         what=f"the {tab} tab")


def table_rows(driver, caption):
    """The rows of the table captioned `caption` as lists of cell texts (read in one go: the page redraws)."""
    return driver.execute_script("""
        const t = [...document.querySelectorAll('#view table')].find((t) => t.caption?.textContent === arguments[0]);
        return t ? [...t.tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent)) : [];""", caption)


def model_rows(driver):
    """{name: {column: text}} of the Models tab's table."""
    heads = ["Name", "Kind", "State", "Origin", "Parent", "Run", "Pairs", "Created", "Metrics", "Action"]
    return {cells[0]: dict(zip(heads, cells)) for cells in table_rows(driver, "Model versions")}


def dialog(driver):
    """The open confirmation dialog's title and text."""
    d = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "dialog.confirm[open]"), what="the confirmation")[0]
    return d.find_element(By.ID, "confirm-title").text, d.find_element(By.ID, "confirm-text").text


def api(driver, path):
    """GET an admin route with the browser's session."""
    return driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch(arguments[0], { headers: { Accept: 'application/json' } }).then(async (r) => done([r.status, await r.text()]));""",
                                       f"/api/v1{path}")


def serving(world, kind="policy"):
    return world.query("SELECT name FROM model_versions WHERE kind = ? AND serving = 1", kind)[0][0]


def test_models_tab_states_origin_confirmations_and_the_promotion_history(world, browser):
    open_tab(browser, world, "models")
    rows = model_rows(browser)
    assert rows["policy-v1"]["State"].startswith("serving") and rows["policy-v1"]["Origin"] == "embedded starter"
    assert rows["reference-v1"]["State"].startswith("reference") and "not shown to annotators" in rows["reference-v1"]["State"]
    assert rows["policy-v2"]["State"] == "candidate (never served)" and rows["policy-v2"]["Origin"] == "added from trained-elsewhere"
    text = browser.find_element(By.ID, "view").text
    assert ".build" not in text and "/Starter/" not in text, "no build paths on the page"
    browser.save_screenshot(str(SHOTS / "admin-models-1366.png"))

    # Promote asks first and names the consequence; Cancel leaves policy-v1 serving.
    browser.find_element(By.CSS_SELECTOR, "button[aria-label='Promote policy-v2']").click()
    title, consequence = dialog(browser)
    assert title == "Promote policy-v2?"
    assert consequence.startswith("policy-v2 serves in place of policy-v1; new candidates for the annotators come from it")
    assert browser.switch_to.active_element.get_attribute("id") == "confirm-reason", "the focus is on the reason, not on the action"
    browser.save_screenshot(str(SHOTS / "admin-confirm-promote.png"))
    browser.find_element(By.ID, "confirm-no").click()
    wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog.confirm"), what="the dialog closed")
    assert serving(world) == "policy-v1"

    # Confirmed with a reason: policy-v2 serves, policy-v1 reads "replaced", the history says who and why.
    browser.find_element(By.CSS_SELECTOR, "button[aria-label='Promote policy-v2']").click()
    dialog(browser)
    browser.find_element(By.ID, "confirm-reason").send_keys("better answers on the math set")
    browser.find_element(By.ID, "confirm-yes").click()
    wait(browser, lambda d: model_rows(d).get("policy-v2", {}).get("State", "").startswith("serving"), what="policy-v2 serving")
    assert serving(world) == "policy-v2"
    rows = model_rows(browser)
    assert rows["policy-v1"]["State"] == "served before; replaced"
    hist = table_rows(browser, "Promotion history")
    assert hist[0][1:] == ["policy", "policy-v2", "policy-v1", "admin (admin)", "promoted by admin: better answers on the math set"], hist
    assert hist[-1][4] == "hilo serve" and hist[-1][5] == "registered from embedded starter", hist

    # Roll back names what serves again; afterwards policy-v2 reads "rolled back".
    browser.find_element(By.XPATH, "//button[text()='Roll back policy']").click()
    title, consequence = dialog(browser)
    assert title == "Roll back the policy?" and consequence.startswith("policy-v1 serves again in place of policy-v2")
    browser.find_element(By.ID, "confirm-yes").click()
    wait(browser, lambda d: model_rows(d).get("policy-v2", {}).get("State") == "rolled back", what="policy-v2 rolled back")
    assert serving(world) == "policy-v1"
    assert model_rows(browser)["policy-v1"]["State"].startswith("serving")

    # The same trail through the API, newest first.
    status, body = api(browser, "/models")
    assert status == 200
    reply = json.loads(body)
    states = {m["name"]: m["state"] for m in reply["models"]}
    assert states == {"policy-v1": "serving", "policy-v2": "rolled back", "reference-v1": "reference"}, states
    first = reply["promotions"][0]
    assert (first["trigger"], first["model"], first["previous"], first["by"], first["reason"]) == \
        ("rollback", "policy-v1", "policy-v2", "admin", "rolled back from policy-v2")
    assert [p["trigger"] for p in reply["promotions"]] == ["rollback", "admin", "bootstrap", "bootstrap"]
    db_trail = world.query("SELECT trigger, reason FROM model_promotions ORDER BY id DESC LIMIT 2")
    assert db_trail == [("rollback", "rolled back from policy-v2"), ("admin", "promoted by admin: better answers on the math set")]


def test_disable_and_new_login_link_ask_first(world, browser):
    open_tab(browser, world, "annotators")
    browser.find_element(By.CSS_SELECTOR, "button[aria-label='Disable carol']").click()
    title, consequence = dialog(browser)
    assert title == "Disable carol?" and consequence.startswith("carol is signed out at once and cannot sign in or label")
    browser.find_element(By.ID, "confirm-no").click()
    assert world.query("SELECT disabled FROM annotators WHERE name = 'carol'") == [(0,)]
    browser.find_element(By.CSS_SELECTOR, "button[aria-label='Disable carol']").click()
    dialog(browser)
    browser.find_element(By.ID, "confirm-yes").click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "button[aria-label='Enable carol']"), what="carol disabled")
    assert world.query("SELECT disabled FROM annotators WHERE name = 'carol'") == [(1,)]

    before = world.query("SELECT token_hash FROM annotators WHERE name = 'carol'")
    browser.find_element(By.CSS_SELECTOR, "button[aria-label='New login link for carol']").click()
    title, consequence = dialog(browser)
    assert title == "New login link for carol?" and "current login link stops working" in consequence
    browser.find_element(By.ID, "confirm-no").click()
    assert world.query("SELECT token_hash FROM annotators WHERE name = 'carol'") == before
    browser.find_element(By.CSS_SELECTOR, "button[aria-label='New login link for carol']").click()
    dialog(browser)
    browser.find_element(By.ID, "confirm-yes").click()
    wait(browser, lambda d: d.find_elements(By.ID, "login-link"), what="the new link")
    assert world.query("SELECT token_hash FROM annotators WHERE name = 'carol'") != before


def test_settings_show_every_loop_setting_and_save_them(world, browser):
    open_tab(browser, world, "settings")
    labels = [l.text for l in browser.find_elements(By.CSS_SELECTOR, "#view label")]
    for want in ("New preference pairs before retraining", "Fewest seconds between automatic runs", "Promotion of a new policy",
                 "Versions kept per kind", "Training threads", "Train on AI labels as well as human ones", "Held-out prompts",
                 "Answers per prompt and version", "Serve imported prompts before the demo set"):
        assert want in labels, (want, labels)
    assert browser.find_element(By.ID, "set-interval").get_attribute("value") == "300"
    assert Select(browser.find_element(By.ID, "set-promotion")).first_selected_option.get_attribute("value") == "automatic"
    browser.save_screenshot(str(SHOTS / "admin-settings-1366.png"))
    interval = browser.find_element(By.ID, "set-interval")
    interval.clear()
    interval.send_keys("120")
    Select(browser.find_element(By.ID, "set-promotion")).select_by_value("manual")
    samples = browser.find_element(By.ID, "set-eval-samples")
    samples.clear()
    samples.send_keys("8")
    imports_first = browser.find_element(By.ID, "set-imports-first")
    assert imports_first.is_selected(), "imports come first by default"
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", imports_first)   # clear of the sticky top bar
    imports_first.click()
    browser.find_element(By.CSS_SELECTOR, "#view form button[type=submit]").click()
    wait(browser, lambda d: "Settings saved" in d.find_element(By.ID, "status").get_attribute("textContent"), what="saved")
    saved = {k: json.loads(v) for k, v in world.query("SELECT key, value FROM settings")}
    assert saved["retraining"]["min_interval_seconds"] == 120 and saved["retraining"]["promotion"] == "manual"
    assert saved["evaluation"]["samples_per_prompt"] == 8
    assert saved["imports_first"] is False, saved.get("imports_first")


def test_a_failed_run_is_headed_by_its_outcome_and_error(world, browser):
    open_tab(browser, world, "training")
    text = browser.find_element(By.ID, "view").text
    assert "0 new preference pairs of 50 needed" in text, text
    browser.find_element(By.XPATH, "//button[text()='Retrain now']").click()
    # No labels yet: the run fails at once, and its header says so with the error under it.
    read = """return [...document.querySelectorAll('section.run')].map((b) => ({
        outcome: b.querySelector('h2 .outcome')?.textContent, detail: b.querySelector('.outcome-detail')?.textContent,
        wrap: [...b.querySelectorAll('pre.log')].map((p) => getComputedStyle(p).whiteSpace) }));"""
    runs = wait(browser, lambda d: [r for r in d.execute_script(read) if r["outcome"] == "failed"], what="the failed run")
    error = world.query("SELECT error FROM training_runs ORDER BY id DESC LIMIT 1")[0][0]
    assert error and runs[0]["detail"] == error, (runs, error)
    assert all(w == "pre-wrap" for w in runs[0]["wrap"]), runs
    browser.save_screenshot(str(SHOTS / "admin-training-1366.png"))


def test_export_form_counts_rows_and_words_refusals_as_the_form_does(world, browser):
    open_tab(browser, world, "data")
    formats = [o.get_attribute("value") for o in Select(browser.find_element(By.ID, "exp-format")).options]
    assert formats == ["trl", "hh", "rm-static", "kto", "sft", "prompts", "pairs", "raw"]
    Select(browser.find_element(By.ID, "exp-format")).select_by_value("prompts")
    queued = world.query("SELECT count(*) FROM prompts WHERE heldout = 0")[0][0]
    want = f"{queued:,} rows to download."
    wait(browser, lambda d: d.find_element(By.ID, "exp-count").text == want, what=want)

    Select(browser.find_element(By.ID, "exp-format")).select_by_value("trl")
    browser.find_element(By.ID, "exp-annotator").send_keys("nobody")
    wait(browser, lambda d: d.find_element(By.ID, "exp-count").text.startswith("Cannot export: no annotator named \"nobody\""),
         what="the unknown annotator refused")
    assert browser.find_element(By.ID, "exp-link").get_attribute("aria-disabled") == "true"
    browser.find_element(By.ID, "exp-annotator").clear()
    agree = browser.find_element(By.ID, "exp-agree")
    agree.send_keys("2")
    wait(browser, lambda d: d.find_element(By.ID, "exp-count").text.startswith("Cannot export: Minimum agreement"), what="agreement refused")
    message = browser.find_element(By.ID, "exp-count").text
    assert "min_agreement" not in message and "--" not in message, message
    agree.clear()
    agree.send_keys("0.5")
    wait(browser, lambda d: d.find_element(By.ID, "exp-count").text == "0 rows to download. Nothing matches these filters yet.", what="zero rows")
    assert browser.find_element(By.ID, "exp-link").get_attribute("aria-disabled") is None
    browser.save_screenshot(str(SHOTS / "admin-data-1366.png"))


def test_leaderboard_and_campaign_form(world, browser):
    open_tab(browser, world, "evaluations")
    # A is the serving policy, B the other one; the reference (policy-v1's weights) is never the default.
    assert Select(browser.find_element(By.ID, "eval-a")).first_selected_option.get_attribute("value") == "policy-v1"
    assert Select(browser.find_element(By.ID, "eval-b")).first_selected_option.get_attribute("value") == "policy-v2"
    Select(browser.find_element(By.ID, "eval-b")).select_by_value("reference-v1")
    browser.find_element(By.ID, "eval-create").click()
    wait(browser, lambda d: "hold the same weights" in d.find_element(By.ID, "status").get_attribute("textContent"), what="refused")
    assert world.query("SELECT count(*) FROM eval_campaigns") == [(0,)]
    rows = table_rows(browser, "Leaderboard")
    assert sorted(r[1] for r in rows) == ["policy-v1 (serving)", "policy-v2", "reference-v1 (reference)"], rows
    for row in rows:  # nothing was judged: no version is ranked, no score reads -0
        assert row[0] == "not compared" and row[2] == "—", row
    assert "-0" not in browser.find_element(By.ID, "view").text
    assert Select(browser.find_element(By.ID, "eval-b")).first_selected_option.text == "reference-v1 (reference)"
    browser.save_screenshot(str(SHOTS / "admin-evaluations-1366.png"))
    open_tab(browser, world, "dashboard")
    browser.save_screenshot(str(SHOTS / "admin-dashboard-1366.png"))


def test_favicon_ico_is_served(world):
    with urllib.request.urlopen(f"{world.base}/favicon.ico", timeout=10) as r:
        body = r.read()
        assert r.status == 200 and r.headers["Content-Type"] == "image/x-icon"
    assert body[:4] == b"\x00\x00\x01\x00", "an ICO header"


def test_at_360px_the_admin_tables_are_cards_with_their_buttons_on_screen(world, browser):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 360, "height": 800, "deviceScaleFactor": 1, "mobile": True})
    try:
        for tab in ("models", "annotators", "training", "settings", "data", "evaluations", "dashboard"):
            open_tab(browser, world, tab)
            width = browser.execute_script("return document.documentElement.scrollWidth")
            assert width <= 360, f"the {tab} tab is {width}px wide at 360px"
            for b in browser.find_elements(By.CSS_SELECTOR, "#view table button"):
                right = browser.execute_script("const r = arguments[0].getBoundingClientRect(); return r.right;", b)
                assert right <= 360, f"{b.text} on {tab} ends at {right}px"
            browser.save_screenshot(str(SHOTS / f"admin-{tab}-360px.png"))
        open_tab(browser, world, "models")
        promote = browser.find_element(By.CSS_SELECTOR, "button[aria-label='Promote policy-v2']")
        assert promote.is_displayed()
        label = browser.execute_script("return getComputedStyle(arguments[0], '::before').content;",
                                       promote.find_element(By.XPATH, ".."))
        assert label == '"Action"', label
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
