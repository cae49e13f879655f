"""The web interface in a real browser (Debian's headless chromium through chromedriver) against a
real `hilo serve` on a temporary database and a free port.

One annotator (alice) works through the queue as data is imported in phases, so each test knows
which task comes next: a pairwise task with the mouse, one with the keyboard, a ranking of four
with a tie by keyboard only, ratings with a rationale and a rewrite (then undo and skip), a submit
while the server is down, and prompts full of HTML and script. The admin works on `localhost`
while alice works on `127.0.0.1`, so the two sessions keep separate cookies in one browser.
The last tests compare the database (read-only) and `hilo export --format raw` with exactly what
was entered. Screenshots of every page go to .build/screenshots/.
"""
import json
import os
import pathlib
import re
import signal
import socket
import sqlite3
import subprocess
import urllib.error
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from eventually import TIMEOUT, eventually

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHOTS = ROOT / ".build" / "screenshots"
LINK = re.compile(r"/login\?token=([A-Za-z0-9_\-%.~]+)")

XSS = [
    "<script>window.__xss = 1</script>",
    '<img src=x onerror="window.__xss = 2">',
    '<a href="javascript:window.__xss = 3">click me</a>',
    "</textarea><script>window.__xss = 4</script>",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A `hilo serve` process on a fixed port and database that can be stopped and started again."""

    def __init__(self, binary: str, db: pathlib.Path, port: int, log: pathlib.Path):
        self.binary, self.db, self.port, self.log = binary, db, port, log
        self.proc = None

    def start(self) -> None:
        out = open(self.log, "a")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--no-demo", "--db", str(self.db), "--host", "127.0.0.1", "--port", str(self.port),
             "--public", str(ROOT / "Public")],
            stdout=out, stderr=subprocess.STDOUT, cwd=self.db.parent)

        def healthy():
            assert self.proc.poll() is None, f"hilo serve exited:\n{self.log.read_text()}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5) as r:
                    return r.status == 200
            except (urllib.error.URLError, ConnectionError, OSError):
                return False
        assert eventually(healthy), f"hilo serve did not come up:\n{self.log.read_text()}"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Ctx:
    """What the tests share: the server, the browser, and every judgment entered so far."""

    def __init__(self, hilo_bin, tmp):
        self.bin = hilo_bin
        self.tmp = tmp
        self.db = tmp / "hilo.db"
        self.port = free_port()
        self.server = Server(hilo_bin, self.db, self.port, tmp / "serve.log")
        self.alice_url = f"http://127.0.0.1:{self.port}"
        self.admin_url = f"http://localhost:{self.port}"
        self.expected = []  # judgments alice made, in order: dicts checked against DB and export
        self.phase = 0

    def hilo(self, *args) -> str:
        r = subprocess.run([self.bin, *args], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, f"hilo {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}"
        return r.stdout + r.stderr

    def import_rows(self, rows, fmt="responses") -> None:
        self.phase += 1
        path = self.tmp / f"phase{self.phase}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        self.hilo("import", str(path), "--format", fmt, "--db", str(self.db))

    def query(self, sql, *params):
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def prompt_id(self, marker: str) -> int:
        rows = self.query("SELECT id FROM prompts WHERE text LIKE ?", f"%{marker}%")
        assert len(rows) == 1, f"expected one prompt with {marker!r}, got {rows}"
        return rows[0][0]


@pytest.fixture(scope="module")
def ctx(hilo_bin, tmp_path_factory):
    c = Ctx(hilo_bin, tmp_path_factory.mktemp("browser"))
    c.server.start()
    try:
        with urllib.request.urlopen(f"{c.alice_url}/api/v1/openapi.json", timeout=5) as r:
            assert r.status == 200
    except urllib.error.HTTPError as e:  # the API branch has not been merged into this build
        c.server.stop()
        pytest.fail(f"the JSON API is missing from this build (GET /api/v1/openapi.json gave {e.code})")
    tokens = LINK.findall(c.server.log.read_text())
    assert tokens, f"hilo serve printed no admin login link:\n{c.server.log.read_text()}"
    c.admin_link = f"{c.admin_url}/login?token={tokens[0]}"
    out = c.hilo("annotators", "add", "alice", "--db", str(c.db))
    assert LINK.search(out), f"hilo annotators add printed no login link:\n{out}"
    c.alice_link = f"{c.alice_url}/login?token={LINK.search(out).group(1)}"
    yield c
    c.server.stop()


@pytest.fixture(scope="module")
def browser(ctx):
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


# ---- helpers ------------------------------------------------------------------------------------

def wait(driver, cond, timeout=TIMEOUT, what="condition"):
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: cond(d), message=what)


def keys(driver, *ks):
    chain = ActionChains(driver)
    for k in ks:
        chain.send_keys(k)
    chain.perform()


def unfocus(driver):
    """Moves the keyboard focus back to the page itself, as after a click on empty space."""
    driver.execute_script("document.activeElement && document.activeElement.blur()")


def status(driver) -> str:
    return driver.find_element(By.ID, "status").get_attribute("textContent")


def prompt_text(driver) -> str:
    return driver.find_element(By.ID, "prompt").get_attribute("textContent")


def wait_task(driver, marker):
    wait(driver, lambda d: marker in prompt_text(d) and d.find_element(By.ID, "task").is_displayed(),
         what=f"a task with {marker}")
    cards = driver.find_elements(By.CSS_SELECTOR, "#responses .response")
    return [int(c.get_attribute("data-response-id")) for c in cards]


def wait_empty(driver):
    wait(driver, lambda d: d.find_element(By.ID, "empty").is_displayed(), what="the empty queue")


def check_again(driver):
    driver.find_element(By.ID, "btn-reload").click()


def console_errors(driver):
    """Browser console messages that show a CSP violation or an uncaught script error."""
    return [m["message"] for m in driver.get_log("browser")
            if m["level"] == "SEVERE" and ("Refused" in m["message"] or "Uncaught" in m["message"])]


def unnamed_controls(driver):
    """Visible controls with no accessible name (no label, aria-label, text or title)."""
    return driver.execute_script("""
        return [...document.querySelectorAll('button, select, textarea, input, a, summary')]
          .filter((e) => e.offsetParent !== null)
          .filter((e) => !(e.getAttribute('aria-label') || e.labels?.length || e.textContent.trim() || e.title))
          .map((e) => e.outerHTML.slice(0, 80));""")


def shot(driver, name):
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def add_expected(ctx, marker, kind, ranks=None, both_bad=False, ratings=(), thumbs=(), rationale=None,
                 rewrite=None, undone=False):
    ctx.expected.append(dict(prompt_id=ctx.prompt_id(marker), kind=kind, ranks=dict(ranks or {}), both_bad=both_bad,
                             ratings=set(ratings), thumbs=dict(thumbs), rationale=rationale, rewrite=rewrite,
                             undone=undone))


# ---- the annotator ------------------------------------------------------------------------------

def test_login_link_then_pairwise_with_the_mouse(ctx, browser):
    ctx.import_rows([
        {"prompt": "P1 marker: what is 2 + 2?", "responses": ["P1 first: 4", "P1 second: 5"]},
    ])
    browser.get(ctx.alice_link)
    ids = wait_task(browser, "P1 marker")
    assert browser.find_element(By.ID, "who").text == "alice"
    assert len(ids) == 2
    assert "side-by-side" in browser.find_element(By.ID, "responses").get_attribute("class")
    labels = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#responses .response .badge")]
    assert labels == ["A", "B"]
    shot(browser, "annotate-pairwise")

    browser.find_element(By.CSS_SELECTOR, '#pairwise [data-choice="a"]').click()
    assert browser.find_element(By.CSS_SELECTOR, '#pairwise [data-choice="a"]').get_attribute("aria-pressed") == "true"
    browser.find_element(By.ID, "btn-submit").click()
    wait_empty(browser)
    add_expected(ctx, "P1 marker", "pairwise", ranks={ids[0]: 1, ids[1]: 2})
    wait(browser, lambda d: d.find_element(By.ID, "p-total").text == "1", what="progress 1")
    assert console_errors(browser) == []


def test_pairwise_with_the_keyboard(ctx, browser):
    ctx.import_rows([{"prompt": "P2 marker: pick a colour", "responses": ["P2 red", "P2 blue"]}])
    check_again(browser)
    ids = wait_task(browser, "P2 marker")
    unfocus(browser)
    keys(browser, "?")
    assert browser.find_element(By.ID, "legend").is_displayed()
    assert "Submit" in browser.find_element(By.ID, "legend-list").text
    keys(browser, "?", "b")
    assert not browser.find_element(By.ID, "legend").is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, '#pairwise [data-choice="b"]').get_attribute("aria-pressed") == "true"
    keys(browser, Keys.ENTER)
    wait_empty(browser)
    add_expected(ctx, "P2 marker", "pairwise", ranks={ids[0]: 2, ids[1]: 1})


def test_ranking_of_four_with_a_tie_by_keyboard_only(ctx, browser):
    code = ("Use slicing, which returns a new list:\n```python\nitems = [1, 2, 3]\n"
            "backwards = items[::-1]   # [3, 2, 1]\n```\nOr reverse in place with `items.reverse()`.")
    ctx.import_rows([{"prompt": [{"role": "user", "content": "How do I reverse a list in Python?"}],
                      "responses": [
                          "Call reversed(items); it gives an iterator, so wrap it in list() if you need a list.",
                          "You can't. Lists in Python are immutable.",
                          "items.reverse() reverses the list in place and returns None.",
                          code]}])
    check_again(browser)
    ids = wait_task(browser, "reverse a list")
    assert len(ids) == 4
    assert "stacked" in browser.find_element(By.ID, "responses").get_attribute("class")
    # whitespace and the fenced code block survive, the code in monospace <pre><code>
    code_card = [c for c in browser.find_elements(By.CSS_SELECTOR, "#responses .response") if "slicing" in c.text][0]
    assert code_card.find_element(By.CSS_SELECTOR, "pre.code code").get_attribute("textContent") == \
        "items = [1, 2, 3]\nbackwards = items[::-1]   # [3, 2, 1]"
    assert browser.execute_script("return getComputedStyle(document.querySelector('.response .prose')).whiteSpace") == "pre-wrap"

    # Drag and drop (Selenium cannot drive native HTML5 drag and drop, so the page gets the same
    # DragEvents a mouse drag fires): D onto A's row ties them; C onto the top gap gets its own row.
    drag = """
        const [src, dst] = arguments, dt = new DataTransfer();
        src.dispatchEvent(new DragEvent('dragstart', {bubbles: true, dataTransfer: dt}));
        dst.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: dt}));
        dst.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt}));"""
    chip = lambda letter: browser.find_element(By.CSS_SELECTOR, f'#tiers .chip[data-pos="{"ABCD".index(letter)}"]')
    browser.execute_script(drag, chip("D"), browser.find_elements(By.CSS_SELECTOR, "#tiers .tier")[0])
    browser.execute_script(drag, chip("C"), browser.find_elements(By.CSS_SELECTOR, "#tiers .gap")[0])
    tiers = [[c.text for c in t.find_elements(By.CSS_SELECTOR, ".chip .letter")]
             for t in browser.find_elements(By.CSS_SELECTOR, "#tiers .tier")]
    assert tiers == [["C"], ["A", "D"], ["B"]]
    browser.refresh()  # the same task again, with a fresh ranking, for the keyboard
    assert wait_task(browser, "reverse a list") == ids

    unfocus(browser)
    # Target: slicing best; reversed() and reverse() tied second; "immutable" last. The server
    # shuffled the order, so the keystrokes depend on where each answer landed: select a response
    # by its number and move it up with the arrow key until it is in place, then tie with "=".
    texts = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#responses .response .text")]
    at = lambda word: next(i for i, t in enumerate(texts) if word in t)
    best, tie1, tie2, worst = at("slicing"), at("reversed(items)"), at("in place and returns"), at("immutable")
    order, seq = [0, 1, 2, 3], []
    for k, p in enumerate([best, tie1, tie2, worst]):
        i = order.index(p)
        seq += [str(p + 1)] + [Keys.ARROW_UP] * (i - k)
        order.insert(k, order.pop(i))
    keys(browser, *seq, str(tie2 + 1), "=")
    tiers = [[c.text for c in t.find_elements(By.CSS_SELECTOR, ".chip .letter")]
             for t in browser.find_elements(By.CSS_SELECTOR, "#tiers .tier")]
    L = "ABCD"
    assert tiers == [[L[best]], sorted([L[tie1], L[tie2]]), [L[worst]]]
    shot(browser, "annotate-ranking")
    keys(browser, Keys.ENTER)
    wait_empty(browser)
    add_expected(ctx, "reverse a list", "ranking", ranks={ids[best]: 1, ids[tie1]: 2, ids[tie2]: 2, ids[worst]: 3})


def test_ratings_rationale_rewrite_then_undo_and_skip(ctx, browser):
    ctx.import_rows([{"prompt": [{"role": "system", "content": "S3 be brief"},
                                 {"role": "user", "content": "P3 marker: hello"},
                                 {"role": "assistant", "content": "P3 earlier answer"},
                                 {"role": "user", "content": "P3 and now?"}],
                      "responses": ["P3 one", "P3 two"]}])
    check_again(browser)
    ids = wait_task(browser, "P3 marker")
    turns = browser.find_elements(By.CSS_SELECTOR, "#prompt .turn")
    assert [t.find_element(By.CSS_SELECTOR, ".role").text for t in turns] == ["SYSTEM", "USER", "ASSISTANT", "USER"]

    selects = browser.find_elements(By.CSS_SELECTOR, "#responses .ratings select")
    crit = [s.get_attribute("data-criterion") for s in selects]
    n = len(crit) // 2
    assert n >= 1 and crit[:n] == crit[n:]
    Select(selects[0]).select_by_value("6")           # A, first criterion
    Select(selects[n + n - 1]).select_by_value("2")   # B, last criterion
    browser.find_element(By.CSS_SELECTOR, '.response[data-pos="0"] .thumb.up').click()
    rationale = "A is friendlier.\nB is curt."
    rewrite = "P3 rewrite:\n  Hello! Here is a better answer."
    browser.find_element(By.ID, "rationale").send_keys(rationale)
    # typing letters that are shortcuts must not trigger them while in a text field
    assert browser.find_element(By.ID, "legend").is_displayed() is False
    browser.find_element(By.CSS_SELECTOR, "#rewrite-box summary").click()
    browser.find_element(By.ID, "rewrite").send_keys(rewrite)
    assert browser.find_element(By.ID, "task").is_displayed()
    shot(browser, "annotate-ratings")
    browser.find_element(By.ID, "btn-submit").click()
    wait_empty(browser)
    add_expected(ctx, "P3 marker", "rating", ratings={(ids[0], crit[0], 6), (ids[1], crit[-1], 2)},
                 thumbs={ids[0]: 1}, rationale=rationale, rewrite=rewrite, undone=True)
    wait(browser, lambda d: d.find_element(By.ID, "p-total").text == "4", what="progress 4")

    unfocus(browser)
    keys(browser, "u")
    wait_task(browser, "P3 marker")  # the undone task comes back, with the answer filled in to correct
    assert browser.find_element(By.ID, "rationale").get_attribute("value") == rationale
    assert browser.find_element(By.ID, "rewrite").get_attribute("value") == rewrite
    selects = browser.find_elements(By.CSS_SELECTOR, "#responses .ratings select")
    assert [s.get_attribute("value") for s in selects] == ["6"] + [""] * (2 * n - 2) + ["2"]
    assert browser.find_element(By.CSS_SELECTOR, '.response[data-pos="0"] .thumb.up').get_attribute("aria-pressed") == "true"
    shot(browser, "annotate-undo-restored")
    wait(browser, lambda d: d.find_element(By.ID, "p-total").text == "3", what="progress back to 3")
    pid = ctx.prompt_id("P3 marker")
    assert ctx.query("SELECT count(*) FROM judgments WHERE prompt_id = ? AND undone_at IS NOT NULL", pid) == [(1,)]

    unfocus(browser)
    keys(browser, "s")
    wait_empty(browser)
    add_expected(ctx, "P3 marker", "skip")


def test_network_failure_during_submit_loses_nothing_and_counts_once(ctx, browser):
    ctx.import_rows([{"prompt": "P4 marker: offline", "responses": ["P4 x", "P4 y"]}])
    check_again(browser)
    ids = wait_task(browser, "P4 marker")
    ctx.server.stop()
    unfocus(browser)
    keys(browser, "t", Keys.ENTER)
    wait(browser, lambda d: "Cannot reach the server" in status(d), what="the retry message")
    assert browser.find_element(By.ID, "btn-submit").get_attribute("disabled") is not None
    ctx.server.start()
    wait_empty(browser)  # the same submit went through once the server was back
    wait(browser, lambda d: "Saved" in status(d), what="saved")
    add_expected(ctx, "P4 marker", "pairwise", ranks={ids[0]: 1, ids[1]: 1})
    pid = ctx.prompt_id("P4 marker")
    assert ctx.query("SELECT count(*) FROM judgments WHERE prompt_id = ?", pid) == [(1,)]
    wait(browser, lambda d: d.find_element(By.ID, "p-total").text == "4", what="progress 4")


def test_lost_reply_is_retried_with_the_same_key_and_counted_once(ctx, browser):
    ctx.import_rows([{"prompt": "P6 marker: the reply is lost", "responses": ["P6 x", "P6 y"]}])
    check_again(browser)
    ids = wait_task(browser, "P6 marker")
    # The server stores the first submit, but its reply never reaches the page (as when a
    # connection drops after the request went out): the page must send the same key again.
    browser.execute_script("""
        const real = window.fetch;
        window.__keys = [];
        window.fetch = async (url, init = {}) => {
          const submit = String(url).endsWith('/api/v1/judgments') && init.method === 'POST';
          if (submit) window.__keys.push(init.headers['Idempotency-Key']);
          const reply = await real(url, init);
          if (submit && window.__keys.length === 1) throw new TypeError('Failed to fetch');
          return reply;
        };""")
    unfocus(browser)
    keys(browser, "b", Keys.ENTER)
    wait_empty(browser)
    sent = browser.execute_script("return window.__keys")
    assert len(sent) == 2 and sent[0] == sent[1] and sent[0]
    add_expected(ctx, "P6 marker", "pairwise", ranks={ids[0]: 2, ids[1]: 1})
    assert ctx.query("SELECT count(*), min(idempotency_key) FROM judgments WHERE prompt_id = ?",
                     ctx.prompt_id("P6 marker")) == [(1, sent[0])]
    wait(browser, lambda d: d.find_element(By.ID, "p-total").text == "5", what="progress 5")


def test_html_and_script_in_prompts_show_as_text(ctx, browser):
    ctx.import_rows([{"prompt": [{"role": "user", "content": "X5 marker " + XSS[0]},
                                 {"role": "assistant", "content": XSS[1]},
                                 {"role": "user", "content": XSS[2]}],
                      "responses": [XSS[3] + " X5 one", XSS[1] + " " + XSS[2] + " X5 two"]}])
    check_again(browser)
    ids = wait_task(browser, "X5 marker")
    # Every image has finished loading or failing (an injected onerror would be queued by then), and one
    # turn of the event loop runs whatever was queued, before the check.
    wait(browser, lambda d: d.execute_script("return [...document.images].every((i) => i.complete)"), what="images settled")
    browser.execute_async_script("setTimeout(arguments[arguments.length - 1], 0)")
    assert browser.execute_script("return window.__xss === undefined")
    assert browser.execute_script("return document.querySelectorAll('#task img, #task script, #task a, #task iframe').length") == 0
    page = browser.find_element(By.ID, "task").get_attribute("textContent")
    for payload in XSS:
        assert payload in page
    assert browser.find_element(By.ID, "rationale").get_attribute("value") == ""  # </textarea> did not break out
    shot(browser, "annotate-xss")
    unfocus(browser)
    keys(browser, "x", Keys.ENTER)
    wait_empty(browser)
    add_expected(ctx, "X5 marker", "pairwise", ranks={ids[0]: 1, ids[1]: 1}, both_bad=True)
    assert browser.execute_script("return window.__xss === undefined")


def test_annotator_cannot_use_the_admin_page_or_api(ctx, browser):
    browser.get(f"{ctx.alice_url}/admin.html")
    wait(browser, lambda d: d.find_element(By.ID, "denied").is_displayed(), what="admins only")
    assert "Admins only" in browser.find_element(By.ID, "denied").text
    assert not browser.find_element(By.ID, "tabs").is_displayed()
    codes = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const get = (p, init) => fetch(p, init).then((r) => r.status);
        Promise.all([
          get('/api/v1/stats'), get('/api/v1/annotators'), get('/api/v1/settings'),
          get('/api/v1/settings', {method: 'PUT', headers: {'Content-Type': 'application/json'}, body: '{"overlap": 3}'}),
          get('/api/v1/export?format=raw'),
        ]).then(done);""")
    assert codes == [403, 403, 403, 403, 403]
    shot(browser, "admin-denied")


# ---- the admin ------------------------------------------------------------------------------------

def test_admin_pages(ctx, browser):
    browser.get(ctx.admin_link)
    browser.get(f"{ctx.admin_url}/admin.html#dashboard")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#view .stat"), what="the dashboard")
    stats = {e.find_element(By.CSS_SELECTOR, ".name").text: e.find_element(By.CSS_SELECTOR, ".value").text
             for e in browser.find_elements(By.CSS_SELECTOR, "#view .stat")}
    assert stats["Labels"] == "6" and stats["Prompts"] == "7"
    assert browser.find_elements(By.CSS_SELECTOR, "#view svg.chart polyline")
    assert "alice" in browser.find_element(By.ID, "view").text
    # Queue coverage at overlap 1: alice's six labels are on six prompts; the skipped one has none.
    coverage = browser.find_element(By.ID, "coverage")
    assert coverage.find_element(By.CSS_SELECTOR, ".coverage-complete").text.startswith(
        "6 of 7 prompts complete (85.7 %) at overlap 1;")
    rows = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in coverage.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert rows == [["0", "1", "14.3 %"], ["1 (complete)", "6", "85.7 %"]]
    shot(browser, "admin-dashboard")
    assert unnamed_controls(browser) == []

    # annotators: create bob (link shown once), then disable him
    browser.get(f"{ctx.admin_url}/admin.html#annotators")
    wait(browser, lambda d: d.find_elements(By.ID, "new-name"), what="annotators")
    browser.find_element(By.ID, "new-name").send_keys("bob")
    browser.find_element(By.CSS_SELECTOR, "#view form button[type=submit]").click()
    wait(browser, lambda d: d.find_elements(By.ID, "login-link"), what="bob's link")
    assert LINK.search(browser.find_element(By.ID, "login-link").text)
    wait(browser, lambda d: "bob" in d.find_element(By.CSS_SELECTOR, "#view table").text, what="bob listed")
    shot(browser, "admin-annotators")
    assert unnamed_controls(browser) == []
    browser.find_element(By.CSS_SELECTOR, 'button[aria-label="Disable bob"]').click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "dialog.confirm[open]"), what="the confirmation").pop()
    browser.find_element(By.ID, "confirm-yes").click()   # Disable asks first (test_browser_admin.py checks the wording)
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, 'button[aria-label="Enable bob"]'), what="bob disabled")
    assert ctx.query("SELECT disabled FROM annotators WHERE name = 'bob'") == [(1,)]

    # settings: guidelines with markup in them, and K
    browser.get(f"{ctx.admin_url}/admin.html#settings")
    wait(browser, lambda d: d.find_elements(By.ID, "set-guidelines"), what="settings")
    g = browser.find_element(By.ID, "set-guidelines")
    g.clear()
    g.send_keys("Prefer kind answers. " + XSS[0])
    overlap = browser.find_element(By.ID, "set-overlap")
    overlap.clear()
    overlap.send_keys("2")
    shot(browser, "admin-settings")
    assert unnamed_controls(browser) == []
    browser.find_element(By.CSS_SELECTOR, "#view form button[type=submit]").click()
    wait(browser, lambda d: "Settings saved" in status(d), what="settings saved")
    saved = dict(ctx.query("SELECT key, value FROM settings"))
    assert json.loads(saved["guidelines"]) == "Prefer kind answers. " + XSS[0]
    assert json.loads(saved["overlap"]) == 2

    # import with a progress bar, and the export link
    browser.get(f"{ctx.admin_url}/admin.html#data")
    wait(browser, lambda d: d.find_elements(By.ID, "imp-file"), what="import form")
    upload = ctx.tmp / "upload.jsonl"
    upload.write_text("".join(json.dumps({"prompt": f"U{i} uploaded", "responses": [f"U{i} a", f"U{i} b"]}) + "\n"
                              for i in range(200)) + "not json\n")
    browser.find_element(By.ID, "imp-file").send_keys(str(upload))
    Select(browser.find_element(By.ID, "imp-format")).select_by_value("responses")
    browser.find_element(By.CSS_SELECTOR, "#view form button[type=submit]").click()
    wait(browser, lambda d: "Prompts added" in d.find_element(By.ID, "imp-result").text, what="import report")
    report = browser.find_element(By.ID, "imp-result").text
    assert re.search(r"Prompts added\s+200", report) and re.search(r"Bad rows\s+1", report)
    bar = browser.find_element(By.CSS_SELECTOR, "#view progress")
    assert bar.get_attribute("value") == bar.get_attribute("max") and int(bar.get_attribute("max")) == upload.stat().st_size
    Select(browser.find_element(By.ID, "exp-format")).select_by_value("raw")
    href = browser.find_element(By.ID, "exp-link").get_attribute("href")
    assert href.endswith("/api/v1/export?format=raw")
    assert not browser.find_element(By.ID, "exp-test-link").is_displayed()
    fraction = browser.find_element(By.ID, "exp-fraction")
    fraction.clear()
    fraction.send_keys("0.5")
    train_href = browser.find_element(By.ID, "exp-link").get_attribute("href")
    test_href = browser.find_element(By.ID, "exp-test-link").get_attribute("href")
    assert "split=train" in train_href and "split=test" in test_href and "test_fraction=0.5" in test_href
    count = """
        const [url, done] = [arguments[0], arguments[arguments.length - 1]];
        fetch(url).then(async (r) => done([r.status, (await r.text()).split('\\n').filter(Boolean).length]));"""
    whole, train, test = (browser.execute_async_script(count, u) for u in (href, train_href, test_href))
    assert whole[0] == train[0] == test[0] == 200
    assert whole[1] == train[1] + test[1] >= 6
    shot(browser, "admin-data")
    assert unnamed_controls(browser) == []
    for page in ("training", "models", "evaluations"):
        browser.get(f"{ctx.admin_url}/admin.html#{page}")
        wait(browser, lambda d: "Loading" not in d.find_element(By.ID, "view").text, what=page)
        shot(browser, f"admin-{page}")
        assert unnamed_controls(browser) == [], page
        if page == "training":  # this server has no policy: its candidate worker has nothing to run
            text = browser.find_element(By.ID, "view").text
            assert "Candidates: no policy serves" in text, text
    assert console_errors(browser) == []

    # alice sees the new guidelines as text
    browser.get(f"{ctx.alice_url}/")
    wait(browser, lambda d: "Prefer" in d.find_element(By.ID, "guidelines-text").get_attribute("textContent"), what="guidelines")
    browser.find_element(By.ID, "btn-guidelines").click()
    assert browser.find_element(By.ID, "guidelines-text").text == "Prefer kind answers. " + XSS[0]
    assert browser.execute_script("return window.__xss === undefined")


def test_narrow_screen_has_no_sideways_scrolling(ctx, browser):
    # headless Chromium will not make a window narrower than 500 px; emulate a 360 px phone instead
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 360, "height": 800, "deviceScaleFactor": 1, "mobile": True})
    try:
        browser.get(f"{ctx.alice_url}/")
        wait_task(browser, "uploaded")
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 360, f"the annotator page is {width}px wide at 360px"
        shot(browser, "annotate-360px")
        # every control has an accessible name
        unnamed = unnamed_controls(browser)
        assert unnamed == []
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_log_out_ends_the_session(ctx, browser):
    browser.get(f"{ctx.alice_url}/")
    wait_task(browser, "uploaded")
    browser.find_element(By.ID, "btn-logout").click()
    wait(browser, lambda d: "logged out" in d.find_element(By.ID, "empty").text, what="logged out")
    assert browser.execute_async_script(
        "const done = arguments[arguments.length - 1]; fetch('/api/v1/me').then((r) => done(r.status));") == 401
    browser.get(f"{ctx.alice_url}/")
    wait(browser, lambda d: "not logged in" in d.find_element(By.ID, "empty").text, what="the sign-in message")


# ---- what was stored ------------------------------------------------------------------------------

def _stored(ctx):
    alice = ctx.query("SELECT id FROM annotators WHERE name = 'alice'")[0][0]
    out = []
    for jid, pid, kind, both_bad, rationale, rewrite, undone, t in ctx.query(
            "SELECT id, prompt_id, kind, both_bad, rationale, rewrite, undone_at IS NOT NULL, time_spent_ms "
            "FROM judgments WHERE annotator_id = ? ORDER BY id", alice):
        out.append(dict(
            id=jid, prompt_id=pid, kind=kind, both_bad=bool(both_bad), rationale=rationale, rewrite=rewrite,
            undone=bool(undone), time=t,
            ranks=dict(ctx.query("SELECT response_id, rank FROM judgment_ranks WHERE judgment_id = ?", jid)),
            ratings=set(ctx.query("SELECT response_id, criterion, score FROM judgment_ratings WHERE judgment_id = ?", jid)),
            thumbs=dict(ctx.query("SELECT response_id, thumb FROM judgment_thumbs WHERE judgment_id = ?", jid))))
    return out


def test_database_holds_exactly_what_was_entered(ctx):
    stored = _stored(ctx)
    keys_ = ["prompt_id", "kind", "ranks", "both_bad", "ratings", "thumbs", "rationale", "rewrite", "undone"]
    assert [{k: s[k] for k in keys_} for s in stored] == [{k: e[k] for k in keys_} for e in ctx.expected]
    for s in stored:
        if s["kind"] != "skip":
            assert s["time"] is not None and s["time"] >= 0


def test_raw_export_holds_exactly_what_was_entered(ctx):
    rows = [json.loads(line) for line in ctx.hilo("export", "--format", "raw", "--db", str(ctx.db)).splitlines()
            if line.startswith("{")]
    mine = [r for r in rows if r["annotator"] == "alice"]
    live = [e for e in ctx.expected if not e["undone"]]
    assert len(mine) == len(live)
    for r, e in zip(mine, live):
        assert r["prompt_id"] == e["prompt_id"] and r["kind"] == e["kind"] and r["both_bad"] == e["both_bad"]
        assert {x["response_id"]: x["rank"] for x in r["ranks"]} == e["ranks"]
        assert {(x["response_id"], x["criterion"], x["score"]) for x in r["ratings"]} == e["ratings"]
        assert {x["response_id"]: (1 if x["up"] else -1) for x in r["thumbs"]} == e["thumbs"]
        assert r.get("rationale") == e["rationale"] and r.get("rewrite") == e["rewrite"]
    xss = [r for r in mine if "X5 marker" in r["prompt"]]
    assert len(xss) == 1 and XSS[0] in xss[0]["prompt"] and xss[0]["messages"][1]["content"] == XSS[1]
