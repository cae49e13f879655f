#!/usr/bin/env bash
# Store benchmarks: `hilo import` of prompts with 4 responses each and `hilo export --format trl`
# of preference pairs, each at two sizes a factor 10 apart so flat memory shows. Prints Markdown.
# Wall time on a shared machine is noisy: CPU time (user + sys) is given next to it.
set -euo pipefail
cd "$(dirname "$0")/../.."
HILO=${HILO_BIN:-.build/release/hilo}
PYTHON=${PY:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs a command under /usr/bin/time; sets WALL, CPU (seconds) and RSS (MiB).
measure() {
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" > "$work/out" 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
  read -r WALL user sys rss < "$work/time"
  CPU=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  RSS=$(awk -v k="$rss" 'BEGIN { printf "%.0f", k / 1024 }')
}
rate() { awk -v n="$1" -v t="$2" 'BEGIN { if (t < 0.005) t = 0.005; printf "%.0f", n / t }'; }

echo "## Store: import and export"
echo
echo "Import: \`hilo import FILE --format responses\` of N prompts with 4 responses each (rows = prompts + responses"
echo "inserted, batches of 5000 lines, synchronous=FULL). Export: \`hilo export --format trl -o FILE\` of a database"
echo "whose prompts each carry a 4-way ranking (6 pairs). Goals: import >= 50k rows/s, export >= 200k pairs/s,"
echo "peak memory flat in the row count. Peak RSS of an import includes SQLite's 32 MiB writer page cache, which"
echo "fills once the database outgrows it and then stays at that size."
echo
echo "| operation | size | rows | wall s | CPU s | rows/s (wall) | rows/s (CPU) | peak RSS MiB |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for n in 10000 100000; do
  "$PYTHON" scripts/bench_store_data.py responses "$n" "$work/r$n.jsonl"
  measure "$HILO" import "$work/r$n.jsonl" --format responses --db "$work/import$n.db"
  rows=$((n * 5))
  echo "| import | $n prompts x 4 | $rows | $WALL | $CPU | $(rate $rows "$WALL") | $(rate $rows "$CPU") | $RSS |"
  rm -f "$work/r$n.jsonl" "$work/import$n.db"*
done
for pairs in 100000 1000000; do
  n=$(( (pairs + 5) / 6 ))
  "$PYTHON" scripts/bench_store_data.py ranked "$n" "$work/k$n.jsonl"
  measure "$HILO" import "$work/k$n.jsonl" --format responses --db "$work/pairs$n.db"
  rows=$((n * 6)) # prompt, 4 responses, 1 ranking judgment
  echo "| import with rankings | $n prompts x 4 | $rows | $WALL | $CPU | $(rate $rows "$WALL") | $(rate $rows "$CPU") | $RSS |"
  rm -f "$work/k$n.jsonl"
  measure "$HILO" export --format trl --db "$work/pairs$n.db" -o "$work/out.jsonl"
  got=$(wc -l < "$work/out.jsonl")
  echo "| export trl | $got pairs | $got | $WALL | $CPU | $(rate "$got" "$WALL") | $(rate "$got" "$CPU") | $RSS |"
  measure "$HILO" export --format trl --aggregate --min-agreement 0.5 --db "$work/pairs$n.db" -o "$work/out.jsonl"
  got=$(wc -l < "$work/out.jsonl")
  echo "| export trl --aggregate | $got pairs | $got | $WALL | $CPU | $(rate "$got" "$WALL") | $(rate "$got" "$CPU") | $RSS |"
  rm -f "$work/out.jsonl" "$work/pairs$n.db"*
done
