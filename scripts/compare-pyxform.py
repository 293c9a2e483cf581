#!/usr/bin/env python3
"""Compares scaleup's reading of the fixture XLSForms with pyxform's (issue 9).

pyxform (XLSForm/pyxform, the reference converter ODK uses) reads each workbook into its survey
JSON; `scaleup import xlsform FILE --format json` prints scaleup's reading. For every question
the script compares the name, the type, the choice list (names and labels per language), the
labels, `required`, `relevant` and `constraint` (expressions compared with whitespace removed
and quotes unified, since scaleup prints its canonical form). Questions pyxform keeps that
scaleup leaves out by design (notes, calculations, metadata, the `meta` group) are listed, not
compared. Exit status 1 on any difference.

    scripts/compare-pyxform.sh            # installs pyxform into bench-out/venv, runs this
"""
import json
import os
import re
import subprocess
import sys

from pyxform.builder import create_survey_from_path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "crates/scaleup-interop/tests/fixtures/import")
BIN = os.environ.get("SCALEUP_BIN", os.path.join(ROOT, "target/debug/scaleup"))
TYPES = {"select one": "select_one", "select all that apply": "select_multiple"}
LEFT_OUT = {"note", "calculate", "start", "end", "today", "deviceid", "username"}


def expr(text):
    if text is None or text == "":
        return None
    return re.sub(r"\s+", "", text).replace('"', "'")


def yes(value):
    return str(value).strip().lower() in ("yes", "true", "true()", "1")


def labels(value):
    if value is None:
        return {}
    if isinstance(value, str):
        return {"": value}
    return {("" if k == "default" else k): v for k, v in value.items()}


def flatten(children):
    for c in children:
        if c.get("type") == "group":
            if c.get("name") == "meta":
                continue
            yield from flatten(c.get("children", []))
        else:
            yield c


def compare(path):
    name = os.path.basename(path)
    problems = []
    ref = create_survey_from_path(path).to_json_dict()
    out = subprocess.run([BIN, "import", "xlsform", path, "--format", "json"], capture_output=True, text=True)
    if out.returncode != 0:
        return [f"{name}: scaleup refused the form: {out.stderr.strip()}"], 0
    ours = json.loads(out.stdout)[0]
    theirs = [q for q in flatten(ref["children"]) if q.get("type") not in LEFT_OUT]
    mine = {q["name"]: q for q in ours["questions"]}
    if [q["name"] for q in theirs] != [q["name"] for q in ours["questions"]]:
        problems.append(f"{name}: question names differ: pyxform {[q['name'] for q in theirs]}, scaleup {list(mine)}")
    checked = 0
    for q in theirs:
        m = mine.get(q["name"])
        if m is None:
            continue
        bind = q.get("bind", {})
        pairs = [
            ("type", TYPES.get(q["type"], q["type"]), m["type"]),
            ("list", q.get("list_name"), m["list"]),
            ("labels", labels(q.get("label")), m["labels"]),
            ("required", yes(bind.get("required", "no")), m["required"]),
            ("relevant", expr(bind.get("relevant")), expr(m["relevant"])),
            ("constraint", expr(bind.get("constraint")), expr(m["constraint"])),
        ]
        if q.get("list_name"):
            ref_choices = [(c["name"], labels(c.get("label"))) for c in ref.get("choices", {}).get(q["list_name"], [])]
            my_choices = [(c["name"], c["labels"]) for c in ours["choices"].get(q["list_name"], [])]
            pairs.append(("choices", ref_choices, my_choices))
        for what, a, b in pairs:
            checked += 1
            if a != b:
                problems.append(f"{name}: {q['name']}: {what}: pyxform {a!r}, scaleup {b!r}")
    for field, ref_key in [("id", "id_string"), ("title", "title"), ("version", "version")]:
        if ours[field] is not None and str(ours[field]) != str(ref.get(ref_key)):
            problems.append(f"{name}: settings {field}: pyxform {ref.get(ref_key)!r}, scaleup {ours[field]!r}")
    return problems, checked


def main():
    forms = sorted(f for f in os.listdir(FIXTURES) if f.endswith(".xlsx") and not f.startswith("bad-"))
    total_problems = []
    from importlib.metadata import version
    print(f"pyxform {version('pyxform')}")
    for f in forms:
        problems, checked = compare(os.path.join(FIXTURES, f))
        status = "same" if not problems else f"{len(problems)} difference(s)"
        print(f"{f}: {checked} properties compared: {status}")
        total_problems += problems
    for p in total_problems:
        print("  " + p)
    # The refused form: pyxform reads it (repeats are XLSForm), scaleup refuses it by design.
    sys.exit(1 if total_problems else 0)


if __name__ == "__main__":
    main()
