#!/usr/bin/env bash
# HTTP server throughput and latency: `hilo serve` on a free port with a temporary database, wrk with
# 64 connections against GET /healthz and a static file, then /healthz again while a Python client
# holds 1,000 idle keep-alive connections (each checked with a request before and after). Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/../../.."
BIN=${HILO_BIN:-.build/release/hilo}
PY=${PY:-python3}
DURATION=${HTTP_BENCH_SECONDS:-10}
tmp=$(mktemp -d)
server=""
holder=""
cleanup() {
  [ -n "$holder" ] && kill "$holder" 2>/dev/null || true
  [ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# Starts `hilo serve` with extra arguments on a free port; sets $server, $port and $url.
start_server() {
  port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$BIN" serve --host 127.0.0.1 --port "$port" --db "$tmp/hilo.db" --public Public --no-demo "$@" > "$tmp/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  url="http://127.0.0.1:$port"
}
stop_server() { kill -TERM "$server"; wait "$server" || true; server=""; }
start_server

# Runs wrk and prints "| name | req/s | p50 | p99 | errors |".
measure() {
  local name=$1 path=$2 out
  out=$(wrk -t2 -c64 -d"${DURATION}s" --latency "$url$path")
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {n+=$NF} /Socket errors/ {gsub(",",""); n+=$4+$6+$8+$10} END {print n+0}' <<<"$out")
  echo "| $name | $rps | $p50 | $p99 | $errors |"
}

cat > "$tmp/hold.py" <<'PY'
# Opens N keep-alive connections, checks each with a GET, holds them idle until told to stop, then
# checks each again. Prints "held OK_BEFORE OK_AFTER".
import os, socket, sys, time
port, n, ready, stop = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
req = b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"
def ask(s):
    s.sendall(req)
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith(b"}"):
        chunk = s.recv(4096)
        if not chunk:
            return False
        data += chunk
    return data.startswith(b"HTTP/1.1 200")
conns, before = [], 0
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    conns.append(s)
    before += ask(s)
open(ready, "w").close()
while not os.path.exists(stop):
    time.sleep(0.1)
after = 0
for s in conns:
    try:
        after += ask(s)
    except OSError:
        pass
print(f"held {before} {after}")
PY

echo "## HTTP server"
echo
echo "\`hilo serve\` on 127.0.0.1, wrk -t2 -c64 for ${DURATION} s per row, access log on; same machine as wrk."
echo
echo "| Scenario | Requests/s | p50 | p99 | Errors |"
echo "|---|---:|---:|---:|---:|"
measure "GET /healthz (JSON)" /healthz
measure "GET /app.css (static, ETag)" /app.css
"$PY" "$tmp/hold.py" "$port" 1000 "$tmp/ready" "$tmp/stop" > "$tmp/hold.out" &
holder=$!
for _ in $(seq 600); do [ -e "$tmp/ready" ] && break; sleep 0.1; done
measure "GET /healthz with 1,000 idle keep-alive connections held" /healthz
touch "$tmp/stop"
wait "$holder" || true
holder=""
read -r _ before after < "$tmp/hold.out" || { before=0; after=0; }
stop_server
start_server --handlers-on-event-loop
measure "GET /healthz, handlers on the event loop (--handlers-on-event-loop)" /healthz
stop_server
echo
echo "Idle keep-alive connections: $before of 1000 answered before the run, $after of 1000 still open and answered after it."
