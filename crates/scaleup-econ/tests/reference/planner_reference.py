"""Second implementation of the planner formulas (reference doc §8.1), written from the module
docs rather than the Rust code, run on models/friendship_bench_planner.toml.

Writes planner_reference.json next to this script with per-year trainees, counsellors in post,
supervisors, clients served and total cost for every scenario.
Run: python3 planner_reference.py
"""
import json
import math
import pathlib
import sys
import tomllib

HERE = pathlib.Path(__file__).parent
MODEL = HERE.parent.parent / "models" / "friendship_bench_planner.toml"


def ceil_count(x):
    r = round(x)
    return float(max(r, 0)) if abs(x - r) < 1e-9 else float(max(math.ceil(x), 0))


def scenario_params(doc, s):
    p = dict(doc.get("base", {}))
    p.update(s)
    n = p["years"]
    if "coverage" in p:
        cov = p["coverage"] if isinstance(p["coverage"], list) else [p["coverage"]] * n
    else:
        a, b = p["coverage_start"], p["coverage_end"]
        cov = [b] if n == 1 else [a + (b - a) * t / (n - 1) for t in range(n)]
    if "hours_per_client" in p:
        h = p["hours_per_client"]
    else:
        h = (p["sessions"] * (p["session_minutes"] + p.get("admin_minutes_per_session", 0)) / 60
             + p.get("supervision_hours_per_client", 0) + p.get("other_hours_per_client", 0))
    return p, n, cov, h


def project(p, n, cov, h):
    cap_h = p["hours_per_year"] * p["productive_fraction"]
    site_h = p.get("sites", 0) * p.get("site_hours_per_month", 0) * 12
    completion = p.get("training_completion", 1.0)
    cohort = p.get("cohort_size", 20)
    max_tr = p["max_cohorts_per_year"] * cohort if "max_cohorts_per_year" in p else None
    attr = p["attrition"]
    sattr = p.get("supervisor_attrition", attr)
    budget = p.get("budget_cap")
    if budget is not None and not isinstance(budget, list):
        budget = [budget] * n
    prev_in, prev_sup = p.get("initial_counsellors", 0.0), p.get("initial_supervisors", 0.0)
    rows = []
    for t in range(n):
        pop = p["population"] * (1 + p.get("population_growth", 0)) ** t
        need = pop * p["prevalence"]
        target = need * cov[t]
        needed = ceil_count((target * h + site_h) / cap_h) if target > 0 else 0.0
        retained = p.get("initial_counsellors", 0.0) if t == 0 else prev_in * (1 - attr)
        wanted = ceil_count(max(0.0, needed - retained) / completion)
        trainees = min(wanted, math.floor(max_tr)) if max_tr is not None else wanted
        sup_ret = p.get("initial_supervisors", 0.0) if t == 0 else prev_sup * (1 - sattr)

        def outcome(k):
            cohorts = ceil_count(k / cohort)
            in_post = retained + k * completion
            sup = ceil_count(in_post / p["supervision_span"])
            new_sup = max(0.0, sup - sup_ret)
            served = min(target, max(0.0, in_post * cap_h - site_h) / h)
            total = (in_post * p.get("counsellor_annual_cost", 0) + sup * p.get("supervisor_annual_cost", 0)
                     + k * p.get("training_cost_per_trainee", 0) + cohorts * p.get("training_cost_per_cohort", 0)
                     + new_sup * p.get("supervisor_training_cost", 0) + served * p.get("cost_per_client", 0)
                     + p.get("fixed_annual_cost", 0) + (p.get("one_off_cost", 0) if t == 0 else 0))
            return dict(trainees=k, counsellors_in_post=in_post, supervisors=sup, clients_served=served, total_cost=total)

        o = outcome(trainees)
        if budget is not None and o["total_cost"] > budget[t]:
            k = trainees
            while k > 0:
                k -= 1
                o = outcome(k)
                if o["total_cost"] <= budget[t]:
                    break
        rows.append(o)
        prev_in, prev_sup = o["counsellors_in_post"], o["supervisors"]
    return rows


doc = tomllib.loads(MODEL.read_text())
out = {
    "generator": "planner_reference.py",
    "python": sys.version.split()[0],
    "model": "models/friendship_bench_planner.toml",
    "scenarios": [
        {"name": s["name"], "years": project(*scenario_params(doc, s))} for s in doc["scenario"]
    ],
}
(HERE / "planner_reference.json").write_text(json.dumps(out, indent=2) + "\n")
print(json.dumps(out)[:400])
