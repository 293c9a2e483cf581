#!/usr/bin/env python3
"""Independent scoring reference for the built-in instruments.

Re-implements each instrument's scoring rules directly from shared/reference/instruments.md
(sections 2, 3, 5), without reading the TOML definitions, and writes random response sets with
their expected results to scoring_reference.json. The Rust test `reference_scores` compares the
engine against this file. Regenerate with:

    python3 crates/scaleup-domain/tests/reference/make_scoring_reference.py

Only the Python standard library is used; the seed makes the output reproducible.
"""

import json
import platform
import random

SEED = 20261126
N_PER_INSTRUMENT = 150
rng = random.Random(SEED)


def band(total, bands):
    """bands: list of (min, id); the last band whose min <= total."""
    out = None
    for lo, name in bands:
        if total >= lo:
            out = name
    return out


def maybe_missing(resp, p_missing):
    return {k: (None if rng.random() < p_missing else v) for k, v in resp.items()}


def answered(resp, ids):
    return [resp[i] for i in ids if resp.get(i) is not None]


def phq9(resp):
    ids = [str(i) for i in range(1, 10)]
    vals = answered(resp, ids)
    flags = ["item9_positive"] if resp.get("9") not in (None, 0) else []
    if len(vals) < 9:
        return {"error": "too_many_missing", "flags": flags}
    t = sum(vals)
    return {"total": t, "band": band(t, [(0, "minimal"), (5, "mild"), (10, "moderate"), (15, "moderately_severe"), (20, "severe")]),
            "positive": t >= 10, "flags": flags}


def gen_phq9():
    r = {str(i): rng.randint(0, 3) for i in range(1, 10)}
    # Many low totals with item 9 positive: the flag must not depend on the total.
    if rng.random() < 0.3:
        r = {k: 0 for k in r}
        r["9"] = rng.randint(1, 3)
    r["10"] = rng.randint(0, 3)
    return maybe_missing(r, 0.03)


def epds(resp):
    reverse = {3, 5, 6, 7, 8, 9, 10}
    scored = {}
    for i in range(1, 11):
        c = resp.get(str(i))
        if c is not None:
            scored[i] = 3 - c if i in reverse else c
    flags = ["item10_positive"] if scored.get(10, 0) > 0 else []
    if len(scored) < 10:
        return {"error": "too_many_missing", "flags": flags}
    t = sum(scored.values())
    return {"total": t, "positive": t >= 13, "flags": flags}


def pcl5(resp):
    vals = {i: resp.get(str(i)) for i in range(1, 21)}
    if any(v is None for v in vals.values()):
        return {"error": "too_many_missing", "flags": []}
    t = sum(vals.values())
    def endorsed(items):
        return sum(1 for i in items if vals[i] >= 2)
    dx = (endorsed(range(1, 6)) >= 1 and endorsed(range(6, 8)) >= 1
          and endorsed(range(8, 15)) >= 2 and endorsed(range(15, 21)) >= 2)
    return {"total": t, "positive": t >= 33, "flags": [],
            "rules": {"provisional_diagnosis": dx},
            "subscales": {"B": sum(vals[i] for i in range(1, 6)), "C": vals[6] + vals[7],
                          "D": sum(vals[i] for i in range(8, 15)), "E": sum(vals[i] for i in range(15, 21))}}


def audit(resp):
    vals = {i: resp.get(str(i)) for i in range(1, 11)}
    if any(v is None for v in vals.values()):
        return {"error": "too_many_missing", "flags": []}
    t = sum(vals.values())
    next_level = any(vals[i] >= 2 for i in (4, 5, 6)) or any(vals[i] == 4 for i in (9, 10))
    return {"total": t, "band": band(t, [(0, "zone1"), (8, "zone2"), (16, "zone3"), (20, "zone4")]),
            "positive": t >= 8, "flags": ["zone4"] if t >= 20 else [],
            "rules": {"next_level": next_level}}


def gen_audit():
    r = {str(i): rng.randint(0, 4) for i in range(1, 9)}
    for i in ("9", "10"):
        r[i] = rng.choice([0, 2, 4])
    if rng.random() < 0.3:
        # Low drinking (items 1-8 at most 1), Q9/Q10 keep their 0/2/4 codes.
        r = {k: (min(v, 1) if k not in ("9", "10") else v) for k, v in r.items()}
    return r


def whodas(resp, coding):
    vals = [resp.get(str(i)) for i in range(1, 13)]
    if any(v is None for v in vals):
        return {"error": "too_many_missing", "flags": []}
    offset = 0 if coding == "1-5" else -1
    t = sum(v + offset for v in vals)
    return {"total": t, "flags": [], "coding": coding, "total_1_5": sum(vals)}


def k10(resp):
    vals = [resp.get(str(i)) for i in range(1, 11)]
    t = sum(vals)
    return {"total": t, "band": band(t, [(10, "low"), (16, "moderate"), (22, "high"), (30, "very_high")]),
            "bands": {"andrews_slade": band(t, [(10, "well"), (20, "mild"), (25, "moderate"), (30, "severe")])},
            "flags": []}


def k6(resp):
    vals = [resp.get(str(i)) for i in range(1, 7)]
    t = sum(vals)
    return {"total": t, "positive": (t - 6) >= 5, "flags": [], "coding": "1-5"}


def yes_no(n, risk_item, flag, cutoff):
    def score(resp):
        vals = [resp.get(str(i)) for i in range(1, n + 1)]
        flags = [flag] if resp.get(str(risk_item)) == 1 else []
        if any(v is None for v in vals):
            return {"error": "too_many_missing", "flags": flags}
        t = sum(vals)
        out = {"total": t, "flags": flags}
        if cutoff is not None:
            out["positive"] = t >= cutoff
        return out
    return score


def aim(resp):
    vals = answered(resp, ["1", "2", "3", "4"])
    if len(vals) < 3:
        return {"error": "too_many_missing", "flags": []}
    return {"total": sum(vals) / len(vals), "flags": []}


def psychlops(resp):
    vals = [resp[k] for k in ("problem1", "problem2", "function", "wellbeing")]
    return {"total": sum(vals), "flags": []}


cases = []


def add(instrument, responses, expect, options=None):
    case = {"instrument": instrument, "responses": responses, "expect": expect}
    if options:
        case["options"] = options
    cases.append(case)


for _ in range(N_PER_INSTRUMENT):
    r = gen_phq9()
    add("phq9", r, phq9(r))
    r = {str(i): rng.randint(0, 3) for i in range(1, 11)}
    if rng.random() < 0.2:
        r["10"] = rng.choice([1, 2, 3])
    r = maybe_missing(r, 0.02)
    add("epds", r, epds(r))
    r = {str(i): rng.choice([0, 0, 1, 2, 2, 3, 4]) for i in range(1, 21)}
    add("pcl5", r, pcl5(r))
    r = gen_audit()
    add("audit", r, audit(r))
    r = {str(i): rng.randint(1, 5) for i in range(1, 13)}
    coding = rng.choice(["1-5", "0-4"])
    add("whodas12", r, whodas(r, coding), {"coding": coding})
    r = {str(i): rng.randint(1, 5) for i in range(1, 11)}
    add("k10", r, k10(r))
    r = {str(i): rng.randint(1, 3) for i in range(1, 7)}
    add("k6", r, k6(r))
    r = {str(i): int(rng.random() < 0.5) for i in range(1, 15)}
    if rng.random() < 0.3:
        r = {k: 0 for k in r}
        r["11"] = 1
    r = maybe_missing(r, 0.02)
    add("ssq14", r, yes_no(14, 11, "item11_positive", 9)(r))
    r = {str(i): int(rng.random() < 0.3) for i in range(1, 21)}
    add("srq20", r, yes_no(20, 17, "item17_positive", None)(r))
    r = maybe_missing({str(i): rng.randint(1, 5) for i in range(1, 5)}, 0.15)
    add("aim", r, aim(r))
    r = {k: rng.randint(0, 5) for k in ("problem1", "problem2", "function", "wellbeing")}
    add("psychlops", r, psychlops(r))

with open("scoring_reference.json", "w") as f:
    header = {"generator": "make_scoring_reference.py", "python": platform.python_version(), "seed": SEED}
    f.write("{\"meta\": " + json.dumps(header) + ",\n\"cases\": [\n")
    f.write(",\n".join(json.dumps(c, separators=(",", ":")) for c in cases))
    f.write("\n]}\n")
print(f"wrote {len(cases)} cases")
