#!/usr/bin/env bash
# Automatic promotion on the embedded starter (Tests/Benchmarks/promotion_check.py): a threshold run's
# reward model and policy trained offline on 300 rule-labelled pairs, then the automatic evaluation's
# verdict (the reward model's paired win rate with its Wilson bound) for the trained policy, the
# starter drawn again and a policy trained on reversed labels, at 1, 4 and 16 answers per held-out
# prompt, beside the true rule rates. Needs HILO_BIN and PY (make bench sets them). Markdown on stdout.
set -euo pipefail
cd "$(dirname "$0")/../../.."
HILO=${HILO_BIN:-.build/release/hilo}
PY=${PY:-.venv/bin/python}
echo "## Automatic promotion on the starter"
echo
echo "Load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
"$PY" Tests/Benchmarks/promotion_check.py --hilo "$HILO" --seeds "${PROMOTION_SEEDS:-1}"
