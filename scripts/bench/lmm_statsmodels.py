"""Peer for scripts/bench/lmm.sh: REML fit of y ~ x + (1 + x | g) with statsmodels MixedLM.

Usage: python3 lmm_statsmodels.py FILE.csv
"""
import sys
import time
import warnings

import pandas as pd
import statsmodels
import statsmodels.formula.api as smf

t0 = time.perf_counter()
d = pd.read_csv(sys.argv[1])
t1 = time.perf_counter()
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    fit = smf.mixedlm("y ~ x", d, groups=d["g"], re_formula="~x").fit(reml=True)
t2 = time.perf_counter()
print(
    f"statsmodels {statsmodels.__version__}: read {t1 - t0:.3f} s, fit {t2 - t1:.3f} s, "
    f"logLik {fit.llf:.4f}, fixef {fit.fe_params.iloc[0]:.6f} {fit.fe_params.iloc[1]:.6f}, "
    f"converged {fit.converged}, warnings {len(w)}"
)
