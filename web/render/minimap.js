// minimap.js: the density of the whole trace (from /overview) with the
// visible window marked. Interaction lives in the app; this only draws.
import { UI } from "./colors.js";

/**
 * opts: x0, width, height   area in the canvas (CSS px)
 *       overview            {bucket_ns, busy: []} or null (not loaded yet)
 *       duration            trace duration (ns)
 *       t0, t1              visible range (ns)
 *       dpr
 */
export function drawMinimap(ctx, opts) {
  const { x0, width, height, overview, duration } = opts;
  ctx.save();
  ctx.fillStyle = "#f7f8fa";
  ctx.fillRect(x0, 0, width, height);
  ctx.beginPath();
  ctx.rect(x0, 0, width, height);
  ctx.clip();
  const nsToX = (t) => x0 + (t / duration) * width;
  if (overview && overview.busy && overview.busy.length) {
    const busy = overview.busy;
    let max = 0;
    for (const b of busy) if (b > max) max = b;
    if (max > 0) {
      ctx.fillStyle = "#8aa4c4";
      const h = height - 4;
      for (let i = 0; i < busy.length; i++) {
        if (!busy[i]) continue;
        const xa = nsToX(i * overview.bucket_ns);
        const xb = nsToX((i + 1) * overview.bucket_ns);
        // sqrt: a few busy threads should still show against many
        const bh = Math.max(1, Math.sqrt(busy[i] / max) * h);
        ctx.fillRect(xa, height - 1 - bh, Math.max(1, xb - xa), bh);
      }
    }
  }
  // the visible window: dim what is outside
  const a = Math.max(x0, nsToX(opts.t0));
  const b = Math.min(x0 + width, nsToX(opts.t1));
  ctx.fillStyle = "rgba(240, 242, 245, 0.72)";
  if (a > x0) ctx.fillRect(x0, 0, a - x0, height);
  if (b < x0 + width) ctx.fillRect(b, 0, x0 + width - b, height);
  ctx.fillStyle = UI.window;
  ctx.fillRect(a, 0, Math.max(2, b - a), height);
  ctx.strokeStyle = UI.windowEdge;
  ctx.lineWidth = 1;
  const wa = Math.round(a) + 0.5;
  const wb = Math.max(wa + 2, Math.round(b) - 0.5);
  ctx.strokeRect(wa, 0.5, wb - wa, height - 1);
  ctx.fillStyle = UI.separator;
  ctx.fillRect(x0, height - 1, width, 1);
  ctx.restore();
}
