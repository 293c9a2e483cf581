"""Independent numpy evaluation of models/friendship_bench_markov.toml.

Writes friendship_bench_markov.json next to this script: discounted cost and effect per strategy
and the undiscounted healthy-time gain per treated case used as `delta_yld_per_case` in
models/friendship_bench_roi.toml. Conventions as in the model file: accrual at the start of each
cycle, monthly cycles (cycle_years = 1/12), 3 % annual discounting, first cycle undiscounted
(weight 1/1.03^((t-1)/12) for cycle t = 1..12).

Run: python3 friendship_bench_markov.py
"""
import json
import pathlib
import sys

import numpy as np

RELAPSE = 1 - 0.47 ** (1 / 12)  # 53 % relapse within 12 months (Healey et al. 2022)
REREMIT = 1 - 0.51 ** (1 / 12)  # 49 % re-remission within 12 months
MORT = 0.005                    # per cycle, Remission
MORT_CMD = 0.005 * 1.71         # relative risk 1.71 in CMD and Relapse
EFFECTS = np.array([0.59, 0.85, 0.59, 0.0]) / 12  # (1 - DW) / 12, DW 0.41 and 0.15
COST_FB = 25.295


def matrix(remit):
    return np.array([
        [1 - remit - MORT_CMD, remit, 0.0, MORT_CMD],
        [0.0, 1 - RELAPSE - MORT, RELAPSE, MORT],
        [0.0, REREMIT, 1 - REREMIT - MORT_CMD, MORT_CMD],
        [0.0, 0.0, 0.0, 1.0],
    ])


def run(remits, first_cost, rate):
    x = np.array([1.0, 0.0, 0.0, 0.0])
    cost = effect = 0.0
    for t, remit in enumerate(remits):
        w = 1 / (1 + rate) ** (t / 12)
        effect += w * (x @ EFFECTS)
        if t == 0:
            cost += w * x[0] * first_cost
        x = x @ matrix(remit)
    return cost, effect


uc = [0.07] * 12
fb = [0.28] * 6 + [0.07] * 6
out = {
    "generator": "friendship_bench_markov.py",
    "python": sys.version.split()[0],
    "numpy": np.__version__,
    "strategies": [
        dict(zip(("name", "cost", "effect"), ("Usual care", *run(uc, 0.0, 0.03)))),
        dict(zip(("name", "cost", "effect"), ("Friendship Bench", *run(fb, COST_FB, 0.03)))),
    ],
    "undiscounted_effect_gain_per_case": run(fb, 0, 0.0)[1] - run(uc, 0, 0.0)[1],
}
path = pathlib.Path(__file__).with_suffix(".json")
path.write_text(json.dumps(out, indent=2) + "\n")
print(json.dumps(out, indent=2))
