#!/usr/bin/env bash
# The training loop on the default path (hilo serve with the starter and the demo prompts, simulated rule
# annotators over the HTTP API, automatic promotion): time from the threshold-crossing label to run started,
# policy written, evaluation decided and the new version serving, the decision, with 16 and 1 evaluation
# samples per prompt; judgment latency with and without the job running (Tests/Benchmarks/bench_loop.py).
# A few minutes. Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/../../.."
HILO_BIN=${HILO_BIN:-.build/release/hilo} "${PY:-python3}" Tests/Benchmarks/bench_loop.py
