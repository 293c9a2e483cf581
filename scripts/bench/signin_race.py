#!/usr/bin/env python3
"""Sign-in under attack, measured against a real `scaleup serve` on loopback.

Usage: signin_race.py BINARY DATABASE ACCOUNTS_JSON [--label NAME]

Starts the server on a copy of DATABASE for each scenario (a fresh one each time, so one
scenario's counters and memory do not carry into the next), fires parallel sign-ins at
/api/v1/auth/login from loopback addresses, and prints Markdown rows:

- race N: N parallel wrong passwords for one counsellor from one address (127.0.0.1), then the
  right password from the same address and from another (127.0.0.2). "Checked" is the number of
  attempts whose password was verified: the rows in `login_attempts` for the account (both the
  old and the new code write one row per verified attempt and none for a refused one).
- flood N: N parallel sign-ins for N different unknown names, each from its own loopback address
  (127.0.1.x): nothing is throttled, so every one reaches the password check. The server's peak
  resident memory (VmHWM) shows whether the checks were bounded.

Every request goes to 127.0.0.0/8 only; each scenario is bounded (one request per thread, a
30 s timeout each) and the server is stopped at the end.
"""

import argparse
import http.client
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time



def start_server(binary, db):
    proc = subprocess.Popen(
        [binary, "serve", "--db", db, "--addr", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline()
    url = line.strip().split()[-1]
    host, port = url.removeprefix("http://").split(":")
    return proc, host, int(port)


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def sign_in(port, source, username, password, out, index, barrier):
    body = json.dumps({"username": username, "password": password})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        conn.connect()
        if barrier is not None:
            barrier.wait()
        started = time.monotonic()
        conn.request("POST", "/api/v1/auth/login", body, {"content-type": "application/json"})
        res = conn.getresponse()
        res.read()
        out[index] = (res.status, res.getheader("retry-after"), time.monotonic() - started)
    except Exception as e:  # a refused or reset connection is a result too
        out[index] = (type(e).__name__, None, 0.0)
    finally:
        conn.close()


def parallel(port, requests):
    """requests: list of (source address, username, password); all sent at once."""
    out = [None] * len(requests)
    barrier = threading.Barrier(len(requests))
    threads = [
        threading.Thread(target=sign_in, args=(port, src, u, p, out, i, barrier))
        for i, (src, u, p) in enumerate(requests)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out, time.monotonic() - started


def one(port, source, username, password):
    out = [None]
    sign_in(port, source, username, password, out, 0, None)
    return out[0]


def tally(results):
    counts = {}
    for status, _, _ in results:
        counts[status] = counts.get(status, 0) + 1
    return ", ".join(f"{n}× {s}" for s, n in sorted(counts.items(), key=lambda kv: str(kv[0])))


def checked(db, username):
    with sqlite3.connect(db) as c:
        return c.execute(
            "SELECT COUNT(*) FROM login_attempts WHERE username = ?", (username,)
        ).fetchone()[0]


def scenario(binary, source_db, label, run):
    work = tempfile.mkdtemp(prefix="signin-race-")
    db = os.path.join(work, "demo.sqlite")
    # SQLite's online backup: a consistent copy including what is still in the source's WAL.
    with sqlite3.connect(source_db) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    key = source_db + ".key"
    if os.path.exists(key):
        shutil.copy(key, db + ".key")
    proc, _, port = start_server(binary, db)
    try:
        return run(proc, port, db)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("database")
    ap.add_argument("accounts")
    ap.add_argument("--label", default="")
    ap.add_argument("--race", type=int, nargs="*", default=[30, 200])
    ap.add_argument("--flood", type=int, default=200)
    args = ap.parse_args()
    accounts = json.load(open(args.accounts))["accounts"]
    counsellor = next(a for a in accounts if a["role"] == "counsellor")
    user, right = counsellor["username"], counsellor["password"]

    print(f"| {args.label} | scenario | responses | passwords checked | then: right password from the same address / another | server peak RSS |")
    print("|---|---|---|---|---|---|")
    for n in args.race:
        def run(proc, port, db, n=n):
            results, _ = parallel(port, [("127.0.0.1", user, "wrong password!")] * n)
            same = one(port, "127.0.0.1", user, right)
            other = one(port, "127.0.0.2", user, right)
            then = f"{same[0]}" + (f" (Retry-After {same[1]})" if same[1] else "") + f" / {other[0]}"
            # Successful sign-ins write a row too; count the wrong ones only.
            n_checked = checked(db, user) - (same[0] == 200) - (other[0] == 200)
            return f"| {args.label} | race: {n} parallel wrong passwords, one account, one address | {tally(results)} | {n_checked} of {n} | {then} | {peak_rss_mib(proc.pid):.0f} MiB |"
        print(scenario(args.binary, args.database, args.label, run), flush=True)

    def flood(proc, port, db):
        base = rss_mib(proc.pid)
        reqs = [(f"127.0.1.{i % 250 + 1}" if i < 250 else f"127.0.2.{i - 249}", f"nobody{i}", "wrong password!") for i in range(args.flood)]
        results, wall = parallel(port, reqs)
        waits = sorted(r[2] for r in results if r[0] == 401)
        p50 = waits[len(waits) // 2] if waits else float("nan")
        n_checked = sum(1 for r in results if r[0] == 401)
        return (f"| {args.label} | flood: {args.flood} parallel sign-ins, {args.flood} unknown names, {args.flood} addresses | {tally(results)} | {n_checked} of {args.flood} (all in {wall:.1f} s; median answer {p50:.1f} s) | – | {peak_rss_mib(proc.pid):.0f} MiB (idle {base:.0f} MiB) |")
    print(scenario(args.binary, args.database, args.label, flood), flush=True)


if __name__ == "__main__":
    sys.exit(main())
