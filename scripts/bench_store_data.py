#!/usr/bin/env python3
"""Writes synthetic import files for scripts/bench.d/10-store.sh.

    bench_store_data.py responses N FILE   N prompts with 4 responses each (no labels)
    bench_store_data.py ranked N FILE      N prompts with 4 ranked responses: 6 preference pairs each
"""
import json
import random
import sys

WORDS = "the a model answer question short long because when which helpful kind clear reason data label".split()


def sentence(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def main():
    kind, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    rng = random.Random(1234)
    with open(path, "w") as f:
        for k in range(n):
            row = {"prompt": f"#{k} " + sentence(rng, 12),
                   "responses": [f"{j}. " + sentence(rng, 20) for j in range(4)]}
            if kind == "ranked":
                row["ranks"] = [1, 2, 3, 4]
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
