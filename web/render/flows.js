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
  ctx.beginPath();
  const heads = [];
  for (const fl of flows) {
    if (out.drawn >= MAX_ARROWS) break;
    const ra = rowOf(fl.from.track);
    const rb = rowOf(fl.to.track);
    if (!ra || !rb) continue;
    const xa = x0 + scale.nsToPx(fl.from.ts);
    const xb = x0 + scale.nsToPx(fl.to.ts);
    if (Math.max(xa, xb) < x0 - HEAD_L || Math.min(xa, xb) > x0 + width + HEAD_L) continue;
    const ya = depthMidY(ra, fl.from.depth) - scrollY;
    const yb = depthMidY(rb, fl.to.depth) - scrollY;
    if ((ya < 0 && yb < 0) || (ya > height && yb > height)) continue;
    out.drawn++;
    if (touches(fl.from) || touches(fl.to)) {
      hot.push([xa, ya, xb, yb]);
      continue;
    }
    curve(ctx, xa, ya, xb, yb);
    heads.push(xb, yb, xa <= xb ? 1 : -1);
  }
  ctx.strokeStyle = UI.flow;
  ctx.lineWidth = 1.2;
  ctx.stroke();
  ctx.fillStyle = UI.flow;
  drawHeads(ctx, heads);
  if (hot.length) {
    ctx.beginPath();
    const hh = [];
    for (const [xa, ya, xb, yb] of hot) {
      curve(ctx, xa, ya, xb, yb);
      hh.push(xb, yb, xa <= xb ? 1 : -1);
    }
    ctx.strokeStyle = UI.flowHighlight;
    ctx.lineWidth = 2.2;
    ctx.stroke();
    ctx.fillStyle = UI.flowHighlight;
    drawHeads(ctx, hh, 1.3);
    out.highlighted = hot.length;
  }
  ctx.restore();
  return out;
}

/** A curve leaving (xa, ya) and reaching (xb, yb) horizontally, plus a dot at the start. */
function curve(ctx, xa, ya, xb, yb) {
  const dir = xa <= xb ? 1 : -1;
  const dx = Math.max(14, Math.min(90, Math.abs(xb - xa) / 2));
  ctx.moveTo(xa + 2.2, ya);
  ctx.arc(xa, ya, 2.2, 0, 2 * Math.PI);
  ctx.moveTo(xa, ya);
  // the line ends where the head begins, so the head's tip is sharp
  ctx.bezierCurveTo(xa + dir * dx, ya, xb - dir * dx, yb, xb - dir * HEAD_L, yb);
}

function drawHeads(ctx, heads, k = 1) {
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
  ctx.fill();
}
