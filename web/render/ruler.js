// ruler.js: the time axis. Ticks at 1-2-5 steps, labels relative to the
// trace origin in a unit that suits the step ("3.005 ms").
import { formatTime, formatDuration } from "../model/format.js";
import { UI } from "./colors.js";

const FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

/** The tick step (ns) so that ticks are at least minPx apart. */
export function tickStep(nsPerPx, minPx) {
  const raw = Math.max(1, nsPerPx * minPx);
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

/** Tick times (ns) in the visible range, and the step. */
export function ticks(scale, minPx = 100) {
  const step = tickStep(scale.nsPerPx(), minPx);
  const out = [];
  const first = Math.ceil(scale.t0 / step) * step;
  for (let t = first; t <= scale.t1 && out.length < 1000; t += step) out.push(Math.round(t / step) * step);
  return { step, ticks: out };
}

/**
 * Draws the ruler into ctx (CSS pixels). opts:
 *   x0, width, height   the time area inside the canvas
 *   scale               TimeScale
 *   hoverNs             time under the mouse, or null
 *   highlight           [a, b] ns to mark (the selected slice), or null
 *   range               [a, b] ns, the selected range (drawn as a band with
 *                       its duration), or null
 * Returns the tick times (ns), for the grid lines of the tracks.
 */
export function drawRuler(ctx, opts) {
  const { x0, width, height, scale } = opts;
  ctx.save();
  ctx.font = FONT;
  ctx.textBaseline = "middle";
  ctx.fillStyle = UI.header;
  ctx.fillRect(x0, 0, width, height);
  ctx.beginPath();
  ctx.rect(x0, 0, width, height);
  ctx.clip();

  if (opts.highlight) {
    const a = x0 + scale.nsToPx(opts.highlight[0]);
    const b = x0 + scale.nsToPx(opts.highlight[1]);
    ctx.fillStyle = "rgba(11, 92, 213, 0.07)";
    ctx.fillRect(a, 0, Math.max(1, b - a), height);
    ctx.fillStyle = "rgba(11, 92, 213, 0.6)";
    ctx.fillRect(Math.round(a), 0, 1, height);
    ctx.fillRect(Math.round(b), 0, 1, height);
  }

  if (opts.range) drawRange(ctx, opts);

  // Pick a spacing wide enough for the longest label at this zoom.
  let minPx = 90;
  let t = ticks(scale, minPx);
  for (let i = 0; i < 3; i++) {
    const sample = formatTime(scale.t1, t.step);
    const need = ctx.measureText(sample).width + 24;
    if (need <= minPx) break;
    minPx = need;
    t = ticks(scale, minPx);
  }
  const { step } = t;
  // minor ticks: fifths or halves of a step
  const minor = String(step).match(/^[15]/) ? step / 5 : step / 2;
  ctx.fillStyle = UI.gridStrong;
  const mFirst = Math.ceil(scale.t0 / minor) * minor;
  for (let m = mFirst; m <= scale.t1; m += minor) {
    const x = Math.round(x0 + scale.nsToPx(m)) + 0.5;
    ctx.fillRect(x - 0.5, height - 4, 1, 4);
  }
  for (const tk of t.ticks) {
    const x = Math.round(x0 + scale.nsToPx(tk));
    ctx.fillStyle = "rgba(20, 30, 45, 0.35)";
    ctx.fillRect(x, height - 10, 1, 10);
    ctx.fillStyle = UI.text;
    ctx.fillText(formatTime(tk, step), x + 4, height / 2 - 2);
  }
  ctx.fillStyle = UI.separator;
  ctx.fillRect(x0, height - 1, width, 1);

  if (opts.rangeLabel) drawRangeLabel(ctx, opts);

  if (opts.hoverNs != null && opts.hoverNs >= scale.t0 && opts.hoverNs <= scale.t1) {
    const x = Math.round(x0 + scale.nsToPx(opts.hoverNs));
    const label = formatTime(opts.hoverNs, scale.nsPerPx());
    const w = ctx.measureText(label).width + 10;
    const bx = Math.min(x0 + width - w - 1, Math.max(x0 + 1, x - w / 2));
    ctx.fillStyle = UI.selection;
    ctx.fillRect(x, 0, 1, height);
    ctx.fillStyle = "#1f2937";
    roundRect(ctx, bx, 3, w, height - 8, 3);
    ctx.fill();
    ctx.fillStyle = "#ffffff";
    ctx.fillText(label, bx + 5, height / 2 - 1);
  }
  ctx.restore();
  return t.ticks;
}

/** The selected range: a band, its edges and its duration in a pill. */
function drawRange(ctx, opts) {
  const { x0, width, height, scale } = opts;
  const [ta, tb] = opts.range;
  const a = x0 + scale.nsToPx(ta);
  const b = x0 + scale.nsToPx(tb);
  const xa = Math.max(x0, a);
  const xb = Math.min(x0 + width, b);
  ctx.fillStyle = UI.rangeEdge;
  if (a >= x0 && a <= x0 + width) ctx.fillRect(Math.round(a), 0, 1, height);
  if (b >= x0 && b <= x0 + width) ctx.fillRect(Math.round(b), 0, 1, height);
  if (xb > xa) {
    ctx.fillStyle = UI.rangeFill;
    ctx.fillRect(xa, 0, xb - xa, height);
    opts.rangeLabel = [xa, xb];
  }
}

/** The duration pill of the selected range, drawn over the tick labels. */
function drawRangeLabel(ctx, opts) {
  const [xa, xb] = opts.rangeLabel;
  const [ta, tb] = opts.range;
  const label = formatDuration(tb - ta);
  const w = ctx.measureText(label).width + 12;
  const cx = Math.max(opts.x0 + w / 2 + 1, Math.min(opts.x0 + opts.width - w / 2 - 1, (xa + xb) / 2));
  ctx.fillStyle = UI.rangeEdge;
  roundRect(ctx, cx - w / 2, 3, w, opts.height - 8, 3);
  ctx.fill();
  ctx.fillStyle = "#ffffff";
  ctx.fillText(label, cx - w / 2 + 6, opts.height / 2 - 1);
}

function roundRect(ctx, x, y, w, h, r) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}
