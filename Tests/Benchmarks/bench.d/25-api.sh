#!/usr/bin/env bash
# The JSON API under load: `hilo serve` on a temporary database with 20,000 imported prompts (two
# responses each, via `hilo import`) and 16 annotators signed in through their login links; wrk with
# 64 connections against GET /api/v1/leases/next and against POST /api/v1/judgments (a Lua script
# posts pairwise judgments with the session cookie, the Origin header and a unique idempotency key,
# each annotator on prompts of their own). Every configuration in API_BENCH_CONFIGS (by default one
# and two event loops, `--event-loops 1|2`) runs on its own copy of the same database, one after the
# other in this run, so the rows compare side by side. Prints Markdown: requests/s, p50, p99, errors.
set -euo pipefail
cd "$(dirname "$0")/../../.."
BIN=${HILO_BIN:-.build/release/hilo}
PY=${PY:-python3}
DURATION=${API_BENCH_SECONDS:-10}
PROMPTS=${API_BENCH_PROMPTS:-20000}
ANNOTATORS=16
THREADS=2
tmp=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

"$PY" - "$PROMPTS" > "$tmp/prompts.jsonl" <<'PY'
import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"prompt": f"Question {i}: explain item {i} briefly.",
                      "responses": [f"Answer A to {i}: " + "a" * 200, f"Answer B to {i}: " + "b" * 200]}))
PY
"$BIN" import "$tmp/prompts.jsonl" --format responses --db "$tmp/hilo.db" > /dev/null

port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
# Admins: the submission load names prompts directly (prompt_id, no lease), which only admins may do;
# the write path is the annotators' own.
for i in $(seq "$ANNOTATORS"); do
  "$BIN" annotators add "bench$i" --admin --url "$url" --db "$tmp/hilo.db" | tail -1 >> "$tmp/links"
done
# The template database: WAL checkpointed into one file, so a copy is complete.
"$PY" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("PRAGMA wal_checkpoint(TRUNCATE)"); c.close()' "$tmp/hilo.db"

# Starts `hilo serve` with extra arguments on a fresh copy of the template database and signs every
# annotator in through their link (one-time use per copy); the session cookies go to $tmp/cookies.
start_server() {
  rm -rf "$tmp/run" && mkdir "$tmp/run" && cp "$tmp/hilo.db" "$tmp/run/hilo.db"
  "$BIN" serve --host 127.0.0.1 --port "$port" --db "$tmp/run/hilo.db" --public Public --no-demo "$@" > "$tmp/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.1; done
  : > "$tmp/cookies"
  while read -r link; do
    curl -s -o /dev/null -D - "$link" | tr -d '\r' | awk -F'[=;]' '/^Set-Cookie: hilo_session=/ {print $2}' >> "$tmp/cookies"
  done < "$tmp/links"
  [ "$(wc -l < "$tmp/cookies")" -eq "$ANNOTATORS" ] || { echo "login failed" >&2; cat "$tmp/serve.log" >&2; exit 1; }
}
stop_server() { kill -TERM "$server"; wait "$server" || true; server=""; }
# User + system clock ticks of a process or thread (its /proc stat file).
cpu_ticks() { awk '{print $14 + $15}' "$1"; }

cat > "$tmp/common.lua" <<'LUA'
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function load_cookies()
  local all = {}
  for line in io.lines(os.getenv("HILO_COOKIES")) do table.insert(all, line) end
  return all
end
LUA
cat > "$tmp/next.lua" <<'LUA'
dofile(os.getenv("HILO_COMMON"))
local counter = 0
function init(args) cookies = load_cookies() end
function request()
  counter = counter + 1
  return wrk.format("GET", "/api/v1/leases/next", { ["Cookie"] = "hilo_session=" .. cookies[counter % #cookies + 1] })
end
LUA
cat > "$tmp/submit.lua" <<'LUA'
dofile(os.getenv("HILO_COMMON"))
local counter = 0
function init(args)
  -- Each wrk thread owns its own annotators, so (annotator, prompt) pairs never repeat.
  local all, threads = load_cookies(), tonumber(os.getenv("HILO_THREADS"))
  mine = {}
  for i, c in ipairs(all) do if (i - 1) % threads == tid then table.insert(mine, c) end end
end
function request()
  local who = counter % #mine + 1
  local p = math.floor(counter / #mine) + 1
  counter = counter + 1
  local body = string.format('{"prompt_id":%d,"kind":"pairwise","idempotency_key":"bench-%d-%d","time_spent_ms":1500,' ..
    '"ranks":[{"response_id":%d,"rank":1},{"response_id":%d,"rank":2}]}', p, tid, counter, 2 * p - 1, 2 * p)
  return wrk.format("POST", "/api/v1/judgments", {
    ["Cookie"] = "hilo_session=" .. mine[who], ["Origin"] = os.getenv("HILO_URL"), ["Content-Type"] = "application/json" }, body)
end
LUA

cat > "$tmp/cycle.lua" <<'LUA'
dofile(os.getenv("HILO_COMMON"))
-- One annotator per wrk thread: GET next, then skip the lease it returned, so every other request
-- leases a fresh prompt (the queue query) and writes a skip.
local pending = {}
function init(args) cookie = load_cookies()[tid + 1] end
function request()
  local lease = table.remove(pending)
  local h = { ["Cookie"] = "hilo_session=" .. cookie, ["Origin"] = os.getenv("HILO_URL") }
  if lease then return wrk.format("POST", "/api/v1/leases/" .. lease .. "/skip", h, "") end
  return wrk.format("GET", "/api/v1/leases/next", h)
end
function response(status, headers, body)
  local lease = string.match(body, '"expires_at":%d+,"id":(%d+)')
  if lease then table.insert(pending, lease) end
end
LUA

measure() {
  local config=$1 name=$2 script=$3 path=$4 out
  out=$(HILO_COOKIES="$tmp/cookies" HILO_COMMON="$tmp/common.lua" HILO_THREADS=$THREADS HILO_URL="$url" \
        wrk -t$THREADS -c64 -d"${DURATION}s" --latency -s "$script" "$url$path")
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {n+=$NF} /Socket errors/ {gsub(",",""); n+=$4+$6+$8+$10} END {print n+0}' <<<"$out")
  echo "| $config | $name | $rps | $p50 | $p99 | $errors |"
}

echo "## JSON API"
echo
echo "\`hilo serve --no-demo\` with $PROMPTS imported prompts (2 responses each) and $ANNOTATORS signed-in annotators"
echo "(annotation only: no policy, so no candidate generation or retraining competes for the cores; the loop section"
echo "measures submission while a training job runs);"
echo "wrk -t$THREADS -c64 for ${DURATION} s per row on the same 2-core machine, access log on, synchronous=FULL;"
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine shows up in p99)."
echo
echo "| Server | Route | Requests/s | p50 | p99 | Errors |"
echo "|---|---|---:|---:|---:|---:|"
IFS=';' read -r -a configs <<< "${API_BENCH_CONFIGS:---event-loops 1;--event-loops 2}"
notes=""
for config in "${configs[@]}"; do
  # shellcheck disable=SC2086 # a configuration is a list of arguments
  start_server $config
  # The writer thread asks for nice -10 (AppConfig.writerNiceness); without CAP_SYS_NICE it keeps 0.
  writer_stat=$(for t in /proc/"$server"/task/*; do if [ "$(cat "$t/comm")" = hilo-writer ]; then echo "$t/stat"; fi; done)
  writer_nice=$(awk '{print $19}' "$writer_stat")
  measure "$config" "GET /api/v1/leases/next (session cookie, open lease)" "$tmp/next.lua" /api/v1/leases/next
  cpu_before=$(cpu_ticks "/proc/$server/stat"); writer_before=$(cpu_ticks "$writer_stat")
  measure "$config" "POST /api/v1/judgments (pairwise, unique idempotency keys)" "$tmp/submit.lua" /api/v1/judgments
  cpu_after=$(cpu_ticks "/proc/$server/stat"); writer_after=$(cpu_ticks "$writer_stat")
  labels=$(curl -s "$url/metrics" | awk '/^hilo_labels_total\{origin="human"\}/ {print $2}')
  # CPU time (user + system) per stored label during the submission run: less sensitive to other
  # work on the machine than requests/s, and the writer thread's share is the serial stage.
  per_label=$(awk -v t=$((cpu_after - cpu_before)) -v w=$((writer_after - writer_before)) -v n="${labels:-0}" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { if (n > 0) printf "server CPU %.0f µs per stored label (writer thread %.0f µs)", t * 1e6 / hz / n, w * 1e6 / hz / n; else printf "no labels stored" }')
  measure "$config" "GET next + POST skip, alternating (a new lease every other request)" "$tmp/cycle.lua" /api/v1/leases/next
  stop_server
  leases=$("$PY" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM leases").fetchone()[0])' "$tmp/run/hilo.db")
  notes+="- \`$config\`: $labels labels stored by the submission run (from /metrics), $per_label; $leases leases created in all; writer thread nice ${writer_nice:-?}."$'\n'
done
echo
echo "Each server configuration starts from a copy of the same database; its rows ran one after the other."
echo -n "$notes"
echo "In the alternating run several connections of one annotator see the same open lease, so many of its skips are idempotent replays."
echo "Load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)."
