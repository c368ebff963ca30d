// track_layout.js: from /meta to a vertical list of rows. No DOM.
//
// Rows, in meta order (docs/api.md: processes and their tracks come sorted):
//   {kind: "process", pid, name, label, y, height, collapsed, nThreads, ...}
//   {kind: "thread",  track, pid, tid, name, label, y, height, depthRows, slices, empty,
//                     lane: null | "async" | "spans", samples}
//   (a lane is a row of async slices of a process or of spans of a service;
//   the server lists lanes after the process's threads, tid = lane number)
//   {kind: "counter", track, pid, name, label, y, height, min, max}
// `y` is in content coordinates (0 = top of the first row); the view
// scrolls by subtracting its scroll offset. A collapsed process keeps only
// its header row.

export const ROW_H = 18; // one depth of a flame chart: 17 px slice + 1 px gap
export const SLICE_H = 17;
export const TRACK_PAD_TOP = 3;
export const TRACK_PAD_BOTTOM = 5;
export const PROCESS_H = 26;
export const COUNTER_H = 46;
export const EMPTY_TRACK_H = 20; // a thread with no slices (only a name or instants)

export function threadHeight(maxDepth) {
  if (!maxDepth) return EMPTY_TRACK_H;
  return TRACK_PAD_TOP + maxDepth * ROW_H + TRACK_PAD_BOTTOM;
}

/** Builds the rows; `collapsed` is a Set of collapsed pids. */
export function buildLayout(meta, collapsed = new Set()) {
  const rows = [];
  let y = 0;
  const procs = meta.processes || [];
  const anyInstants = !!(meta.counts && meta.counts.instants);
  for (const p of procs) {
    const threads = p.tracks.filter((t) => t.kind === "thread");
    const isCollapsed = collapsed.has(p.pid);
    const slices = threads.reduce((n, t) => n + (t.slices || 0), 0);
    rows.push({
      kind: "process",
      pid: p.pid,
      name: p.name,
      label: p.name || "Process " + p.pid,
      y,
      height: PROCESS_H,
      collapsed: isCollapsed,
      nThreads: threads.length,
      nTracks: p.tracks.length,
      slices,
    });
    y += PROCESS_H;
    if (isCollapsed) continue;
    for (const t of p.tracks) {
      if (t.kind === "thread") {
        const height = threadHeight(t.max_depth);
        rows.push({
          kind: "thread",
          track: t.track,
          pid: p.pid,
          tid: t.tid,
          name: t.name,
          label: t.name || "Thread " + t.tid,
          y,
          height,
          depthRows: t.max_depth || 0,
          slices: t.slices || 0,
          lane: t.lane || null,
          samples: t.samples || 0,
          // nothing to draw: no tiles are asked for (per-track `instants` when
          // the server gives it, else whether the trace has any instant)
          empty: !t.slices && !t.samples && (t.instants !== undefined ? !t.instants : !anyInstants),
        });
        y += height;
      } else if (t.kind === "counter") {
        rows.push({
          kind: "counter",
          track: t.track,
          pid: p.pid,
          name: t.name,
          label: t.series && t.series !== "value" ? `${t.name} · ${t.series}` : t.name || "counter",
          y,
          height: COUNTER_H,
          min: t.min ?? 0,
          max: t.max ?? 0,
          samples: t.samples || 0,
        });
        y += COUNTER_H;
      }
    }
  }
  const byTrack = new Map();
  for (const r of rows) if (r.kind !== "process") byTrack.set(r.track, r);
  return { rows, height: y, byTrack };
}

/** Content y of the middle of `depth` in a thread row (depth < 0 or past the
 *  deepest row: the nearest existing depth; a row without slices: its middle). */
export function depthMidY(row, depth) {
  if (!row.depthRows) return row.y + row.height / 2;
  const d = Math.max(0, Math.min(row.depthRows - 1, depth));
  return row.y + TRACK_PAD_TOP + d * ROW_H + SLICE_H / 2;
}

/** Rows intersecting [top, bottom) in content coordinates (binary search). */
export function visibleRows(layout, top, bottom) {
  const rows = layout.rows;
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid].y + rows[mid].height <= top) lo = mid + 1;
    else hi = mid;
  }
  const out = [];
  for (let i = lo; i < rows.length && rows[i].y < bottom; i++) out.push(rows[i]);
  return out;
}

/** The row at content y, or null. */
export function rowAt(layout, y) {
  const r = visibleRows(layout, y, y + 1);
  return r.length ? r[0] : null;
}

/** Depth under content y inside a thread row, or -1. */
export function depthAt(row, y) {
  const d = Math.floor((y - row.y - TRACK_PAD_TOP) / ROW_H);
  return d >= 0 && d < row.depthRows ? d : -1;
}

/** Content y of the top of `depth` in a thread row. */
export function depthY(row, depth) {
  return row.y + TRACK_PAD_TOP + depth * ROW_H;
}
