// flame.js: draws a flame graph (model/flame.js FlameTree, already laid
// out) into a horizontal band of a canvas. Never fetches.
//
// Frames are coloured by their name with the timeline's palette (colors.js),
// so "OptFunction" is the same colour in both views; "other" nodes (frames
// folded by the server's min_frac) are grey and hatched; the ancestors of the
// zoomed frame are drawn paler, as context. With a search or statistics
// highlight, matching frames keep their colour and get an outline, the rest
// are dimmed.
//
// Coordinates: CSS pixels; the band is [top, top + height) of the canvas;
// the content (all rows) scrolls by `scrollTop` inside it.

import { colorFor, UI } from "./colors.js";
import { elide } from "./timeline.js";

export const FLAME_ROW_H = 18;
export const FLAME_FRAME_H = 17;
const PAD = 4;
const FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const MIN_W = 0.3; // px: narrower frames (and their children) are skipped
const LABEL_MIN_W = 22;
// the root ("all", the sum over the selected threads) is not a function: neutral
const ROOT_COLOR = {
  fill: "#d9dde3",
  text: "#24292f",
  stroke: "#6a737d",
  shade: (a) => `rgba(217, 221, 227, ${(0.3 + 0.7 * a).toFixed(2)})`,
};

/** Height of the content of a band (all rows, at least the band). */
export function contentHeight(tree, bandH) {
  return Math.max(bandH, (tree.rows - tree.base) * FLAME_ROW_H + 2 * PAD);
}

/** Content y of the top of row `depth`. rootAtTop: icicle; else the root is at the bottom. */
export function rowTop(tree, depth, bandH, rootAtTop) {
  const r = depth - tree.base;
  return rootAtTop ? PAD + r * FLAME_ROW_H : contentHeight(tree, bandH) - PAD - (r + 1) * FLAME_ROW_H;
}

/** The depth at content y, or -1. */
export function depthAtY(tree, y, bandH, rootAtTop) {
  const r = rootAtTop
    ? Math.floor((y - PAD) / FLAME_ROW_H)
    : Math.floor((contentHeight(tree, bandH) - PAD - y) / FLAME_ROW_H);
  const d = r + tree.base;
  if (r < 0 || d >= tree.rows) return -1;
  const top = rowTop(tree, d, bandH, rootAtTop);
  return y - top < FLAME_FRAME_H ? d : -1;
}

/**
 * f: {tree, x0, width, top, height, scrollTop, rootAtTop, dpr,
 *     hover (node or -1), marked (Uint8Array or null), dimAncestors}
 * Returns {frames, labels, others, marked}.
 */
export function drawFlame(ctx, f) {
  const st = { frames: 0, labels: 0, others: 0, marked: 0 };
  const { tree, x0, width, top, height, dpr } = f;
  ctx.save();
  ctx.beginPath();
  ctx.rect(x0, top, width, height);
  ctx.clip();
  ctx.fillStyle = UI.background;
  ctx.fillRect(x0, top, width, height);
  ctx.font = FONT;
  ctx.textBaseline = "middle";
  const zoomed = tree.zoomed;
  const zDepth = tree.depth[zoomed];
  const marked = f.marked;
  const hatch = hatchPattern(ctx);
  let hoverRect = null;

  for (let d = tree.base; d < tree.rows; d++) {
    const y = top + rowTop(tree, d, height, f.rootAtTop) - f.scrollTop;
    if (y + FLAME_FRAME_H < top || y > top + height) continue;
    for (const i of tree.byDepth[d]) {
      const xa = x0 + tree.x0[i] * width;
      const xb = x0 + tree.x1[i] * width;
      if (xb - xa < MIN_W) continue;
      const xl = snap(xa, dpr);
      let xr = snap(xb, dpr);
      if (xr - xl < 1) xr = xl + 1;
      const w = xr - xl;
      const gap = w >= 4 ? 1 : 0;
      const other = tree.isOther(i);
      const isAncestor = d < zDepth;
      const dim = marked ? !marked[i] : false;
      const isRoot = i === 0 && tree.parent[0] === -1 && tree.name[0] === 0;
      const c = other ? null : isRoot ? ROOT_COLOR : colorFor(tree.nameText(i));
      if (other) {
        ctx.fillStyle = dim ? "#f2f3f5" : "#e3e5e8";
        ctx.fillRect(xl, y, w - gap, FLAME_FRAME_H);
        ctx.fillStyle = hatch;
        ctx.fillRect(xl, y, w - gap, FLAME_FRAME_H);
        st.others++;
      } else {
        ctx.fillStyle = dim ? c.shade(0.12) : isAncestor && f.dimAncestors !== false ? c.shade(0.45) : c.fill;
        ctx.fillRect(xl, y, w - gap, FLAME_FRAME_H);
      }
      if (marked && marked[i]) {
        st.marked++;
        ctx.strokeStyle = c ? c.stroke : "#57606a";
        ctx.lineWidth = 1;
        ctx.strokeRect(xl + 0.5, y + 0.5, Math.max(1, w - gap - 1), FLAME_FRAME_H - 1);
      }
      st.frames++;
      if (i === f.hover) hoverRect = [xl, y, w - gap];
      if (w >= LABEL_MIN_W) {
        const tx = Math.max(xl, x0) + 4;
        const avail = Math.min(xr, x0 + width) - tx - 4;
        const shown = elide(ctx, tree.label(i), avail);
        if (shown) {
          ctx.fillStyle = other || dim ? UI.textMuted : isAncestor ? "#3d4650" : c.text;
          ctx.fillText(shown, tx, y + FLAME_FRAME_H / 2 + 0.5);
          st.labels++;
        }
      }
    }
  }
  if (hoverRect) {
    ctx.strokeStyle = UI.selection;
    ctx.lineWidth = 2;
    ctx.strokeRect(hoverRect[0] + 1, hoverRect[1] + 1, Math.max(1, hoverRect[2] - 2), FLAME_FRAME_H - 2);
  }
  ctx.restore();
  return st;
}

let hatch = null;
let hatchCtx = null;
function hatchPattern(ctx) {
  if (hatch && hatchCtx === ctx) return hatch;
  const c = typeof OffscreenCanvas !== "undefined" ? new OffscreenCanvas(8, 8) : document.createElement("canvas");
  c.width = 8;
  c.height = 8;
  const g = c.getContext("2d");
  g.strokeStyle = "rgba(90, 98, 110, 0.35)";
  g.lineWidth = 1.5;
  g.beginPath();
  g.moveTo(-2, 10);
  g.lineTo(10, -2);
  g.moveTo(-2, 2);
  g.lineTo(2, -2);
  g.moveTo(6, 10);
  g.lineTo(10, 6);
  g.stroke();
  hatch = ctx.createPattern(c, "repeat");
  hatchCtx = ctx;
  return hatch;
}

function snap(x, dpr) {
  return Math.round(x * dpr) / dpr;
}
