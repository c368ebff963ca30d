#!/usr/bin/env python3
"""bench_profile.py: self and total time per function from `perf script`.

    perf script -i perf.data | tools/bench_profile.py [--top N] [--folded OUT]
                                                     [--markdown] [--comm NAME]

Reads the text output of `perf script` for a `perf record -g` (or
`--call-graph dwarf`) recording and prints, per function, the share of all
samples in which it is the leaf ("self") and the share in which it appears
anywhere on the stack ("total", counted once per sample even when the
function recurses). `--folded OUT` also writes Brendan Gregg's folded stacks
(root first), which `traceview flamegraph` and flamegraph.pl read.
Standard library only.
"""
import argparse
import collections
import re
import sys

FRAME = re.compile(r"^\s+([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$")


def clean(sym, dso):
    sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
    if sym in ("[unknown]", ""):
        base = dso.rsplit("/", 1)[-1]
        return f"[{base}]" if base and base != "unknown" else "[unknown]"
    return sym


def read_samples(stream, comm=None):
    stack, header = [], None
    for line in stream:
        if not line.strip():
            if header is not None and stack:
                yield header, stack
            stack, header = [], None
            continue
        if not line[0].isspace():
            header = line.split()[0] if line.split() else ""
            stack = []
            continue
        m = FRAME.match(line)
        if m:
            stack.append(clean(m.group(2), m.group(3)))
    if header is not None and stack:
        yield header, stack


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--folded")
    ap.add_argument("--markdown", action="store_true", help="a markdown table instead of text")
    ap.add_argument("--comm", help="only samples of this command name")
    a = ap.parse_args()
    selfc, totalc, folded = collections.Counter(), collections.Counter(), collections.Counter()
    n = 0
    for comm, stack in read_samples(sys.stdin):
        if a.comm and comm != a.comm:
            continue
        n += 1
        selfc[stack[0]] += 1  # perf script lists the leaf first
        for f in set(stack):
            totalc[f] += 1
        folded[";".join(reversed(stack))] += 1
    if not n:
        sys.exit("bench_profile: no samples with call chains in the input")
    if a.folded:
        with open(a.folded, "w") as f:
            for k, v in folded.most_common():
                f.write(f"{k} {v}\n")
    rows_self = selfc.most_common(a.top)
    rows_total = totalc.most_common(a.top)
    if a.markdown:
        print(f"{n} samples.\n")
        print("| function | self % | total % |")
        print("|---|--:|--:|")
        seen = set()
        for fn, _ in rows_self + rows_total:
            if fn in seen:
                continue
            seen.add(fn)
            print(f"| `{fn}` | {100.0 * selfc[fn] / n:.1f} | {100.0 * totalc[fn] / n:.1f} |")
    else:
        print(f"{n} samples")
        print("self%  total%  function (by self)")
        for fn, c in rows_self:
            print(f"{100.0 * c / n:5.1f}  {100.0 * totalc[fn] / n:6.1f}  {fn}")
        print("\ntotal%  self%  function (by total)")
        for fn, c in rows_total:
            print(f"{100.0 * c / n:6.1f}  {100.0 * selfc[fn] / n:5.1f}  {fn}")


if __name__ == "__main__":
    main()
