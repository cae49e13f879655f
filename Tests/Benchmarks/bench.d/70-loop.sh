#!/usr/bin/env bash
# The training loop: time from the label threshold to a new policy version, and judgment latency with
# and without a training job running (Tests/Benchmarks/bench_loop.py). Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/../../.."
HILO_BIN=${HILO_BIN:-.build/release/hilo} "${PY:-python3}" Tests/Benchmarks/bench_loop.py
