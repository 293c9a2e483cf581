"""Reference values for scaleup-stats `power` (study design).

Independent implementations, not ports of the Rust code:
- individual designs: statsmodels.stats.power.NormalIndPower (means) and
  statsmodels.stats.proportion.power_proportions_2indep (two proportions, pooled variance
  under H0);
- parallel cluster trials: the same statsmodels functions on the effective sample size
  n_eff = k*m_analysed/DE (design-effect arithmetic), and for partially clustered designs a
  direct formula Var = s2*(DE/n_int + 1/n_ctl);
- stepped-wedge: the GLS variance of the treatment effect computed by stacking ALL clusters
  into one long design matrix (cluster-period means; fixed period effects) with a block-diagonal
  covariance, using swCRTdesign's parameterisation (tau, eta, rho, gamma, sigma; icc/cac), and
  the Hussey & Hughes (2007) closed form where it applies. The cases are the examples of
  swCRTdesign's man/swPwr.Rd (Examples 1-5 and 8).

Run: python3 make_power_reference.py  (writes power_reference.json here)
"""
import json
import math
import platform

import numpy as np
import scipy
import statsmodels
from scipy.stats import norm
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import power_proportions_2indep


def sm_means(delta, sd, n, alpha):
    return NormalIndPower().power(effect_size=delta / sd, nobs1=n, alpha=alpha, ratio=1.0)


def sm_props(p0, p1, n, alpha):
    return power_proportions_2indep(p1 - p0, p0, n, ratio=1.0, alpha=alpha,
                                    alternative="two-sided").power


def sw_gls_var(X, n, sigma2, tau, eta=0.0, rho=0.0, gamma=0.0):
    """X: clusters x periods. Var(theta) by GLS on the stacked cluster-period means."""
    I, T = X.shape
    rows = []
    blocks = []
    for i in range(I):
        x = X[i]
        Z = np.hstack([np.eye(T), x[:, None]])
        rows.append(Z)
        one = np.ones(T)
        V = (tau ** 2 * np.outer(one, one) + (sigma2 / n + gamma ** 2) * np.eye(T)
             + eta ** 2 * np.outer(x, x) + rho * eta * tau * (np.outer(x, one) + np.outer(one, x)))
        blocks.append(V)
    Zall = np.vstack(rows)
    Vall = scipy.linalg.block_diag(*blocks)
    info = Zall.T @ np.linalg.solve(Vall, Zall)
    return np.linalg.inv(info)[T, T]


def hh_closed(X, sigma2_mean, tau2):
    I, T = X.shape
    U = X.sum()
    W = (X.sum(axis=0) ** 2).sum()
    V = (X.sum(axis=1) ** 2).sum()
    s2 = sigma2_mean
    return I * s2 * (s2 + T * tau2) / ((I * U - W) * s2 + (U ** 2 + I * T * U - T * W - I * V) * tau2)


def sw_dsn(clusters, extra_time=0):
    """swCRTdesign::swDsn: sequence s crosses over at period s+1; extra_time adds treated periods."""
    S = len(clusters)
    T = S + 1 + extra_time
    seqs = [[1.0 if j > s else 0.0 for j in range(T)] for s in range(S)]
    return seqs


def expand(seqs, k):
    return np.array([row for row in seqs for _ in range(k)], dtype=float)


def power_from_var(theta, var, alpha):
    z = norm.ppf(1 - alpha / 2)
    se = math.sqrt(var)
    return norm.cdf(abs(theta) / se - z) + norm.cdf(-abs(theta) / se - z)


def woertman(k, b, t, n, rho):
    return ((1 + rho * (k * t * n + b * n - 1)) / (1 + rho * (0.5 * k * t * n + b * n - 1))
            * 3 * (1 - rho) / (2 * t * (k - 1 / k)))


cases = []

# --- individual ---
for (delta, sd, n, alpha) in [(0.5, 1.0, 64, 0.05), (3.0, 6.0, 50, 0.05), (2.0, 5.0, 120, 0.01)]:
    cases.append({
        "name": f"individual-means-d{delta}-sd{sd}-n{n}-a{alpha}",
        "spec": {"kind": "individual", "alpha": alpha,
                 "outcome": {"type": "continuous", "mean_difference": delta, "sd": sd},
                 "individual": {"n_per_arm": n}},
        "expected": {"power": sm_means(delta, sd, n, alpha), "se": sd * math.sqrt(2 / n)},
        "source": "statsmodels NormalIndPower",
    })
for (p0, p1, n) in [(0.3, 0.45, 150), (0.5, 0.35, 100), (0.1, 0.05, 400)]:
    cases.append({
        "name": f"individual-props-{p0}-{p1}-n{n}",
        "spec": {"kind": "individual", "alpha": 0.05,
                 "outcome": {"type": "binary", "p0": p0, "p1": p1},
                 "individual": {"n_per_arm": n}},
        "expected": {"power": sm_props(p0, p1, n, 0.05)},
        "source": "statsmodels power_proportions_2indep",
    })

# --- parallel cluster RCT ---
for (delta, sd, k, m, icc, cv, ltf) in [(2.0, 5.0, 10, 20, 0.05, 0.0, 0.0),
                                         (2.0, 5.0, 12, 15, 0.07, 0.5, 0.1),
                                         (1.0, 4.0, 30, 8, 0.02, 0.3, 0.2)]:
    m_an = m * (1 - ltf)
    de = 1 + ((cv ** 2 + 1) * m_an - 1) * icc
    neff = k * m_an / de
    cases.append({
        "name": f"parallel-means-k{k}-m{m}-icc{icc}-cv{cv}-ltf{ltf}",
        "spec": {"kind": "parallel-crt", "alpha": 0.05,
                 "outcome": {"type": "continuous", "mean_difference": delta, "sd": sd},
                 "clustering": {"icc": icc},
                 "parallel_crt": {"clusters_per_arm": k, "cluster_size": m, "cv_cluster_size": cv,
                                  "loss_to_follow_up": ltf, "clustered_arms": "both"}},
        "expected": {"power": sm_means(delta, sd, neff, 0.05), "design_effect": de,
                     "se": sd * math.sqrt(2 / neff)},
        "source": "statsmodels NormalIndPower on n_eff = k*m*(1-ltf)/DE",
    })
for (p0, p1, k, m, icc, cv, ltf) in [(0.4, 0.55, 15, 20, 0.05, 0.0, 0.0),
                                      (0.3, 0.2, 20, 25, 0.02, 0.5, 0.15)]:
    m_an = m * (1 - ltf)
    de = 1 + ((cv ** 2 + 1) * m_an - 1) * icc
    neff = k * m_an / de
    cases.append({
        "name": f"parallel-props-k{k}-m{m}-icc{icc}-cv{cv}-ltf{ltf}",
        "spec": {"kind": "parallel-crt", "alpha": 0.05,
                 "outcome": {"type": "binary", "p0": p0, "p1": p1},
                 "clustering": {"icc": icc},
                 "parallel_crt": {"clusters_per_arm": k, "cluster_size": m, "cv_cluster_size": cv,
                                  "loss_to_follow_up": ltf}},
        "expected": {"power": sm_props(p0, p1, neff, 0.05), "design_effect": de},
        "source": "statsmodels power_proportions_2indep on n_eff",
    })
# tau given, continuous: sd is within-cluster, total = sd^2 + tau^2, icc = tau^2/total.
delta, sd, tau, k, m = 1.5, 4.0, 1.0, 8, 25
total = sd ** 2 + tau ** 2
icc = tau ** 2 / total
de = 1 + (m - 1) * icc
var = 2 * total * de / (k * m)
cases.append({
    "name": "parallel-means-tau",
    "spec": {"kind": "parallel-crt", "alpha": 0.05,
             "outcome": {"type": "continuous", "mean_difference": delta, "sd": sd},
             "clustering": {"tau": tau},
             "parallel_crt": {"clusters_per_arm": k, "cluster_size": m}},
    "expected": {"power": power_from_var(delta, var, 0.05), "design_effect": de,
                 "se": math.sqrt(var),
                 # Same trial as a one-period GLS: Var = 2(tau^2 + sd^2/m)/k.
                 "se_gls": math.sqrt(2 * (tau ** 2 + sd ** 2 / m) / k)},
    "source": "hand design-effect arithmetic",
})
# partially clustered (therapist clustering in the intervention arm only)
delta, sd, icc, k, m, ltf = 2.0, 6.0, 0.05, 10, 12, 0.1
m_an = m * (1 - ltf)
de = 1 + (m_an - 1) * icc
n = k * m_an
var = sd ** 2 * (de / n + 1 / n)
cases.append({
    "name": "parallel-partially-clustered-means",
    "spec": {"kind": "parallel-crt", "alpha": 0.05,
             "outcome": {"type": "continuous", "mean_difference": delta, "sd": sd},
             "clustering": {"icc": icc},
             "parallel_crt": {"clusters_per_arm": k, "cluster_size": m, "loss_to_follow_up": ltf,
                              "clustered_arms": "intervention"}},
    "expected": {"power": power_from_var(delta, var, 0.05), "design_effect": de, "se": math.sqrt(var)},
    "source": "Var = sd^2 (DE_int/n_int + 1/n_ctl)",
})
p0, p1 = 0.5, 0.35
pbar = (p0 + p1) / 2
se0 = math.sqrt(pbar * (1 - pbar) * (de / n + 1 / n))
se1 = math.sqrt(p1 * (1 - p1) * de / n + p0 * (1 - p0) / n)
z = norm.ppf(0.975)
pw = norm.cdf((abs(p1 - p0) - z * se0) / se1) + norm.cdf((-abs(p1 - p0) - z * se0) / se1)
cases.append({
    "name": "parallel-partially-clustered-props",
    "spec": {"kind": "parallel-crt", "alpha": 0.05,
             "outcome": {"type": "binary", "p0": p0, "p1": p1},
             "clustering": {"icc": icc},
             "parallel_crt": {"clusters_per_arm": k, "cluster_size": m, "loss_to_follow_up": ltf,
                              "clustered_arms": "intervention"}},
    "expected": {"power": pw, "design_effect": de, "se": se1},
    "source": "pooled-null / unpooled-alternative normal power, DE in intervention arm only",
})

# --- stepped-wedge: swCRTdesign man/swPwr.Rd examples, computed by stacked GLS ---
def sw_case(name, seqs, k, n, outcome, theta, sigma2, tau, eta=0.0, rho=0.0, gamma=0.0,
            clustering=None, woertman_shape=None):
    X = expand(seqs, k)
    var = sw_gls_var(X, n, sigma2, tau, eta, rho, gamma)
    exp = {"power": power_from_var(theta, var, 0.05), "se": math.sqrt(var)}
    if eta == 0 and gamma == 0:
        exp["se_closed_form"] = math.sqrt(hh_closed(X, sigma2 / n, tau ** 2))
        if woertman_shape:
            kk, b, t = woertman_shape
            exp["design_effect"] = woertman(kk, b, t, n, tau ** 2 / (tau ** 2 + sigma2))
    if clustering is None:
        # swPwr's gamma and tau combine into our per-period tau with cac = tau^2/(tau^2+gamma^2).
        tot = tau ** 2 + gamma ** 2
        clustering = {"tau": math.sqrt(tot)}
        if gamma > 0:
            clustering["cac"] = tau ** 2 / tot
        if eta > 0:
            clustering["eta"] = eta
            clustering["eta_correlation"] = rho
    cases.append({
        "name": name,
        "spec": {"kind": "stepped-wedge", "alpha": 0.05, "outcome": outcome, "clustering": clustering,
                 "stepped_wedge": {"sequences": seqs, "clusters_per_sequence": k,
                                   "cluster_period_size": n}},
        "expected": exp,
        "source": "stacked GLS (numpy) in swCRTdesign parameterisation; swPwr.Rd example",
    })


bin_outcome = {"type": "binary", "p0": 0.05, "p1": 0.035}
mubar = (0.05 + 0.035) / 2
s2 = mubar * (1 - mubar)
sw_case("sw-ex1-random-intercept", sw_dsn([6] * 4), 6, 120, bin_outcome, -0.015, s2, 0.01,
        woertman_shape=(4, 1, 1))
sw_case("sw-ex2-extra-time", sw_dsn([6] * 4, extra_time=3), 6, 120, bin_outcome, -0.015, s2, 0.01)
sw_case("sw-ex3-independent-slopes", sw_dsn([6] * 4), 6, 120, bin_outcome, -0.015, s2, 0.01, eta=0.0045)
sw_case("sw-ex4-correlated-slopes", sw_dsn([6] * 4), 6, 120, bin_outcome, -0.015, s2, 0.01, eta=0.0045, rho=0.4)
sw_case("sw-ex5-time-effect", sw_dsn([6] * 4), 6, 120, bin_outcome, -0.015, s2, 0.01, eta=0.0045, rho=0.4,
        gamma=0.1)
# Example 8: gaussian, sigma 0.1, icc 0.02, cac 0.125 (swPwr: icc=(tau2+g2)/(tau2+g2+s2), cac=tau2/(tau2+g2)).
icc, cac, sigma = 0.02, 0.125, 0.1
between = icc * sigma ** 2 / (1 - icc)
sw_case("sw-ex8-icc-cac", sw_dsn([6] * 4), 6, 120,
        {"type": "continuous", "mean_difference": -0.015, "sd": sigma}, -0.015, sigma ** 2,
        math.sqrt(between * cac), gamma=math.sqrt(between * (1 - cac)),
        clustering={"icc": icc, "cac": cac})
# A continuous staircase with icc only, 2 baseline periods, 2 periods per step (Woertman b=2,t=2).
seqs = [[0, 0, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 1, 1]]
seqs = [[float(v) for v in r] for r in seqs]
icc, sd = 0.05, 5.0
sw_case("sw-icc-b2-t2", seqs, 3, 10, {"type": "continuous", "mean_difference": 2.0, "sd": sd}, 2.0, sd ** 2,
        math.sqrt(icc * sd ** 2 / (1 - icc)), clustering={"icc": icc}, woertman_shape=(3, 2, 2))

# Fractional exposure in the crossover period (half effect), where only GLS applies.
frac = [[0, 0.5, 1, 1, 1], [0, 0, 0.5, 1, 1], [0, 0, 0, 0.5, 1], [0, 0, 0, 0, 0.5]]
frac = [[float(v) for v in r] for r in frac]
sw_case("sw-fractional-exposure", frac, 3, 50, {"type": "continuous", "mean_difference": 0.3, "sd": 1.0},
        0.3, 1.0, 0.3)
cases[-1]["expected"].pop("se_closed_form")

# --- t reference distribution (shifted central t; df per the conventions in power.rs) ---
from scipy.stats import t as tdist


def t_power(theta, se0, se1, alpha, df):
    c = tdist.ppf(1 - alpha / 2, df)
    d = abs(theta)
    return tdist.cdf((d - c * se0) / se1, df) + tdist.cdf((-d - c * se0) / se1, df)


def with_t(base_name, new_name, df, se0=None):
    base = next(c for c in cases if c["name"] == base_name)
    spec = json.loads(json.dumps(base["spec"]))
    spec["distribution"] = "t"
    se = base["expected"]["se"]
    theta = (spec["outcome"].get("mean_difference")
             if spec["outcome"]["type"] == "continuous" else spec["outcome"]["p1"] - spec["outcome"]["p0"])
    cases.append({"name": new_name, "spec": spec,
                  "expected": {"power": t_power(theta, se0 or se, se, spec["alpha"], df), "se": se},
                  "source": f"shifted central t, df {df} (scipy)"})


with_t("individual-means-d0.5-sd1.0-n64-a0.05", "individual-means-t", 2 * 64 - 2)
with_t("parallel-means-k10-m20-icc0.05-cv0.0-ltf0.0", "parallel-means-t", 2 * 10 - 2)
with_t("parallel-partially-clustered-means", "parallel-partially-clustered-t", 10 - 1)
with_t("sw-ex1-random-intercept", "sw-ex1-t", 24 - 2)

out = {
    "generator": "crates/scaleup-stats/tests/reference/make_power_reference.py",
    "versions": {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
                 "statsmodels": statsmodels.__version__},
    "cases": cases,
}
with open("power_reference.json", "w") as f:
    json.dump(out, f, indent=1)
print(f"{len(cases)} cases")
for c in cases:
    print(c["name"], {k: round(v, 6) for k, v in c["expected"].items()})
