#!/usr/bin/env python3
"""Vectorised numpy peer for the PSA benchmark (docs/benchmarks.md, "Economics").

Implements the same model as crates/scaleup-econ/examples/psa_bench_model.toml: a 10-state
severity ladder, 40 yearly cycles, half-cycle accrual, 3 % discounting from the first cycle,
usual care against an intervention active in cycles 1-4. Parameter distributions are read from
the model file (method of moments as in dampack's gen_psa_samp), draws are sampled with numpy's
Generator, and the cohort is propagated for all draws at once: one batched matrix product per
cycle and strategy.

Modes:
  psa_numpy.py run MODEL DRAWS SEED
      time a full PSA (sampling, cohort, CEAC/EVPI on 21 wtp values) and print a JSON line.
  psa_numpy.py check MODEL DRAWS_CSV
      recompute every draw of a `scaleup econ psa --out` file from its parameter columns and
      report the largest difference from the Rust costs and effects (exactness check of the
      Markov engine, independent of random numbers).
"""

import json
import math
import sys
import time
import tomllib

import numpy as np

N_STATES = 10
N_ALIVE = 9
WTP = np.arange(0, 21) * 1000.0


def load_params(path):
    with open(path, "rb") as f:
        spec = tomllib.load(f)
    return spec, {p["name"]: p for p in spec["parameter"]}


def sample(params, n, rng):
    """Draw every parameter n times (method of moments from mean and se)."""
    out = {}
    for name, p in params.items():
        d = p["distribution"]
        if d == "beta":
            m, s = p["mean"], p["se"]
            a = m * m * (1 - m) / (s * s) - m
            out[name] = rng.beta(a, a * (1 / m - 1), n)
        elif d == "gamma":
            m, s = p["mean"], p["se"]
            out[name] = rng.gamma(m * m / (s * s), s * s / m, n)
        elif d == "lognormal":
            m, s = p["mean"], p["se"]
            r = 1 + s * s / (m * m)
            out[name] = rng.lognormal(math.log(m / math.sqrt(r)), math.sqrt(math.log(r)), n)
        elif d == "dirichlet":
            out[name] = rng.dirichlet(np.array(p["alpha"], dtype=float), n)
        else:
            raise ValueError(f"unsupported distribution {d}")
    return out


def transitions(v, n, tx):
    """(n, 10, 10) transition matrices; rows as in the TOML file."""
    pb = v["p_better"] * (v["or_tx"] if tx else 1.0)
    pw = v["p_worse"] * (v["rr_tx"] if tx else 1.0)
    P = np.zeros((n, N_STATES, N_STATES))
    P[:, 0, 0] = v["from_S1"][:, 0]
    P[:, 0, 1] = v["from_S1"][:, 1]
    P[:, 0, N_STATES - 1] = v["from_S1"][:, 2]
    for i in range(1, N_ALIVE):
        die = v["p_die"] * v["hr_die"] ** i
        P[:, i, i - 1] = pb
        P[:, i, N_STATES - 1] = die
        stay = 1.0 - pb - die
        if i + 1 <= 8:
            P[:, i, i + 1] = pw
            stay = stay - pw
        P[:, i, i] = stay
    P[:, N_STATES - 1, N_STATES - 1] = 1.0
    return P


def evaluate(spec, v, n):
    """Discounted cost and effect per draw for both strategies: arrays of shape (n, 2)."""
    cycles = spec["cycles"]
    rc, re = spec["discount"]["costs"], spec["discount"]["effects"]
    t = np.arange(1, cycles + 1)
    wc, we = (1 + rc) ** -t, (1 + re) ** -t
    costs = np.zeros((n, N_STATES))
    effects = np.zeros((n, N_STATES))
    for i in range(N_ALIVE):
        costs[:, i] = v[f"c{i + 1}"]
        effects[:, i] = v[f"u{i + 1}"]
    costs_tx = costs.copy()
    costs_tx[:, :N_ALIVE] += v["c_tx"][:, None]
    P_uc = transitions(v, n, False)
    P_tx = transitions(v, n, True)
    init = np.array(spec["initial"], dtype=float)
    out_c = np.zeros((n, 2))
    out_e = np.zeros((n, 2))
    for s in range(2):
        m = np.broadcast_to(init, (n, N_STATES)).copy()
        for c in range(1, cycles + 1):
            active = s == 1 and c <= 4
            P = P_tx if active else P_uc
            cv = costs_tx if active else costs
            nxt = np.matmul(m[:, None, :], P)[:, 0, :]
            # Row-wise dot products via einsum (about 3x faster than (a * b).sum(1)).
            out_c[:, s] += wc[c - 1] * 0.5 * (np.einsum("ni,ni->n", m, cv) + np.einsum("ni,ni->n", nxt, cv))
            out_e[:, s] += we[c - 1] * 0.5 * (np.einsum("ni,ni->n", m, effects) + np.einsum("ni,ni->n", nxt, effects))
            m = nxt
    return out_c, out_e


def summarise(cost, effect):
    nmb = WTP[:, None, None] * effect[None, :, :] - cost[None, :, :]  # (w, n, k)
    mean_nmb = nmb.mean(1)
    evpi = nmb.max(2).mean(1) - mean_nmb.max(1)
    best = nmb.argmax(2)
    ceac = np.stack([(best == j).mean(1) for j in range(cost.shape[1])], 1)
    return evpi, ceac


def run(model, draws, seed):
    t0 = time.perf_counter()
    c0 = time.process_time()
    spec, params = load_params(model)
    rng = np.random.default_rng(seed)
    v = sample(params, draws, rng)
    cost, effect = evaluate(spec, v, draws)
    evpi, _ = summarise(cost, effect)
    print(json.dumps({
        "engine": "numpy",
        "numpy": np.__version__,
        "draws": draws,
        "seconds": round(time.perf_counter() - t0, 4),
        "cpu_seconds": round(time.process_time() - c0, 4),
        "mean_cost": cost.mean(0).tolist(),
        "mean_effect": effect.mean(0).tolist(),
        "evpi": [round(x, 4) for x in evpi.tolist()],
    }))


def check(model, draws_csv):
    spec, params = load_params(model)
    header = open(draws_csv).readline().strip().split(",")
    data = np.genfromtxt(draws_csv, delimiter=",", skip_header=1, dtype=None, encoding="utf-8")
    rows = [list(r) for r in data]
    col = {h: i for i, h in enumerate(header)}
    uc = [r for r in rows if r[1] == "usual_care"]
    tx = [r for r in rows if r[1] == "intervention"]
    n = len(uc)
    v = {}
    for name, p in params.items():
        if p["distribution"] == "dirichlet":
            k = len(p["alpha"])
            v[name] = np.array([[float(r[col[f"{name}[{j}]"]]) for j in range(1, k + 1)] for r in uc])
        else:
            v[name] = np.array([float(r[col[name]]) for r in uc])
    cost, effect = evaluate(spec, v, n)
    rust_c = np.array([[float(a[2]), float(b[2])] for a, b in zip(uc, tx)])
    rust_e = np.array([[float(a[3]), float(b[3])] for a, b in zip(uc, tx)])
    rel = max(np.max(np.abs(cost - rust_c) / np.abs(rust_c)), np.max(np.abs(effect - rust_e) / np.abs(rust_e)))
    print(json.dumps({"draws_checked": n, "max_relative_difference": float(rel), "numpy": np.__version__}))
    if not rel < 1e-12:
        sys.exit("mismatch between numpy and Rust beyond 1e-12")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "run":
        run(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
