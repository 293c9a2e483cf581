"""Mancl-DeRouen (bias-reduced) sandwich SEs for scaleup-stats `gee` from statsmodels.

geepack has no small-sample correction, so statsmodels GEE with cov_type="bias_reduced" (Mancl &
DeRouen 2001) is the reference. fit(ddof_scale=0) makes statsmodels use geepack's scale and
exchangeable-alpha conventions (no "- p"), so the point estimates equal geepack's and the
corrected SEs are comparable exactly. Models and data are those of make_gee_reference.R.
Run from this directory: python3 make_gee_md_reference.py  (writes gee/gee_md_reference.json)
"""
import json
import re
import platform

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.api as sm
import statsmodels.formula.api as smf

ref = json.load(open("gee/gee_reference.json"))
out = {"generator": "crates/scaleup-stats/tests/reference/make_gee_md_reference.py",
       "versions": {"python": platform.python_version(), "statsmodels": statsmodels.__version__,
                    "numpy": np.__version__, "pandas": pd.__version__},
       "fits": []}
for f in ref["fits"]:
    d = pd.read_csv(f"gee/{f['data']}.csv")
    lhs, rhs = f["formula"].split("~")
    vars_ = [lhs.strip()] + [v.strip() for v in rhs.replace("*", "+").split("+")]
    d = d.dropna(subset=vars_)
    fam = sm.families.Gaussian() if f["family"] == "gaussian" else sm.families.Binomial()
    cs = sm.cov_struct.Independence() if f["corr"] == "independence" else sm.cov_struct.Exchangeable()
    model = smf.gee(f["formula"], groups=f["group"], data=d, family=fam, cov_struct=cs)
    res = model.fit(maxiter=500, ctol=1e-12, ddof_scale=0, cov_type="bias_reduced")
    rob = model.fit(maxiter=500, ctol=1e-12, ddof_scale=0, cov_type="robust")
    # patsy puts categorical terms first and names them "Cu[T.Cu035]"; use R's order and names.
    rename = {n: ("(Intercept)" if n == "Intercept" else re.sub(r"\[T\.(.*?)\]", r"\1", n))
              for n in res.params.index}
    terms = f["terms"] if isinstance(f["terms"], list) else [f["terms"]]
    order = [list(rename.values()).index(t) for t in terms]
    est = res.params.values[order]
    md = res.bse.values[order]
    rb = rob.bse.values[order]
    out["fits"].append({
        "data": f["data"], "formula": f["formula"], "family": f["family"], "group": f["group"],
        "corr": f["corr"], "terms": terms, "estimate": list(est),
        "mancl_derouen_se": list(md), "robust_se": list(rb),
    })
    print(f["data"], f["family"], f["corr"],
          np.max(np.abs(est - np.array(f["estimate"])) / np.abs(np.array(f["estimate"]))),
          np.max(np.abs(rb - np.array(f["robust_se"])) / np.array(f["robust_se"])), md / rb)
json.dump(out, open("gee/gee_md_reference.json", "w"), indent=1)
