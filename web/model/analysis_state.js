// analysis_state.js: the analysis part of the view state (which view, the
// selected range and threads, search, statistics and flame graph settings)
// and its encoding in the `extra` keys of url_state.js. No DOM.
//
//   v    view: flame | stats            (absent: timeline)
//   sel  selected range, ns: a,b        (absent: the whole trace)
//   th   thread tracks: 0-3,7           (absent: all threads)
//   c    collapsed process pids: 12,40
//   q    search text; qr=1 regex; qc=1 case-sensitive; qo=time (result order)
//   g    statistics grouping (absent: name); gs sort column (absent: total);
//        ga=1 ascending; gf filter text; gm=key: the filter is a substring
//        over the keys shown (absent: a regex on the slice name, server-side);
//        hr the key of the highlighted row
//   fv   flame view: inverted | sandwich (absent: normal)
//   fo   flame order: alpha (absent: left-heavy)
//   fl   flame label: detail | name (absent: both)
//   fz   flame zoom: the path of frames from the root, "name.detail" string
//        ids joined by "/" (ids are stable for a trace file)
//   ff   sandwich frame: name.detail

export const VIEWS = ["timeline", "flame", "stats"];
export const GROUPS = ["name", "detail", "category", "thread", "crate"];
export const SORTS = ["total", "self", "count", "avg", "max", "key"];
export const FLAME_VIEWS = ["normal", "inverted", "sandwich"];
export const FLAME_ORDERS = ["heavy", "alpha"];
export const FLAME_LABELS = ["both", "detail", "name"];

/** The default state (what an empty hash means). */
export function defaultAnalysis() {
  return {
    view: "timeline",
    range: null, // [start, end] ns, or null for the whole trace
    threads: null, // sorted array of track numbers, or null for all
    collapsed: [], // pids
    search: { q: "", regex: false, caseSensitive: false, order: "longest" },
    stats: { group: "name", sort: "total", asc: false, filter: "", filterMode: "name", row: null },
    flame: { view: "normal", order: "heavy", label: "both", zoom: [], func: null },
  };
}

/** Reads the analysis state from url_state's `extra` object; never throws. */
export function decodeAnalysis(extra = {}) {
  const a = defaultAnalysis();
  if (VIEWS.includes(extra.v)) a.view = extra.v;
  const r = /^(\d+),(\d+)$/.exec(extra.sel || "");
  if (r && +r[2] > +r[1]) a.range = [+r[1], +r[2]];
  if (extra.th !== undefined) a.threads = decodeIntSet(extra.th);
  if (extra.c) a.collapsed = decodeIntSet(extra.c) || [];
  if (extra.q) a.search.q = extra.q.slice(0, 256);
  a.search.regex = extra.qr === "1";
  a.search.caseSensitive = extra.qc === "1";
  if (extra.qo === "time") a.search.order = "time";
  if (GROUPS.includes(extra.g)) a.stats.group = extra.g;
  if (SORTS.includes(extra.gs)) a.stats.sort = extra.gs;
  a.stats.asc = extra.ga === "1";
  if (extra.gf) a.stats.filter = extra.gf.slice(0, 256);
  if (extra.gm === "key") a.stats.filterMode = "key";
  if (extra.hr) a.stats.row = extra.hr;
  if (FLAME_VIEWS.includes(extra.fv)) a.flame.view = extra.fv;
  if (FLAME_ORDERS.includes(extra.fo)) a.flame.order = extra.fo;
  if (FLAME_LABELS.includes(extra.fl)) a.flame.label = extra.fl;
  if (extra.fz) a.flame.zoom = decodePath(extra.fz);
  if (extra.ff) a.flame.func = decodeFrame(extra.ff);
  return a;
}

/** Writes the analysis state into `extra` (a copy); defaults are left out. */
export function encodeAnalysis(a, extra = {}) {
  const out = { ...extra };
  for (const k of ["v", "sel", "th", "c", "q", "qr", "qc", "qo", "g", "gs", "ga", "gf", "gm", "hr", "fv", "fo", "fl", "fz", "ff"])
    delete out[k];
  const set = (k, v) => {
    if (v !== undefined && v !== null && v !== "") out[k] = v;
  };
  set("v", a.view !== "timeline" ? a.view : null);
  set("sel", a.range ? Math.round(a.range[0]) + "," + Math.round(a.range[1]) : null);
  set("th", a.threads ? encodeIntSet(a.threads) || "none" : null);
  set("c", a.collapsed && a.collapsed.length ? encodeIntSet(a.collapsed) : null);
  set("q", a.search.q || null);
  if (a.search.q) {
    set("qr", a.search.regex ? "1" : null);
    set("qc", a.search.caseSensitive ? "1" : null);
    set("qo", a.search.order === "time" ? "time" : null);
  }
  set("g", a.stats.group !== "name" ? a.stats.group : null);
  set("gs", a.stats.sort !== "total" ? a.stats.sort : null);
  set("ga", a.stats.asc ? "1" : null);
  set("gf", a.stats.filter || null);
  set("gm", a.stats.filter && a.stats.filterMode === "key" ? "key" : null);
  set("hr", a.stats.row);
  set("fv", a.flame.view !== "normal" ? a.flame.view : null);
  set("fo", a.flame.order !== "heavy" ? a.flame.order : null);
  set("fl", a.flame.label !== "both" ? a.flame.label : null);
  set("fz", a.flame.zoom && a.flame.zoom.length ? a.flame.zoom.map(encodeFrame).join("/") : null);
  set("ff", a.flame.func ? encodeFrame(a.flame.func) : null);
  return out;
}

/** A frame {name, detail} (string ids) as "name.detail". */
export function encodeFrame(f) {
  return f.name + "." + (f.detail || 0);
}

export function decodeFrame(s) {
  const m = /^(\d+)\.(\d+)$/.exec(s || "");
  return m ? { name: +m[1], detail: +m[2] } : null;
}

function decodePath(s) {
  const out = [];
  for (const part of s.split("/")) {
    const f = decodeFrame(part);
    if (!f) return [];
    out.push(f);
    if (out.length >= 512) break;
  }
  return out;
}

/** [0,1,2,3,7] -> "0-3,7". */
export function encodeIntSet(list) {
  const a = [...new Set(list)].filter((n) => Number.isInteger(n) && n >= 0).sort((x, y) => x - y);
  const parts = [];
  for (let i = 0; i < a.length; ) {
    let j = i;
    while (j + 1 < a.length && a[j + 1] === a[j] + 1) j++;
    parts.push(j > i ? a[i] + "-" + a[j] : String(a[i]));
    i = j + 1;
  }
  return parts.join(",");
}

/** "0-3,7" -> [0,1,2,3,7]; "none" or "" -> []; null when malformed. */
export function decodeIntSet(s) {
  if (s === "none" || s === "") return [];
  const out = [];
  for (const part of String(s).split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return null;
    const a = +m[1];
    const b = m[2] !== undefined ? +m[2] : a;
    if (b < a || b - a > 100000) return null;
    for (let i = a; i <= b; i++) out.push(i);
  }
  return [...new Set(out)].sort((x, y) => x - y);
}

/** Query parameters of the selection (docs/api.md "Ranges and thread sets"). */
export function selectionParams(a) {
  const p = {};
  if (a.range) {
    p.start = Math.max(0, Math.round(a.range[0]));
    p.end = Math.max(p.start + 1, Math.round(a.range[1]));
  }
  if (a.threads) p.tracks = a.threads.join(",");
  return p;
}

/** The part of the state a history entry should differ by (push vs replace). */
export function majorKey(a) {
  return JSON.stringify([a.view, a.range, a.threads, a.search.q, a.search.regex, a.stats.group, a.flame.view, a.flame.zoom, a.flame.func]);
}
