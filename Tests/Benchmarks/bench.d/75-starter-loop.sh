#!/usr/bin/env bash
# The retraining recipe on the embedded starter, simulated offline with the command line
# (Tests/e2e/loop_simulation.py): the starter samples 4 candidates per demo-queue prompt, a rule
# (`hilo demo judge --rule correct`) labels one pair per prompt, and the first 50, 100 and 200 pairs
# train the policy (the server's default recipe beside plain DPO) and a reward model. Reports the
# held-out sampled rule rate before and after, training seconds, and the reward model's held-out
# pair accuracy. Needs HILO_BIN and PY (make bench sets them). Markdown on stdout.
set -euo pipefail
cd "$(dirname "$0")/../../.."
HILO=${HILO_BIN:-.build/release/hilo}
PY=${PY:-.venv/bin/python}
echo "## Retraining the starter: a simulated loop"
echo
echo "Load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
"$PY" Tests/e2e/loop_simulation.py --hilo "$HILO" --pairs 50,100,200 --recipes "${LOOP_RECIPES:-rpo-1e-4,dpo-1e-4,sft-chosen-3e-4}"
