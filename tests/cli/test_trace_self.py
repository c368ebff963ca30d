#!/usr/bin/env python3
"""--trace-self OUT.json: every command records its phases per thread as a
Chrome trace; traceview opens that trace; bad uses are usage errors.

usage: test_trace_self.py TRACEVIEW GEN_TRACE CORPUS_TRACE"""
import json
import os
import subprocess
import sys
import tempfile

tv, gen, corpus = sys.argv[1:4]
failures = 0


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures += 1


def run(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([tv, *args], capture_output=True, text=True, env=e)


def phases(path):
    with open(path) as f:
        doc = json.load(f)
    return [e for e in doc["traceEvents"] if e.get("ph") == "X"]


with tempfile.TemporaryDirectory() as tmp:
    # A generated trace big enough for two chunks: scanning in parallel shows.
    big = os.path.join(tmp, "big.json")
    subprocess.run([gen, "--shape", "llvm", "--size", "40M", "--seed", "3", "-o", big], check=True,
                   capture_output=True)
    out = os.path.join(tmp, "self.json")
    r = run("info", big, "--no-cache", "--trace-self", out, env={"TRACEVIEW_THREADS": "2"})
    check(r.returncode == 0, f"info --trace-self exits 0 ({r.stderr.strip()[:200]})")
    ev = phases(out)
    names = [e["name"] for e in ev]
    for want in ("info", "read", "scan chunk", "presort chunk", "merge chunks", "finish threads",
                 "build store"):
        check(want in names, f"phase '{want}' recorded")
    check(names.count("scan chunk") == 2, "two chunks scanned (TRACEVIEW_THREADS=2)")
    check(len({e["tid"] for e in ev if e["name"] == "scan chunk"}) == 2,
          "the chunks ran on two threads")
    top = next(e for e in ev if e["name"] == "info")
    inside = all(top["ts"] <= e["ts"] and e["ts"] + e["dur"] <= top["ts"] + top["dur"] + 0.002
                 for e in ev)
    check(inside, "every phase lies within the command's own span")
    check(all(e["dur"] >= 0 for e in ev), "durations are not negative")

    # traceview opens its own profile.
    r = run("info", out, "--json", "--no-cache")
    check(r.returncode == 0, "traceview opens the --trace-self output")
    if r.returncode == 0:
        info = json.loads(r.stdout)
        check(info["slices"] == len(ev),
              f"its slices are the recorded phases ({info['slices']} vs {len(ev)})")

    # summary and flamegraph take it too; the --name=value form works.
    out2 = os.path.join(tmp, "self2.json")
    r = run("summary", corpus, "--no-cache", f"--trace-self={out2}")
    check(r.returncode == 0 and "summary" in [e["name"] for e in phases(out2)],
          "summary --trace-self=OUT records a 'summary' phase")

    # Usage errors: exit 2 with a message naming the option.
    r = run("info", corpus, "--trace-self")
    check(r.returncode == 2 and "--trace-self" in r.stderr, "a missing file name is a usage error")
    r = run("info", corpus, "--no-cache", "--trace-self", os.path.join(tmp, "no", "such", "dir.json"))
    check(r.returncode != 0 and "cannot write" in r.stderr, "an unwritable path is reported")

sys.exit(1 if failures else 0)
