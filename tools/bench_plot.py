#!/usr/bin/env python3
"""bench_plot.py: index time against file size, as a hand-written SVG.

    bench_plot.py IN.tsv OUT.svg [--title TEXT]

IN.tsv has one measurement per line: `bytes<TAB>threads<TAB>seconds` (lines
starting with # are skipped). One series per thread count, each with its
least-squares line (time = a + b * bytes), its slope as MB/s and R^2 in the
legend. Standard library only (no matplotlib).
"""
import argparse
import collections
import html
import math

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
W, H = 720, 440
ML, MR, MT, MB = 70, 20, 40, 55


def fit(pts):
    n = len(pts)
    mx = sum(x for x, _ in pts) / n
    my = sum(y for _, y in pts) / n
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    sxy = sum((x - mx) * (y - my) for x, y in pts)
    b = sxy / sxx if sxx else 0.0
    a = my - b * mx
    ss_tot = sum((y - my) ** 2 for _, y in pts)
    ss_res = sum((y - (a + b * x)) ** 2 for x, y in pts)
    r2 = 1.0 - ss_res / ss_tot if ss_tot else 1.0
    return a, b, r2


def nice_step(span, n=6):
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tsv")
    ap.add_argument("svg")
    ap.add_argument("--title", default="traceview: index time against file size")
    a = ap.parse_args()
    series = collections.defaultdict(list)
    with open(a.tsv) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            b, t, s = line.split("\t")[:3]
            series[int(t)].append((int(b) / 1e6, float(s)))
    if not series:
        raise SystemExit("bench_plot: no data")
    xmax = max(x for pts in series.values() for x, _ in pts) * 1.05
    ymax = max(y for pts in series.values() for _, y in pts) * 1.1
    xs, ys = nice_step(xmax), nice_step(ymax)
    pw, ph = W - ML - MR, H - MT - MB
    xmax = math.ceil(xmax / xs) * xs
    ymax = math.ceil(ymax / ys) * ys

    def X(v):
        return ML + v / xmax * pw

    def Y(v):
        return MT + ph - v / ymax * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
           'font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<clipPath id="plotarea"><rect x="{ML}" y="{MT}" width="{pw}" height="{ph}"/></clipPath>',
           f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="15">{html.escape(a.title)}</text>']
    v = 0.0
    while v <= xmax + 1e-9:
        out.append(f'<line x1="{X(v):.1f}" y1="{MT}" x2="{X(v):.1f}" y2="{MT + ph}" stroke="#eee"/>')
        out.append(f'<text x="{X(v):.1f}" y="{MT + ph + 16}" text-anchor="middle">{v:g}</text>')
        v += xs
    v = 0.0
    while v <= ymax + 1e-9:
        out.append(f'<line x1="{ML}" y1="{Y(v):.1f}" x2="{ML + pw}" y2="{Y(v):.1f}" stroke="#eee"/>')
        out.append(f'<text x="{ML - 6}" y="{Y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
        v += ys
    out.append(f'<rect x="{ML}" y="{MT}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    out.append(f'<text x="{ML + pw / 2}" y="{H - 12}" text-anchor="middle">file size (MB, 10^6 bytes)</text>')
    out.append(f'<text transform="translate(18,{MT + ph / 2}) rotate(-90)" text-anchor="middle">'
               'index time (s, best of runs)</text>')
    ly = MT + 16
    for i, (threads, pts) in enumerate(sorted(series.items())):
        c = COLORS[i % len(COLORS)]
        pts.sort()
        fa, fb, r2 = fit(pts) if len(pts) > 1 else (0.0, pts[0][1] / pts[0][0], 1.0)
        x0, x1 = 0.0, xmax
        out.append(f'<line x1="{X(x0):.1f}" y1="{Y(max(0.0, fa + fb * x0)):.1f}" x2="{X(x1):.1f}" '
                   f'y2="{Y(fa + fb * x1):.1f}" stroke="{c}" stroke-dasharray="5,4" clip-path="url(#plotarea)"/>')
        for x, y in pts:
            out.append(f'<circle cx="{X(x):.1f}" cy="{Y(y):.1f}" r="4" fill="{c}"><title>{x:.0f} MB, '
                       f'{threads} thread(s): {y:.3f} s ({x / y:.0f} MB/s)</title></circle>')
        label = (f"{threads} thread{'s' if threads != 1 else ''}: t = {fa:.3f} s + size / "
                 f"{1 / fb if fb else 0:.0f} MB/s, R\u00b2 = {r2:.4f}")
        out.append(f'<circle cx="{ML + 14}" cy="{ly - 4}" r="4" fill="{c}"/>')
        out.append(f'<text x="{ML + 24}" y="{ly}">{html.escape(label)}</text>')
        ly += 18
    out.append("</svg>")
    with open(a.svg, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
