"""`hilo serve` end to end: start on a free port, health check, UI and security headers, a traversal
attempt, then SIGTERM while a request is in flight is a clean exit."""
import http.client
import os
import pathlib
import signal
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]


def start(hilo_bin, tmp):
    proc = subprocess.Popen(
        [hilo_bin, "serve", "--port", "0", "--db", os.path.join(tmp, "hilo.db"), "--public", str(ROOT / "Public")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("listening on http://"):
            port = int(line.split()[2].rsplit(":", 1)[1])
            return proc, port, lines
    raise AssertionError("server did not start:\n" + "".join(lines))


def test_serve_health_static_headers_and_graceful_sigterm(hilo_bin):
    with tempfile.TemporaryDirectory() as tmp:
        proc, port, lines = start(hilo_bin, tmp)
        try:
            assert lines[0].startswith("OpenBLAS core ")
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/healthz?token=SECRET")
            r = conn.getresponse()
            assert (r.status, r.read()) == (200, b'{"status":"ok"}')
            assert r.getheader("Content-Security-Policy") == "default-src 'self'; frame-ancestors 'none'"
            assert r.getheader("X-Content-Type-Options") == "nosniff"
            assert r.getheader("Referrer-Policy") == "no-referrer"

            conn.request("GET", "/")
            r = conn.getresponse()
            body = r.read()
            assert r.status == 200 and b"<script>" not in body and r.getheader("Content-Type").startswith("text/html")
            etag = r.getheader("ETag")
            conn.request("GET", "/", headers={"If-None-Match": etag})
            r = conn.getresponse()
            assert (r.status, r.read()) == (304, b"")

            conn.request("GET", "/%2e%2e/%2e%2e/etc/passwd")
            r = conn.getresponse()
            assert r.status == 404 and b"root:" not in r.read()

            conn.putrequest("GET", "/healthz", skip_host=True)   # HTTP/1.1 without Host
            conn.endheaders()
            r = conn.getresponse()
            assert r.status == 400 and b'"error"' in r.read()
        finally:
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=15)
        assert proc.returncode == 0
        log = "".join(lines) + out
        assert "GET /healthz 200 15B" in log
        assert "SECRET" not in log
        assert log.rstrip().endswith("stopped")
