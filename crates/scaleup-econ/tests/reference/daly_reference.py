"""Reference values for the DALY helpers (daly.rs), computed independently with numpy/math.

Writes daly_reference.json next to this script. Formulas: reference doc §3.3.
Run: python3 daly_reference.py
"""
import json
import math
import pathlib
import sys

import numpy as np


def yld_cont(dw, length, r):
    # Incidence-based YLD per case with continuous discounting at rate r (no age weights).
    return dw * length if r == 0 else dw * (1 - math.exp(-r * length)) / r


cases = [
    {"dw": 0.396, "duration": 1.0, "rate": 0.03},
    {"dw": 0.145, "duration": 0.5, "rate": 0.03},
    {"dw": 0.658, "duration": 10.0, "rate": 0.03},
    {"dw": 0.41, "duration": 2.5, "rate": 0.0},
]
for c in cases:
    c["yld"] = yld_cont(c["dw"], c["duration"], c["rate"])

out = {
    "generator": "daly_reference.py",
    "python": sys.version.split()[0],
    "numpy": np.__version__,
    "continuous_yld_per_case": cases,
    # 1 per year for t = 0..14 at 3 %, first year undiscounted.
    "discrete_sum_15y_3pct_from0": float(np.sum(1 / 1.03 ** np.arange(15))),
    "discrete_sum_15y_3pct_from1": float(np.sum(1 / 1.03 ** np.arange(1, 16))),
    # GBD 2013 anxiety severity split (Burstein et al. 2015) × GBD weights.
    "anxiety_average_dw": 0.409 * 0.030 + 0.185 * 0.133 + 0.123 * 0.523,
    "comorbid_0.396_0.133": 1 - (1 - 0.396) * (1 - 0.133),
}
path = pathlib.Path(__file__).with_suffix(".json")
path.write_text(json.dumps(out, indent=2) + "\n")
print(json.dumps(out, indent=2))
