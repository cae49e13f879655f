"""The annotator's side of trusting Hilo, in the real browser against a real `hilo serve`: a refused
login link is a Hilo page saying why and what to do; `hilo annotators add` prints links on the
server's own port; a demo-style HH prompt shows as a conversation; the A/B choice and ratings survive
a reload; undo brings the answer back filled in; an open tab of a disabled annotator says so; an
empty queue says why (skipped: offer them again; everything labelled; no policy to write responses).
Measures the median time from opening a fresh login link to the first saved label.
Screenshots go to .build/screenshots/.
"""
import json
import statistics
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from eventually import eventually
from test_browser_ui import LINK, SHOTS, Server, free_port, keys, shot, status, unfocus, wait, wait_empty, wait_task

HH = "\n\nHuman: {q}\n\nAssistant: Do you mean in metres?\n\nHuman: Yes, in metres.\n\nAssistant:"


class Env:
    def __init__(self, hilo_bin, tmp):
        self.bin, self.tmp = hilo_bin, tmp
        self.db = tmp / "hilo.db"
        self.server = Server(hilo_bin, self.db, free_port(), tmp / "serve.log")
        self.base = f"http://127.0.0.1:{self.server.port}"
        self.rows = 0

    def hilo(self, *args) -> str:
        r = subprocess.run([self.bin, *args, "--db", str(self.db)], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, f"hilo {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}"
        return r.stdout + r.stderr

    def import_rows(self, rows, fmt="responses"):
        self.rows += 1
        path = self.tmp / f"rows{self.rows}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        self.hilo("import", str(path), "--format", fmt)

    def add(self, name) -> str:
        out = self.hilo("annotators", "add", name)
        m = LINK.search(out)
        assert m, f"no login link in:\n{out}"
        return out.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def driver():
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(arg)
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    d.implicitly_wait(0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield d
    d.quit()


def serve(hilo_bin, tmp_path_factory, driver, name):
    e = Env(hilo_bin, tmp_path_factory.mktemp(name))
    e.driver = driver
    e.server.start()
    return e


@pytest.fixture(scope="module")
def env(hilo_bin, tmp_path_factory, driver):
    """One server for the tests below, which each import exactly the prompts they use, so nobody
    is left holding a lease that would change what the next annotator sees."""
    e = serve(hilo_bin, tmp_path_factory, driver, "annotator-trust")
    yield e
    e.server.stop()


def fresh(driver):
    """A new person on this browser: no cookie, no session storage."""
    driver.delete_all_cookies()
    if driver.current_url.startswith("http"):
        driver.execute_script("sessionStorage.clear()")


def moved_on(driver, shown):
    """The page left the task with response ids `shown`: the queue is empty or another task is up."""
    try:
        if driver.find_element(By.ID, "empty").is_displayed():
            return True
        if not driver.find_element(By.ID, "task").is_displayed():
            return False
        return [int(c.get_attribute("data-response-id")) for c in driver.find_elements(By.CSS_SELECTOR, "#responses .response")] != shown
    except StaleElementReferenceException:  # redrawn while read: look again
        return False


def pressed(driver, choice):
    return driver.find_element(By.CSS_SELECTOR, f'#pairwise [data-choice="{choice}"]').get_attribute("aria-pressed") == "true"


def test_annotators_add_prints_a_link_on_the_port_the_server_listens_on(env):
    link = env.add("ann")
    assert link.startswith(f"{env.base}/login?token="), f"{link} is not on {env.base}"


def test_a_wrong_link_shows_a_hilo_page_saying_what_to_do(env):
    d = env.driver
    d.get(f"{env.base}/login?token=not-a-real-token")
    box = d.find_element(By.ID, "login-refused")
    assert box.get_attribute("data-reason") == "unknown"
    assert d.find_element(By.CSS_SELECTOR, "#login-refused h1").text == "This login link does not work"
    assert "hilo annotators link NAME" in box.text and "Ask an admin for a new login link" in box.text
    assert d.find_elements(By.TAG_NAME, "pre") == [], "not a raw JSON page"
    assert d.find_element(By.CSS_SELECTOR, ".topbar .brand").text == "Hilo"
    shot(d, "login-refused")
    d.set_window_size(360, 800)
    try:
        assert d.execute_script("return document.documentElement.scrollWidth") <= 360, "no sideways scrolling at 360 px"
        shot(d, "login-refused-360")
    finally:
        d.set_window_size(1280, 1000)


def test_first_label_from_a_fresh_link_and_hh_prompts_show_as_a_conversation(hilo_bin, tmp_path_factory, driver):
    # Its own server: each annotator here is left holding a lease on the next prompt.
    env = serve(hilo_bin, tmp_path_factory, driver, "first-label")
    try:
        env.import_rows([{"prompt": HH.format(q=f"Q{k} marker: how far is {k + 2} km?"),
                          "responses": [f"Q{k} {(k + 2) * 1000} m", f"Q{k} {k + 2} m"]} for k in range(12)])
        d = env.driver
        times = []
        for k in range(5):
            link = env.add(f"first{k}")
            fresh(d)
            start = time.monotonic()
            d.get(link)
            wait(d, lambda x: x.find_element(By.ID, "task").is_displayed(), what="the first task")
            if k == 0:
                turns = d.find_elements(By.CSS_SELECTOR, "#prompt .turn")
                assert [t.find_element(By.CSS_SELECTOR, ".role").text for t in turns] == ["USER", "ASSISTANT", "USER"]
                assert turns[0].find_element(By.CSS_SELECTOR, ".text").text == "Q0 marker: how far is 2 km?"
                assert turns[1].find_element(By.CSS_SELECTOR, ".text").text == "Do you mean in metres?"
                assert turns[2].find_element(By.CSS_SELECTOR, ".text").text == "Yes, in metres."
                text = d.find_element(By.ID, "prompt").get_attribute("textContent")
                assert "Human:" not in text and "Assistant:" not in text
                shot(d, "annotate-hh-conversation")
            d.find_element(By.CSS_SELECTOR, '#pairwise [data-choice="a"]').click()
            d.find_element(By.ID, "btn-submit").click()
            wait(d, lambda x: "Saved" in status(x), what="saved")
            times.append(time.monotonic() - start)
    finally:
        env.server.stop()
    median = statistics.median(times)
    (SHOTS / "time-to-first-label.txt").write_text(
        f"median seconds from opening a fresh login link to the first saved label: {median:.2f} "
        f"(runs: {', '.join(f'{t:.2f}' for t in times)})\n")
    print(f"time to first label: median {median:.2f} s over {len(times)} annotators")
    assert median < 10, f"median time to first label {median:.2f} s"


def test_reload_keeps_the_choice_and_ratings_and_undo_brings_the_answer_back(env):
    env.import_rows([{"prompt": "R1 marker: which is a prime?", "responses": ["R1 nine", "R1 seven"]}])
    d = env.driver
    fresh(d)
    d.get(env.add("rita"))
    wait_task(d, "R1 marker")
    d.find_element(By.CSS_SELECTOR, '#pairwise [data-choice="b"]').click()
    selects = d.find_elements(By.CSS_SELECTOR, "#responses .ratings select")
    Select(selects[0]).select_by_value("5")
    d.refresh()
    wait(d, lambda x: x.find_element(By.ID, "task").is_displayed(), what="the task after the reload")
    assert pressed(d, "b"), "the choice survives a reload"
    assert d.find_elements(By.CSS_SELECTOR, "#responses .ratings select")[0].get_attribute("value") == "5"
    d.find_element(By.ID, "btn-submit").click()
    wait_empty(d)  # saved, and the page is done loading the next (no) task
    unfocus(d)
    keys(d, "u")
    wait(d, lambda x: "back with your answer" in status(x), what="the undo")
    assert pressed(d, "b") and not pressed(d, "a"), "undo brings the choice back"
    assert d.find_elements(By.CSS_SELECTOR, "#responses .ratings select")[0].get_attribute("value") == "5"
    shot(d, "annotate-undo-pairwise-restored")
    d.find_element(By.CSS_SELECTOR, '#pairwise [data-choice="a"]').click()  # the correction
    d.find_element(By.ID, "btn-submit").click()
    wait(d, lambda x: "Saved" in status(x), what="the corrected answer saved")
    wait_empty(d)
    assert d.find_element(By.CSS_SELECTOR, "#empty h1").text == "Everything is labelled"


def test_the_empty_queue_says_why_and_offers_skipped_tasks_again(env):
    env.import_rows([{"prompt": f"S{k} marker: pick one", "responses": [f"S{k} x", f"S{k} y"]} for k in range(4)])
    d = env.driver
    fresh(d)
    d.get(env.add("sam"))
    for k in range(4):  # skip them all
        shown = wait_task(d, "marker")
        unfocus(d)
        keys(d, "s")
        wait(d, lambda x: moved_on(x, shown), what=f"skip {k + 1}")
    wait_empty(d)
    assert d.find_element(By.CSS_SELECTOR, "#empty h1").text == "You skipped the rest"
    again = d.find_element(By.ID, "btn-reoffer")
    assert again.is_displayed() and again.text == "Show the 4 skipped tasks again"
    wait(d, lambda x: x.find_element(By.ID, "p-left").text == "0", what="nothing left")
    shot(d, "annotate-empty-skipped")
    d.set_window_size(360, 800)
    try:
        assert d.execute_script("return document.documentElement.scrollWidth") <= 360, "no sideways scrolling at 360 px"
        assert again.is_displayed()
        shot(d, "annotate-empty-skipped-360")
    finally:
        d.set_window_size(1280, 1000)
    again.click()
    wait_task(d, "S")
    wait(d, lambda x: x.find_element(By.ID, "p-left").text == "3", what="left counts the three others")
    for k in range(4):
        shown = wait_task(d, "marker")
        d.find_element(By.CSS_SELECTOR, '#pairwise [data-choice="a"]').click()
        d.find_element(By.ID, "btn-submit").click()
        wait(d, lambda x: moved_on(x, shown), what=f"label {k + 1}")
    wait_empty(d)
    assert d.find_element(By.CSS_SELECTOR, "#empty h1").text == "Everything is labelled"
    assert not d.find_element(By.ID, "btn-reoffer").is_displayed()

    env.import_rows([{"prompt": "N1 marker: a prompt nobody wrote responses for"}], fmt="prompts")
    d.find_element(By.ID, "btn-reload").click()
    wait(d, lambda x: x.find_element(By.CSS_SELECTOR, "#empty h1").text == "Waiting for responses to compare")
    assert "no policy model is writing them" in d.find_element(By.ID, "empty-text").text
    shot(d, "annotate-empty-no-policy")


def test_a_disabled_annotators_open_tab_and_link_say_they_were_disabled(env):
    env.import_rows([{"prompt": "D1 marker: last one", "responses": ["D1 x", "D1 y"]}])
    d = env.driver
    fresh(d)
    link = env.add("dora")
    d.get(link)
    wait_task(d, "D1 marker")
    cookie = next(c["value"] for c in d.get_cookies() if c["name"] == "hilo_session")
    env.hilo("annotators", "disable", "dora")

    def refused():
        req = urllib.request.Request(f"{env.base}/api/v1/me", headers={"Cookie": f"hilo_session={cookie}"})
        try:
            urllib.request.urlopen(req, timeout=5)
            return False
        except urllib.error.HTTPError as e:
            return e.code == 401
    assert eventually(refused), "the session ends (the server's session cache lives a second)"
    d.find_element(By.CSS_SELECTOR, '#pairwise [data-choice="a"]').click()
    d.find_element(By.ID, "btn-submit").click()
    wait(d, lambda x: x.find_element(By.CSS_SELECTOR, "#empty h1").text == "Your account was disabled", what="the disabled page")
    assert "disabled by an admin" in d.find_element(By.ID, "empty-text").text
    assert not d.find_element(By.ID, "btn-undo").is_displayed(), "no labelling buttons when signed out"
    shot(d, "annotate-disabled")
    d.get(link)
    assert d.find_element(By.CSS_SELECTOR, "#login-refused h1").text == "Your account is disabled"
    assert "hilo annotators enable dora" in d.find_element(By.ID, "login-refused").text
    shot(d, "login-disabled")
