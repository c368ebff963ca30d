#!/usr/bin/env python3
"""bench_report.py: the one table of tools/bench.sh.

    bench_report.py WORK [--header TEXT]

WORK/traces.tsv lists the benchmarked traces (`key<TAB>shape<TAB>path`);
WORK/KEY/ holds what tools/bench.sh measured for each (all optional, a
missing file gives "-"): index-1.json and index-2.json (bench_info at 1 and
2 scanning threads), jq.json (bench_jq), summary.txt (traceview summary, s),
reopen.json, serve.json (bench_serve.sh --json), analysis.json
(bench_analysis.py --json), browser.json (bench_heap.mjs). Prints markdown:
one row per measurement, one column per trace, then the brief's targets
against the largest LLVM trace. Standard library only.
"""
import argparse
import json
import os

READY_TARGET_S, READY_TARGET_EVENTS = 0.7, 7.3e6


def load(work, key, name):
    p = os.path.join(work, key, name)
    try:
        with open(p) as f:
            return f.read() if name.endswith(".txt") else json.load(f)
    except (OSError, ValueError):
        return None


def num(v, f="{:.2f}"):
    return "-" if v is None or isinstance(v, str) else f.format(v)


def case(an, label):
    for c in (an or {}).get("cases", []):
        if c["label"] == label:
            return c
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--header", default="")
    a = ap.parse_args()
    traces = []
    with open(os.path.join(a.work, "traces.tsv")) as f:
        for line in f:
            if line.strip():
                key, shape, path = line.rstrip("\n").split("\t")
                traces.append((key, shape, path))
    D = {}
    for key, shape, path in traces:
        d = {n: load(a.work, key, n) for n in ("index-1.json", "index-2.json", "jq.json", "summary.txt",
                                                "reopen.json", "serve.json", "analysis.json", "browser.json")}
        d["shape"], d["path"] = shape, path
        D[key] = d

    rows = []

    def row(what, target, fn):
        cells = []
        for key, _, _ in traces:
            try:
                v = fn(D[key])
            except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
                v = None
            cells.append("-" if v is None else str(v))
        rows.append(f"| {what} | {target} | " + " | ".join(cells) + " |")

    def info(d, t=2):
        return d[f"index-{t}.json"]["info"]

    def events(d):
        return info(d)["events"]

    def tv_wall(d):
        return d["index-2.json"]["wall_s"]

    row("file size", "", lambda d: f"{info(d)['bytes'] / 1e6:,.0f} MB")
    row("events (all phases) / thread tracks", "7.3 M events for the 1.4 GB LLVM trace",
        lambda d: f"{events(d) / 1e6:.2f} M / {len(info(d)['threads'])}")
    for t in (1, 2):
        row(f"index MB/s, {t} thread{'s' if t > 1 else ''} (indexer's clock, best run)",
            ">= 2,000 on 2 cores" if t == 2 else "",
            lambda d, t=t: f"{d[f'index-{t}.json']['info']['index']['mb_per_s']:,.0f}")
    row("other processes' CPU during those runs, cores (1 / 2 threads)", "0 on a quiet machine",
        lambda d: f"{d['index-1.json']['other_cores']:.2f} / {d['index-2.json']['other_cores']:.2f}")
    row("2 threads / 1 thread", "~2x",
        lambda d: f"{d['index-1.json']['info']['index']['seconds'] / d['index-2.json']['info']['index']['seconds']:.2f}x")
    row("`traceview info` wall s, 2 threads (whole process)", "",
        lambda d: f"{tv_wall(d):.3f}")
    row("`jq '.traceEvents\\|length'` s (peak RSS)", "",
        lambda d: f"{d['jq.json']['length_s']:.1f} ({d['jq.json']['length_vmhwm_kib'] / 1048576:.2f} GiB)"
        if not isinstance(d['jq.json']['length_s'], str) else "failed")
    row("speed-up: jq length s / `traceview info` wall s", ">= 50x",
        lambda d: f"**{d['jq.json']['length_s'] / tv_wall(d):.0f}x**")
    row("jq group-by (blog question) s", "", lambda d: num(d["jq.json"]["group_by_s"], "{:.1f}"))
    row("`traceview summary`, same question, s (indexing included)", "",
        lambda d: f"{float(d['summary.txt']):.3f}")
    row("speed-up: jq group-by / traceview summary", "",
        lambda d: f"**{d['jq.json']['group_by_s'] / float(d['summary.txt']):.0f}x**")
    row("ready to serve: `serve` start to `state: ready` / URL printed, s", "<= 0.7 s at 7.3 M events",
        lambda d: f"{d['serve.json']['startup']['ready_s']:.3f} / {num(d['serve.json']['startup'].get('url_s'), '{:.3f}')}")
    row("ready target scaled to the events, s", "",
        lambda d: f"{READY_TARGET_S * events(d) / READY_TARGET_EVENTS:.3f}")
    row("reopen with the index cache s (`traceview info` after `traceview index`)", "<= 0.2 s (1.4 GB)",
        lambda d: d["reopen.json"]["text"])
    row("`traceview info` peak RSS (VmHWM) MiB: own memory + mapped file pages read", "",
        lambda d: f"{d['index-2.json']['mem']['vmhwm_kib'] / 1024:,.0f}")
    row("`traceview info` peak RssAnon MiB (sampled every 5 ms) / B per event", "",
        lambda d: f"{d['index-2.json']['mem']['rss_anon_kib'] / 1024:,.0f} / "
        f"{d['index-2.json']['mem']['rss_anon_kib'] * 1024 / events(d):.1f}")
    row("in-memory index B/event (`index.bytes_per_event`)", "",
        lambda d: f"{info(d)['index']['bytes_per_event']:.1f}")
    row("**server memory: RssAnon after the tile load, B/event** (VmHWM MiB)", "<= 32",
        lambda d: f"**{d['serve.json']['memory']['rss_anon_kib'] * 1024 / events(d):.1f}** "
        f"({d['serve.json']['memory']['vmhwm_kib'] / 1024:,.0f})")
    for i in range(5):
        row(f"tile p50 / p99 ms, zoom {i + 1} of 5 (level)", "p99 <= 20" if i == 0 else "",
            lambda d, i=i: "{:.2f} / {:.2f} (L{})".format(d["serve.json"]["levels"][i]["p50_ms"],
                                                       d["serve.json"]["levels"][i]["p99_ms"],
                                                       d["serve.json"]["levels"][i]["level"]))

    def wrk(d):
        w = d["serve.json"]["wrk"]
        errs = w["non2xx"] + sum(w["socket_errors"].values())
        return f"{w['rps']:,.0f} ({errs} errors; p99 {w['p99_ms']:.1f} ms)"
    row("HTTP tiles/s, wrk, 32 connections (errors)", ">= 5,000, 0 errors", wrk)
    for label, what in (("statistics by detail, whole trace", "summary (statistics by detail), whole trace"),
                        ("flame graph, whole trace", "flame graph, whole trace"),
                        ("flame graph, 10% range", "flame graph, 10% range")):
        row(f"{what}: first / cached ms", "<= 100" if "10%" not in label else "",
            lambda d, label=label: "{:.0f} / {:.1f}".format(case(d["analysis.json"], label)["first_ms"],
                                                           case(d["analysis.json"], label)["cached_p50_ms"]))
    row("browser: first paint after ready s", "<= 1",
        lambda d: f"{d['browser.json']['first_paint_ms'] / 1000:.2f}")
    row("browser: peak JS heap MB (after GC) over the pan/zoom tour", "<= 100",
        lambda d: f"{d['browser.json']['peak_heap_mb']:.1f} ({d['browser.json']['peak_heap_after_gc_mb']:.1f})")

    if a.header:
        print(a.header)
        print()
    print("| measurement | target | " + " | ".join(os.path.basename(p) for _, _, p in traces) + " |")
    print("|---|---|" + "--:|" * len(traces))
    print("\n".join(rows))


if __name__ == "__main__":
    main()
