// flows.js: flow arrows on the timeline (Chrome flow events s/t/f and flow
// v2, span links): a curve from the slice row at (from.track, from.depth)
// to the one at (to.track, to.depth), with a head at the end. Never fetches:
// the view hands over the flows of /flows it has for the visible range.
//
// Both ends must be on rows of the layout (a collapsed process hides its
// flows); an arrow whose two ends are off the same side of the canvas is
// skipped, and at most MAX_ARROWS are drawn per frame. Arrows touching the
// selected slice (or a slice inside it) are drawn last, thicker and in the
// highlight colour.

import { depthMidY } from "../model/track_layout.js";
import { UI } from "./colors.js";

export const MAX_ARROWS = 2500;
const HEAD_L = 7;
const HEAD_W = 3.5;
const FAR = 600; // px beyond the canvas where a far end is cut

/**
 * f: the frame description of render/timeline.js (x0, width, height, scrollY,
 * scale); flows: [{from: {track, ts, depth}, to: {...}}]; rowOf(track) -> row
 * of the layout or undefined; selected: {track, start, dur, depth} or null.
 * Returns {drawn, highlighted}.
 */
export function drawFlows(ctx, f, flows, rowOf, selected) {
  const out = { drawn: 0, highlighted: 0 };
  if (!flows || !flows.length) return out;
  const { x0, width, height, scrollY, scale } = f;
  // an end is given at the deepest slice at its time: it belongs to the
  // selected slice when it lies inside it (on its track, at or below its depth)
  const touches = (e) =>
    selected && selected.start != null && e.track === selected.track && e.depth >= selected.depth &&
    e.ts >= selected.start && e.ts <= selected.start + selected.dur;
  const hot = [];
  ctx.save();
  ctx.beginPath();
  ctx.rect(x0, 0, width, height);
  ctx.clip();
  const cold = [];
  for (const fl of flows) {
    if (out.drawn >= MAX_ARROWS) break;
    const ra = rowOf(fl.from.track);
    const rb = rowOf(fl.to.track);
    if (!ra || !rb) continue;
    let xa = x0 + scale.nsToPx(fl.from.ts);
    let xb = x0 + scale.nsToPx(fl.to.ts);
    if (Math.max(xa, xb) < x0 - HEAD_L || Math.min(xa, xb) > x0 + width + HEAD_L) continue;
    let ya = depthMidY(ra, fl.from.depth) - scrollY;
    let yb = depthMidY(rb, fl.to.depth) - scrollY;
    if ((ya < 0 && yb < 0) || (ya > height && yb > height)) continue;
    out.drawn++;
    // an end far outside the canvas: cut the arrow at a margin (on the straight
    // line between the ends), so the canvas never sees huge coordinates
    const lo = x0 - FAR;
    const hi = x0 + width + FAR;
    let headB = true;
    let dotA = true;
    if (xb < lo || xb > hi) {
      const xc = xb < lo ? lo : hi;
      yb = ya + ((yb - ya) * (xc - xa)) / (xb - xa);
      xb = xc;
      headB = false;
    }
    if (xa < lo || xa > hi) {
      const xc = xa < lo ? lo : hi;
      ya = yb + ((ya - yb) * (xc - xb)) / (xa - xb);
      xa = xc;
      dotA = false;
    }
    const one = [xa, ya, xb, yb, dotA, headB];
    if (touches(fl.from) || touches(fl.to)) hot.push(one);
    else cold.push(one);
  }
  const heads = [];
  const dots = [];
  ctx.beginPath();
  for (const a of cold) addArrow(ctx, a, heads, dots);
  // many arrows (a zoomed-out view): fainter, so the slices stay readable
  ctx.globalAlpha = Math.max(0.3, Math.min(1, Math.sqrt(24 / Math.max(1, cold.length))));
  ctx.strokeStyle = UI.flow;
  ctx.lineWidth = 1.2;
  ctx.stroke();
  ctx.fillStyle = UI.flow;
  drawHeads(ctx, heads, dots, 1);
  ctx.globalAlpha = 1;
  if (hot.length) {
    const hh = [];
    const hd = [];
    ctx.beginPath();
    for (const a of hot) addArrow(ctx, a, hh, hd);
    ctx.strokeStyle = UI.flowHighlight;
    ctx.lineWidth = 2.2;
    ctx.stroke();
    ctx.fillStyle = UI.flowHighlight;
    drawHeads(ctx, hh, hd, 1.3);
    out.highlighted = hot.length;
  }
  ctx.restore();
  return out;
}

/** Adds the curve of one arrow to the path; its head and start dot to the lists. */
function addArrow(ctx, [xa, ya, xb, yb, dotA, headB], heads, dots) {
  const dir = xa <= xb ? 1 : -1;
  const dx = Math.max(14, Math.min(90, Math.abs(xb - xa) / 2));
  // the line ends where the head begins, so the head's tip stays sharp
  const xe = headB ? xb - dir * HEAD_L : xb;
  ctx.moveTo(xa, ya);
  ctx.bezierCurveTo(xa + dir * dx, ya, xe - dir * dx, yb, xe, yb);
  if (headB) heads.push(xb, yb, dir);
  if (dotA) dots.push(xa, ya);
}

function drawHeads(ctx, heads, dots, k) {
  ctx.beginPath();
  for (let i = 0; i < heads.length; i += 3) {
    const x = heads[i];
    const y = heads[i + 1];
    const d = heads[i + 2];
    ctx.moveTo(x, y);
    ctx.lineTo(x - d * HEAD_L * k, y - HEAD_W * k);
    ctx.lineTo(x - d * HEAD_L * k, y + HEAD_W * k);
    ctx.closePath();
  }
  for (let i = 0; i < dots.length; i += 2) {
    ctx.moveTo(dots[i] + 2 * k, dots[i + 1]);
    ctx.arc(dots[i], dots[i + 1], 2 * k, 0, 2 * Math.PI);
  }
  ctx.fill();
}
