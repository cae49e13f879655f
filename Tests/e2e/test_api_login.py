"""`hilo serve` end to end: the first start prints a one-time admin link; `hilo annotators add`
prints durable links; a browser-like client signs in, labels, and is locked out once disabled."""
import json
import pathlib
import re
import socket
import subprocess
import urllib.error
import urllib.request

from eventually import eventually

ROOT = pathlib.Path(__file__).resolve().parents[2]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def call(url, method="GET", cookie=None, body=None, origin=None):
    req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    if cookie:
        req.add_header("Cookie", f"hilo_session={cookie}")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if origin:
        req.add_header("Origin", origin)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def login(link):
    status, headers, _ = call(link)
    assert status == 303, status
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    return re.match(r"hilo_session=([0-9a-f]+);", cookie).group(1)


def test_first_start_link_annotators_cli_labelling_and_disable(hilo_bin, tmp_path):
    db = tmp_path / "hilo.db"
    prompts = tmp_path / "p.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": f"Q{i}?", "responses": [f"a{i}", f"b{i}"]}) + "\n" for i in range(3)))
    subprocess.run([hilo_bin, "import", str(prompts), "--format", "responses", "--db", str(db)], check=True, capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    out = subprocess.run([hilo_bin, "annotators", "add", "ada", "--url", base, "--db", str(db)], check=True, capture_output=True, text=True).stdout
    ada_link = re.search(r"http://\S+/login\?token=[0-9a-f]{64}", out).group(0)
    server = subprocess.Popen([hilo_bin, "serve", "--no-demo", "--db", str(db), "--port", str(port), "--public", str(ROOT / "Public")],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def admin_line():   # the next line of the log (readline waits for it), if it holds the link
            m = re.search(r"(http://\S+/login\?token=[0-9a-f]{64})", server.stdout.readline())
            return m.group(1) if m else None
        admin_link = eventually(admin_line, every=0)
        assert admin_link, "serve printed no first-start admin link"
        admin = login(admin_link)
        assert call(admin_link)[0] == 401, "the first admin link is one-time"

        ada = login(ada_link)
        assert login(ada_link), "an annotator's link is durable"
        status, _, body = call(f"{base}/api/v1/leases/next", cookie=ada)
        task = json.loads(body)["lease"]
        assert status == 200 and len(task["responses"]) == 2
        ids = [r["id"] for r in task["responses"]]
        judgment = {"lease_id": task["id"], "kind": "pairwise", "idempotency_key": "e2e-1",
                    "ranks": [{"response_id": ids[0], "rank": 1}, {"response_id": ids[1], "rank": 2}]}
        assert call(f"{base}/api/v1/judgments", "POST", ada, judgment)[0] == 403, "no Origin: refused"
        assert call(f"{base}/api/v1/judgments", "POST", ada, judgment, origin=base)[0] == 201
        assert call(f"{base}/api/v1/judgments", "POST", ada, judgment, origin=base)[0] == 201
        assert call(f"{base}/api/v1/annotators", cookie=ada)[0] == 403
        status, _, body = call(f"{base}/api/v1/stats", cookie=admin)
        assert status == 200 and json.loads(body)["totals"]["labels"] == 1

        listed = subprocess.run([hilo_bin, "annotators", "list", "--db", str(db)], check=True, capture_output=True, text=True).stdout
        assert re.search(r"\tada\tannotator\tactive\t1\n", listed)
        subprocess.run([hilo_bin, "annotators", "disable", "ada", "--db", str(db)], check=True, capture_output=True)
        eventually(lambda: call(f"{base}/api/v1/me", cookie=ada)[0] == 401)   # the server's session cache lives one second
        assert call(f"{base}/api/v1/me", cookie=ada)[0] == 401
        assert call(ada_link)[0] == 401
        status, _, body = call(f"{base}/api/v1/openapi.json")
        assert status == 200 and json.loads(body)["openapi"] == "3.1.0"
        status, _, body = call(f"{base}/metrics")
        assert b'hilo_labels_total{origin="human"} 1' in body
    finally:
        server.terminate()
        server.wait(timeout=15)
