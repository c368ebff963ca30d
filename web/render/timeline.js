// timeline.js: draws the track area from cached tiles. Never fetches.
//
// draw() is synchronous and draws what the cache has: for a tile it does not
// have, a coarser cached tile of the same track clipped to the missing span
// (so zooming in stays populated), else a subtle checkerboard (Perfetto's
// loading pattern). Thread tiles are drawn as a flame chart: a slice is a
// rect in the row of its depth; a summary (slices narrower than a bucket,
// docs/api.md) is one box per (bucket, depth) in the colour of its longest
// slice's name, shaded by busy / bucket_ns (Spall's "faketangle").
//
// Coordinates: the canvas is in CSS pixels (the caller scales by dpr); the
// time area starts at f.x0; rows carry content y, drawn at y - f.scrollY.

import { ROW_H, SLICE_H, TRACK_PAD_TOP, depthAt } from "../model/track_layout.js";
import { colorFor, UI } from "./colors.js";

const FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const LABEL_MIN_PX = 26;
const MAX_FALLBACK_UP = 8;
const ELLIPSIS = "…";
export const SAMPLE_STRIP_H = 3; // sample marks: a strip at the bottom of a thread row

/**
 * Draws the visible rows. f (a frame description):
 *   x0, width          time area in the canvas (CSS px)
 *   height             canvas height (CSS px)
 *   dpr                device pixel ratio (for snapping)
 *   scrollY            content y at the top of the canvas
 *   rows               visible rows (model/track_layout.js)
 *   scale              TimeScale; level: tile level; buckets: tile_buckets
 *   maxLevel           meta.max_level
 *   getTile(track, level, index) -> decoded tile or undefined
 *   str(id) -> text    string table lookup
 *   grid               tick times (ns) for vertical grid lines, or null
 *   selected, hover    {track, id, start, dur, depth} or null
 *   highlight          a matcher (model/highlight.js) or null: matching slices
 *                      keep their colour and get an outline, the rest are dimmed
 *   range              the selected range [a, b] (ns) or null: the time outside
 *                      it is shaded
 * Returns stats: {slices, summaries, instants, samples (sample marks), placeholders,
 * fallbacks, labels, highlighted, sample}.
 */
export function drawTimeline(ctx, f) {
  const st = { slices: 0, summaries: 0, instants: 0, samples: 0, placeholders: 0, fallbacks: 0, labels: 0, highlighted: 0, sample: null };
  ctx.save();
  ctx.beginPath();
  ctx.rect(f.x0, 0, f.width, f.height);
  ctx.clip();
  ctx.fillStyle = UI.background;
  ctx.fillRect(f.x0, 0, f.width, f.height);
  ctx.font = FONT;
  ctx.textBaseline = "middle";

  if (f.grid) {
    ctx.fillStyle = UI.grid;
    for (const t of f.grid) ctx.fillRect(Math.round(f.x0 + f.scale.nsToPx(t)), 0, 1, f.height);
  }
  // Outside the trace: a faint tint so the ends of the trace are visible.
  const xa = f.x0 + f.scale.nsToPx(0);
  const xb = f.x0 + f.scale.nsToPx(f.scale.duration);
  ctx.fillStyle = "rgba(20, 30, 45, 0.035)";
  if (xa > f.x0) ctx.fillRect(f.x0, 0, xa - f.x0, f.height);
  if (xb < f.x0 + f.width) ctx.fillRect(xb, 0, f.x0 + f.width - xb, f.height);

  for (const row of f.rows) {
    const top = row.y - f.scrollY;
    if (row.kind === "process") {
      drawProcessRow(ctx, f, row, top);
    } else if (row.kind === "thread") {
      drawThreadRow(ctx, f, row, top, st);
    } else if (row.kind === "counter") {
      drawCounterRow(ctx, f, row, top, st);
    }
  }
  if (f.range) drawRangeShade(ctx, f);
  ctx.restore();
  return st;
}

/** Shades the time outside the selected range and marks its edges. */
function drawRangeShade(ctx, f) {
  const [a, b] = f.range;
  const xa = Math.max(f.x0, f.x0 + f.scale.nsToPx(a));
  const xb = Math.min(f.x0 + f.width, f.x0 + f.scale.nsToPx(b));
  ctx.fillStyle = UI.rangeOutside;
  if (xa > f.x0) ctx.fillRect(f.x0, 0, Math.min(xa, f.x0 + f.width) - f.x0, f.height);
  if (xb < f.x0 + f.width) ctx.fillRect(Math.max(xb, f.x0), 0, f.x0 + f.width - Math.max(xb, f.x0), f.height);
  ctx.fillStyle = UI.rangeEdge;
  for (const t of [a, b]) {
    const x = Math.round(f.x0 + f.scale.nsToPx(t));
    if (x >= f.x0 && x <= f.x0 + f.width) ctx.fillRect(x, 0, 1, f.height);
  }
}

function drawProcessRow(ctx, f, row, top) {
  ctx.fillStyle = UI.header;
  ctx.fillRect(f.x0, top, f.width, row.height);
  ctx.fillStyle = UI.separator;
  ctx.fillRect(f.x0, top, f.width, 1);
  ctx.fillRect(f.x0, top + row.height - 1, f.width, 1);
}

/** The tiles to draw for a track: [{index, tile, clip: [t0, t1] | null}] and placeholders. */
function tilesFor(f, track) {
  const out = [];
  const missing = [];
  const tileNs = f.buckets * 2 ** f.level;
  const [i0, i1] = f.scale.tileRange(f.level, f.buckets, 0);
  const usedFallback = new Set();
  for (let i = i0; i <= i1; i++) {
    const tile = f.getTile(track, f.level, i);
    if (tile) {
      out.push({ tile, clip: null });
      continue;
    }
    const a = i * tileNs;
    const b = a + tileNs;
    let found = null;
    for (let up = 1; up <= MAX_FALLBACK_UP && f.level + up <= f.maxLevel; up++) {
      const l = f.level + up;
      const idx = Math.floor(a / (f.buckets * 2 ** l));
      const t = f.getTile(track, l, idx);
      if (t) {
        found = t;
        break;
      }
    }
    if (!found) {
      // Zooming out: the finer tiles of the span may all be here.
      for (let down = 1; down <= 2 && f.level - down >= 0 && !found; down++) {
        const l = f.level - down;
        const n = 2 ** down;
        const kids = [];
        for (let c = 0; c < n; c++) {
          const t = f.getTile(track, l, i * n + c);
          if (!t) break;
          kids.push(t);
        }
        if (kids.length === n) {
          const kidNs = tileNs / n;
          kids.forEach((t, c) => out.push({ tile: t, clip: [a + c * kidNs, a + (c + 1) * kidNs] }));
          found = true;
        }
      }
      if (found) continue;
    }
    if (found) {
      const key = found.level + "/" + found.index;
      // Consecutive missing tiles under the same fallback: widen its clip.
      const prev = out[out.length - 1];
      if (prev && prev.clip && usedFallback.has(key) && prev.tile === found && prev.clip[1] === a) prev.clip[1] = b;
      else out.push({ tile: found, clip: [a, b] });
      usedFallback.add(key);
    } else {
      missing.push([a, b]);
    }
  }
  return { tiles: out, missing };
}

function drawPlaceholder(ctx, f, a, b, top, h, st) {
  const xa = Math.max(f.x0, f.x0 + f.scale.nsToPx(a));
  const xb = Math.min(f.x0 + f.width, f.x0 + f.scale.nsToPx(b));
  if (xb <= xa) return;
  ctx.fillStyle = checker(ctx);
  ctx.fillRect(xa, top, xb - xa, h);
  st.placeholders++;
}

let checkerPattern = null;
let checkerCtx = null;
function checker(ctx) {
  if (checkerPattern && checkerCtx === ctx) return checkerPattern;
  const c = typeof OffscreenCanvas !== "undefined" ? new OffscreenCanvas(16, 16) : document.createElement("canvas");
  c.width = 16;
  c.height = 16;
  const g = c.getContext("2d");
  g.fillStyle = UI.placeholderA;
  g.fillRect(0, 0, 16, 16);
  g.fillStyle = UI.placeholderB;
  g.fillRect(0, 0, 8, 8);
  g.fillRect(8, 8, 8, 8);
  checkerPattern = ctx.createPattern(c, "repeat");
  checkerCtx = ctx;
  return checkerPattern;
}

function drawThreadRow(ctx, f, row, top, st) {
  ctx.fillStyle = UI.separator;
  ctx.fillRect(f.x0, top + row.height - 1, f.width, 1);
  // A thread with nothing to draw (a name only) asks for no tiles.
  if (row.empty) return;
  const { tiles, missing } = tilesFor(f, row.track);
  const seen = new Set();
  for (const { tile, clip } of tiles) {
    if (tile.kind !== "thread") continue;
    if (clip) {
      ctx.save();
      const xa = f.x0 + f.scale.nsToPx(clip[0]);
      const xb = f.x0 + f.scale.nsToPx(clip[1]);
      ctx.beginPath();
      ctx.rect(xa, top, xb - xa, row.height);
      ctx.clip();
      drawThreadTile(ctx, f, row, top, tile, null, st);
      ctx.restore();
      st.fallbacks++;
    } else {
      drawThreadTile(ctx, f, row, top, tile, seen, st);
    }
  }
  const h = Math.max(ROW_H, row.height - TRACK_PAD_TOP - 2);
  for (const [a, b] of missing) drawPlaceholder(ctx, f, a, b, top + TRACK_PAD_TOP, Math.min(h, row.height - TRACK_PAD_TOP - 1), st);

  for (const [mark, color, width] of [
    [f.hover, UI.hover, 1],
    [f.selected, UI.selection, 2],
  ]) {
    if (!mark || mark.track !== row.track || mark.depth == null || mark.start == null) continue;
    const y = top + TRACK_PAD_TOP + mark.depth * ROW_H;
    let xa = f.x0 + f.scale.nsToPx(mark.start);
    let xb = f.x0 + f.scale.nsToPx(mark.start + mark.dur);
    if (xb - xa < 3) {
      const c = (xa + xb) / 2;
      xa = c - 1.5;
      xb = c + 1.5;
    }
    xa = Math.max(xa, f.x0 - 4);
    xb = Math.min(xb, f.x0 + f.width + 4);
    if (xb < f.x0 || xa > f.x0 + f.width) continue;
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.strokeRect(xa + width / 2, y + width / 2, xb - xa - width, SLICE_H - width);
  }
}

function snap(x, dpr) {
  return Math.round(x * dpr) / dpr;
}

function drawThreadTile(ctx, f, row, top, tile, seen, st) {
  const { scale, x0, width, dpr } = f;
  const npp = scale.nsPerPx();
  const left = x0 - 2;
  const right = x0 + width + 2;
  const baseY = top + TRACK_PAD_TOP;
  const s = tile.slices;
  const hl = f.highlight;

  // Summaries first: they sit between slices at the same depth.
  const m = tile.summaries;
  const bw = Math.max(1, tile.bucketNs / npp);
  for (let k = 0; k < m.n; k++) {
    const d = m.depth[k];
    if (d >= row.depthRows) continue;
    const x = x0 + (tile.t0 + m.bucket[k] * tile.bucketNs - scale.t0) / npp;
    if (x + bw < left || x > right) continue;
    const c = colorFor(f.str(m.name[k]) || "");
    const dim = hl && !hl.summary(m.name[k], row.track);
    ctx.fillStyle = c.shade(dim ? 0 : Math.min(1, m.busy[k] / tile.bucketNs));
    ctx.fillRect(snap(x, dpr), baseY + d * ROW_H, Math.max(1, snap(bw, dpr)), SLICE_H);
    st.summaries++;
  }

  for (let k = 0; k < s.n; k++) {
    if (seen) {
      const id = s.id[k];
      if (seen.has(id)) continue;
      seen.add(id);
    }
    const d = s.depth[k];
    if (d >= row.depthRows) continue;
    const start = s.start[k];
    const xs = x0 + (start - scale.t0) / npp;
    const xe = xs + s.dur[k] / npp;
    if (xe < left || xs > right) continue;
    const xl = snap(Math.max(xs, left), dpr);
    let xr = snap(Math.min(xe, right), dpr);
    if (xr - xl < 1) xr = xl + 1;
    const w = xr - xl;
    const gap = w >= 5 ? 1 : 0;
    const name = f.str(s.name[k]) || "";
    const c = colorFor(name);
    const y = baseY + d * ROW_H;
    const on = hl ? hl.slice(s.name[k], s.detail[k], row.track) : true;
    ctx.fillStyle = on ? c.fill : c.shade(0);
    ctx.fillRect(xl, y, w - gap, SLICE_H);
    if (hl && on) {
      ctx.strokeStyle = c.stroke;
      ctx.lineWidth = 1;
      if (w >= 3) ctx.strokeRect(xl + 0.5, y + 0.5, w - gap - 1, SLICE_H - 1);
      st.highlighted++;
    }
    st.slices++;
    // The sample (for tests): the widest visible slice, preferring nested
    // ones (they have parents to show).
    if (!st.sample || (d > 0 && st.sample.depth === 0) || ((d > 0) === (st.sample.depth > 0) && w > st.sample.w)) {
      const vl = Math.max(xl, x0);
      const vr = Math.min(xr, x0 + width);
      if (vr - vl > 2 && y >= 0 && y + SLICE_H <= f.height) {
        st.sample = { track: row.track, id: s.id[k], depth: d, x: (vl + vr) / 2, y: y + SLICE_H / 2, w: vr - vl };
      }
    }
    if (w >= LABEL_MIN_PX) {
      const detail = s.detail[k] ? f.str(s.detail[k]) : "";
      const text = detail ? name + ": " + detail : name;
      const tx = Math.max(xl, x0) + 4;
      const avail = Math.min(xr, x0 + width) - tx - 4;
      const shown = elide(ctx, text, avail);
      if (shown) {
        ctx.fillStyle = on ? c.text : UI.textMuted;
        ctx.fillText(shown, tx, y + SLICE_H / 2 + 0.5);
        st.labels++;
      }
    }
  }

  const ins = tile.instants;
  if (ins.n) {
    ctx.fillStyle = UI.instant;
    for (let k = 0; k < ins.n; k++) {
      const x = snap(x0 + (tile.t0 + (ins.bucket[k] + 0.5) * tile.bucketNs - scale.t0) / npp, dpr);
      if (x < left || x > right) continue;
      ctx.beginPath();
      ctx.moveTo(x - 4, top + 1);
      ctx.lineTo(x + 4, top + 1);
      ctx.lineTo(x, top + 7);
      ctx.closePath();
      ctx.fill();
      ctx.globalAlpha = 0.35;
      ctx.fillRect(x - 0.5, top + 1, 1, Math.max(8, row.height - 3));
      ctx.globalAlpha = 1;
      st.instants++;
    }
  }

  // Sample marks: a tick per bucket in a thin strip at the bottom of the row,
  // darker where a bucket holds more samples.
  const sm = tile.samples;
  if (sm && sm.n) {
    const y = top + row.height - 1 - SAMPLE_STRIP_H;
    const w = Math.max(1, snap(tile.bucketNs / npp, dpr));
    ctx.fillStyle = UI.sample;
    for (let k = 0; k < sm.n; k++) {
      const x = snap(x0 + (tile.t0 + sm.bucket[k] * tile.bucketNs - scale.t0) / npp, dpr);
      if (x + w < left || x > right) continue;
      const c = sm.count[k];
      ctx.globalAlpha = c <= 1 ? 0.4 : Math.min(1, 0.4 + 0.15 * Math.log2(c));
      ctx.fillRect(x, y, w, SAMPLE_STRIP_H);
      st.samples++;
    }
    ctx.globalAlpha = 1;
  }
}

// ---------------------------------------------------------------- labels

const widthCache = new Map();
function textWidth(ctx, s) {
  let w = widthCache.get(s);
  if (w === undefined) {
    w = ctx.measureText(s).width;
    if (widthCache.size > 20000) widthCache.clear();
    widthCache.set(s, w);
  }
  return w;
}

/** `text`, or its longest prefix + "…" that fits in maxW px, or null. */
export function elide(ctx, text, maxW) {
  if (maxW < 8 || !text) return null;
  const full = textWidth(ctx, text);
  if (full <= maxW) return text;
  const ell = textWidth(ctx, ELLIPSIS);
  if (maxW < ell + 6) return null;
  let n = Math.floor((text.length * (maxW - ell)) / full);
  let w = ctx.measureText(text.slice(0, n)).width;
  // The estimate assumes an even advance; correct it in a few steps.
  while (n > 0 && w + ell > maxW) {
    n = Math.max(0, Math.min(n - 1, Math.floor((n * (maxW - ell)) / w)));
    w = ctx.measureText(text.slice(0, n)).width;
  }
  if (n === 0) return null;
  return text.slice(0, n).trimEnd() + ELLIPSIS;
}

// ---------------------------------------------------------------- counters

function drawCounterRow(ctx, f, row, top, st) {
  ctx.fillStyle = UI.separator;
  ctx.fillRect(f.x0, top + row.height - 1, f.width, 1);
  const { tiles, missing } = tilesFor(f, row.track);
  // The tile before the first visible one (fetched as padding) gives the
  // value at the left edge. TODO(api): a `prev` value in counter tiles would
  // make this exact when that tile has no sample either.
  const [i0] = f.scale.tileRange(f.level, f.buckets, 0);
  const before = i0 > 0 ? f.getTile(row.track, f.level, i0 - 1) : null;
  if (before) tiles.unshift({ tile: before, clip: null });
  const pts = [];
  for (const { tile, clip } of tiles) {
    if (tile.kind !== "counter") continue;
    for (let k = 0; k < tile.buckets.length; k++) {
      const t = tile.t0 + tile.buckets[k] * tile.bucketNs;
      if (clip && (t < clip[0] || t >= clip[1])) continue;
      pts.push([t, tile.min[k], tile.max[k], tile.last[k], tile.bucketNs]);
    }
  }
  pts.sort((a, b) => a[0] - b[0]);
  const lo = Math.min(0, row.min);
  const hi = row.max > lo ? row.max : lo + 1;
  const h = row.height - 12;
  const yOf = (v) => top + 6 + h - ((v - lo) / (hi - lo)) * h;
  const x = (t) => f.x0 + f.scale.nsToPx(t);
  if (pts.length) {
    ctx.beginPath();
    ctx.moveTo(x(pts[0][0]), yOf(lo));
    let prevY = yOf(pts[0][3]);
    for (let k = 0; k < pts.length; k++) {
      const px = x(pts[k][0]);
      ctx.lineTo(px, prevY);
      prevY = yOf(pts[k][3]);
      ctx.lineTo(px, prevY);
    }
    const endX = Math.min(f.x0 + f.width, x(f.scale.duration));
    ctx.lineTo(endX, prevY);
    ctx.lineTo(endX, yOf(lo));
    ctx.closePath();
    ctx.fillStyle = UI.counterFill;
    ctx.fill();
    ctx.strokeStyle = UI.counterLine;
    ctx.lineWidth = 1;
    ctx.stroke();
    // min..max within a bucket
    ctx.fillStyle = UI.counterLine;
    for (const p of pts) {
      if (p[1] === p[2]) continue;
      const ya = yOf(p[2]);
      ctx.fillRect(snap(x(p[0]), f.dpr), ya, 1, yOf(p[1]) - ya);
    }
    st.summaries += pts.length;
  }
  for (const [a, b] of missing) drawPlaceholder(ctx, f, a, b, top + 4, row.height - 8, st);
}

// ---------------------------------------------------------------- hit test

/**
 * What is under (x, canvas y) in the frame f (the same object draw() took,
 * with `row` the row under the point). Returns null or
 *   {kind: "slice", track, id, start, dur, depth, name, detail}
 *   {kind: "summary", track, depth, start, dur, count, busy, longest, name}
 *   {kind: "instant", track, start, dur, count, name}
 *   {kind: "sample", track, start, dur, count, name}   (name: a leaf frame)
 */
export function hitTest(f, row, x, y) {
  if (!row || row.kind !== "thread" || x < f.x0) return null;
  const cy = y + f.scrollY;
  const t = f.scale.pxToNs(x - f.x0);
  const npp = f.scale.nsPerPx();
  const { tiles } = tilesFor(f, row.track);
  // instants: the top strip of the row
  if (cy - row.y < TRACK_PAD_TOP + 6) {
    for (const { tile } of tiles) {
      const ins = tile.instants;
      for (let k = 0; ins && k < ins.n; k++) {
        const tc = tile.t0 + (ins.bucket[k] + 0.5) * tile.bucketNs;
        if (Math.abs(tc - t) <= 4 * npp) {
          return { kind: "instant", track: row.track, start: tile.t0 + ins.bucket[k] * tile.bucketNs,
                   dur: tile.bucketNs, count: ins.count[k], name: f.str(ins.name[k]) || "" };
        }
      }
    }
  }
  // sample marks: the bottom strip of the row
  if (row.samples && cy - row.y >= row.height - 1 - SAMPLE_STRIP_H - 3) {
    let best = null;
    let bestDist = 4 * npp;
    for (const { tile } of tiles) {
      const sm = tile.samples;
      for (let k = 0; sm && k < sm.n; k++) {
        const a = tile.t0 + sm.bucket[k] * tile.bucketNs;
        const b = a + tile.bucketNs;
        const dist = t < a ? a - t : t >= b ? t - b : -1;
        if (dist < bestDist) {
          bestDist = dist;
          best = { kind: "sample", track: row.track, start: a, dur: tile.bucketNs, count: sm.count[k], name: f.str(sm.name[k]) || "" };
        }
      }
    }
    if (best) return best;
  }
  const depth = depthAt(row, cy);
  if (depth < 0) return null;
  let best = null;
  let bestDist = 3 * npp; // px tolerance for thin slices
  for (const { tile, clip } of tiles) {
    if (tile.kind !== "thread") continue;
    if (clip && (t < clip[0] || t >= clip[1])) continue;
    const s = tile.slices;
    for (let k = 0; k < s.n; k++) {
      if (s.depth[k] !== depth) continue;
      const a = s.start[k];
      const b = a + s.dur[k];
      const dist = t < a ? a - t : t >= b ? t - b : -1;
      if (dist < bestDist) {
        bestDist = dist;
        best = {
          kind: "slice", track: row.track, id: s.id[k], start: a, dur: s.dur[k], depth,
          name: f.str(s.name[k]) || "", detail: s.detail[k] ? f.str(s.detail[k]) || "" : "",
        };
        if (dist < 0) break;
      }
    }
    if (best && bestDist < 0) break;
    const m = tile.summaries;
    for (let k = 0; k < m.n; k++) {
      if (m.depth[k] !== depth) continue;
      const a = tile.t0 + m.bucket[k] * tile.bucketNs;
      const b = a + tile.bucketNs;
      const dist = t < a ? a - t : t >= b ? t - b : -1;
      if (dist < bestDist) {
        bestDist = dist;
        best = {
          kind: "summary", track: row.track, depth, start: a, dur: tile.bucketNs, count: m.count[k],
          busy: m.busy[k], longest: m.longest[k], name: f.str(m.name[k]) || "",
        };
      }
    }
  }
  return best;
}
