#!/usr/bin/env bash
# Next-task's prompt pick on large queues, most prompts fully labelled: the query before schema
# version 3 (labels counted per candidate prompt, from the oldest prompt or from the in-memory hint)
# against the coverage counter prompts.labels, on the same database (bench_next_task.py). Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/../../.."
BIN=${HILO_BIN:-.build/release/hilo}
PY=${PY:-python3}
echo "## Next-task's prompt pick"
echo
echo "\`hilo import\` of N prompts (2 responses each); 16 annotators label the oldest 90% once (overlap 1),"
echo "a 17th asks for a task. Median of 5 runs of the pick's queries through Python's sqlite3."
echo "Before: from the oldest prompt (what every server start and every undo did) and from a warm hint."
echo "After: schema version 3's coverage counter prompts.labels and its index."
echo
echo "| Prompts | Fully labelled | Before, from the oldest | Before, warm hint | After (counter) | Oldest ÷ after |"
echo "|---:|---:|---:|---:|---:|---:|"
"$PY" Tests/Benchmarks/bench_next_task.py "$BIN" ${NEXT_BENCH_PROMPTS:-30000 100000}
