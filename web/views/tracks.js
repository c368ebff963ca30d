// tracks.js: the track list: processes as collapsible groups (names and
// order from /meta), their threads and counters inside, the left name column
// and the vertical scroll position. Rows come from model/track_layout.js;
// the flame charts themselves are render/timeline.js.

import { buildLayout, visibleRows, rowAt, TRACK_PAD_TOP, ROW_H } from "../model/track_layout.js";
import { elide } from "../render/timeline.js";
import { UI } from "../render/colors.js";
import { formatCount } from "../model/format.js";

export const NAME_W = 232;
const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const FONT_BOLD = '600 12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const FONT_BADGE = '600 10px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const FONT_SMALL = '10.5px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

export class TrackList {
  constructor(meta, collapsed = []) {
    this.meta = meta;
    this.collapsed = new Set(collapsed);
    this.scrollY = 0;
    this.hoverPid = null;
    this.excluded = null; // Set of thread tracks left out of the analysis, or null
    this.byTrack = new Map();
    for (const p of meta.processes || []) for (const t of p.tracks) this.byTrack.set(t.track, { ...t, pid: p.pid, process: p.name });
    this.rebuild();
  }

  rebuild() {
    this.layout = buildLayout(this.meta, this.collapsed);
  }

  /** The row of a track in the layout (undefined inside a collapsed process). */
  rowOf(track) {
    return this.layout.byTrack.get(track);
  }

  /** Track metadata by track number ({name, tid, pid, process, ...}). */
  track(n) {
    return this.byTrack.get(n);
  }

  trackLabel(n) {
    const t = this.byTrack.get(n);
    if (!t) return "track " + n;
    if (t.lane) return `${t.name || t.lane} (${t.process || "pid " + t.pid})`;
    const name = t.name || (t.kind === "thread" ? "Thread " + t.tid : "counter");
    return t.kind === "thread" ? `${name} (tid ${t.tid})` : name;
  }

  toggle(pid) {
    if (this.collapsed.has(pid)) this.collapsed.delete(pid);
    else this.collapsed.add(pid);
    this.rebuild();
  }

  maxScroll(viewH) {
    return Math.max(0, this.layout.height - viewH);
  }

  scrollBy(dy, viewH) {
    const y = Math.max(0, Math.min(this.maxScroll(viewH), this.scrollY + dy));
    const changed = y !== this.scrollY;
    this.scrollY = y;
    return changed;
  }

  clampScroll(viewH) {
    this.scrollY = Math.max(0, Math.min(this.maxScroll(viewH), this.scrollY));
  }

  visible(viewH) {
    return visibleRows(this.layout, this.scrollY, this.scrollY + viewH);
  }

  /** The row under canvas y. */
  rowAtY(y) {
    return rowAt(this.layout, y + this.scrollY);
  }

  /** Scrolls so that the row of `track` (at depth) is visible. */
  reveal(track, depth, viewH) {
    const row = this.layout.rows.find((r) => r.track === track && r.kind !== "process");
    if (!row) {
      // the track is in a collapsed process: open it
      const t = this.byTrack.get(track);
      if (t && this.collapsed.has(t.pid)) {
        this.collapsed.delete(t.pid);
        this.rebuild();
        return this.reveal(track, depth, viewH);
      }
      return false;
    }
    const y = row.y + TRACK_PAD_TOP + (depth || 0) * ROW_H;
    if (y < this.scrollY + 4 || y + ROW_H > this.scrollY + viewH - 4) {
      this.scrollY = Math.max(0, Math.min(this.maxScroll(viewH), y - viewH / 3));
      return true;
    }
    return false;
  }

  /** Draws the name column (x in [0, NAME_W)) for the visible rows. */
  drawNames(ctx, rows, height) {
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, 0, NAME_W, height);
    ctx.clip();
    ctx.fillStyle = "#fbfbfc";
    ctx.fillRect(0, 0, NAME_W, height);
    ctx.textBaseline = "middle";
    for (const row of rows) {
      const top = row.y - this.scrollY;
      if (row.kind === "process") {
        ctx.fillStyle = row.pid === this.hoverPid ? "#e9ebef" : UI.header;
        ctx.fillRect(0, top, NAME_W, row.height);
        ctx.fillStyle = UI.separator;
        ctx.fillRect(0, top, NAME_W, 1);
        ctx.fillRect(0, top + row.height - 1, NAME_W, 1);
        // disclosure triangle
        const cx = 13;
        const cy = top + row.height / 2;
        ctx.fillStyle = UI.textMuted;
        ctx.beginPath();
        if (row.collapsed) {
          ctx.moveTo(cx - 3, cy - 5);
          ctx.lineTo(cx + 3, cy);
          ctx.lineTo(cx - 3, cy + 5);
        } else {
          ctx.moveTo(cx - 5, cy - 3);
          ctx.lineTo(cx + 5, cy - 3);
          ctx.lineTo(cx, cy + 3);
        }
        ctx.closePath();
        ctx.fill();
        const n = row.nTracks;
        const sub = `pid ${row.pid} · ${n} track${n === 1 ? "" : "s"}`;
        ctx.font = FONT_SMALL;
        const subW = ctx.measureText(sub).width;
        ctx.font = FONT_BOLD;
        ctx.fillStyle = UI.headerText;
        const label = elide(ctx, row.label, NAME_W - 34 - subW - 8) || "";
        ctx.fillText(label, 26, cy + 0.5);
        const lw = ctx.measureText(label).width;
        ctx.font = FONT_SMALL;
        ctx.fillStyle = UI.textMuted;
        ctx.fillText(sub, Math.max(26 + lw + 8, NAME_W - 10 - subW), cy + 0.5);
      } else {
        ctx.fillStyle = UI.separator;
        ctx.fillRect(0, top + row.height - 1, NAME_W, 1);
        const y = top + (row.kind === "thread" && row.depthRows ? TRACK_PAD_TOP + ROW_H / 2 : row.height / 2);
        ctx.font = FONT;
        const out = row.kind === "thread" && this.excluded && this.excluded.has(row.track);
        let lx = 22;
        if (row.lane) lx = this.drawLaneBadge(ctx, row, top, y);
        ctx.fillStyle = (row.kind === "thread" && !row.slices) || out ? UI.textMuted : UI.text;
        const text = row.lane ? laneText(row) : row.label;
        const label = elide(ctx, text, NAME_W - 8 - lx) || "";
        ctx.fillText(label, lx, y + 0.5);
        if (out) {
          // left out of the flame graph, statistics and search: struck through
          const w = ctx.measureText(label).width;
          ctx.fillRect(lx, Math.round(y) + 0.5, w, 1);
        }
        if (row.height >= 40) {
          ctx.font = FONT_SMALL;
          ctx.fillStyle = UI.textMuted;
          const sub =
            row.kind === "thread"
              ? (row.lane
                  ? `${formatCount(row.slices)} ${row.lane === "spans" ? "spans" : "async slices"}`
                  : `tid ${row.tid} · ${formatCount(row.slices)} slices`) +
                (row.samples ? ` · ${formatCount(row.samples)} samples` : "")
              : `${formatCount(row.samples)} samples · max ${formatCount(row.max)}`;
          ctx.fillText(elide(ctx, sub, NAME_W - 30) || "", 22, y + 15);
        }
      }
    }
    ctx.fillStyle = UI.separator;
    ctx.fillRect(NAME_W - 1, 0, 1, height);
    ctx.restore();
  }

  /** A lane (async slices or spans laid out on rows): a tinted rule along
   *  the row and a badge with its kind; returns the x where the name goes. */
  drawLaneBadge(ctx, row, top, y) {
    const [fill, ink] = row.lane === "spans" ? UI.laneSpans : UI.laneAsync;
    ctx.fillStyle = fill;
    ctx.fillRect(8, top + 1, 3, row.height - 3);
    ctx.font = FONT_BADGE;
    const word = row.lane === "spans" ? "spans" : "async";
    const w = ctx.measureText(word).width + 10;
    roundRect(ctx, 18, Math.round(y) - 7, w, 14, 7);
    ctx.fillStyle = fill;
    ctx.fill();
    ctx.fillStyle = ink;
    ctx.fillText(word, 23, y + 0.5);
    ctx.font = FONT;
    return 18 + w + 6;
  }

  /** A click at (x, y) in the name column: toggles a process; true if handled. */
  click(x, y) {
    const row = this.rowAtY(y);
    if (row && row.kind === "process") {
      this.toggle(row.pid);
      return true;
    }
    return false;
  }

  setHover(y) {
    const row = y == null ? null : this.rowAtY(y);
    const pid = row && row.kind === "process" ? row.pid : null;
    const changed = pid !== this.hoverPid;
    this.hoverPid = pid;
    return changed;
  }
}


/** The name of a lane after its badge: "async 3" -> "lane 3", "async" -> "lane 1";
 *  other names as given. */
function laneText(row) {
  const m = /^(async|spans)(?: (\d+))?$/.exec(row.name || "");
  if (m) return "lane " + (m[2] || "1");
  return row.name || "lane " + (row.tid + 1);
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
