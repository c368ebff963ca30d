// app.js: wiring. Routes between the trace list, the indexing progress and
// the trace workspace from location.hash; keeps the hash in step with the
// view (replaceState while zooming and panning, pushState for view switches
// and other major steps, so Back and Forward move between views); owns the
// shared analysis state (model/analysis_state.js: view, selected range and
// threads, search, grouping, flame graph settings), the highlight, the global
// keys (?, Esc, 1/2/3, /, n/N) and the test hooks:
//   window.traceviewIdle()  -> Promise, resolves when no fetch is pending, no
//                              frame is queued and nothing is animating
//                              (Perfetto's waitForPerfettoIdle);
//   window.traceviewState() -> a plain object describing the view.
//
// Module layering (checked by tests/browser/check_imports.mjs):
//   model/  no imports but model/, no DOM
//   data/   fetch and caches; imports nothing from render/ or views/
//   render/ draws on a canvas; imports model/ (and render/) only; never fetches
//   views/  DOM panels and controllers; may import everything above
//   app.js  wiring

import { api, pendingRequests, ApiError } from "./data/api.js";
import { EventCache } from "./data/event_cache.js";
import { QueryCache } from "./data/query_cache.js";
import { watchGeneration } from "./data/reload_watch.js";
import { decodeHash, encodeHash } from "./model/url_state.js";
import { defaultAnalysis, decodeAnalysis, encodeAnalysis, majorKey } from "./model/analysis_state.js";
import { makeHighlight } from "./model/highlight.js";
import { formatDuration, formatCount, formatBytes } from "./model/format.js";
import { TimelineView } from "./views/timeline_view.js";
import { Tooltip } from "./views/tooltip.js";
import { DetailsPanel } from "./views/details.js";
import { HelpOverlay } from "./views/help.js";
import { showProgress } from "./views/progress.js";
import { showTraceList } from "./views/trace_list.js";
import { FlameView } from "./views/flame_view.js";
import { StatsView } from "./views/stats_view.js";
import { SearchBox } from "./views/search_box.js";
import { AnalysisBar } from "./views/analysis_bar.js";

const HASH_WRITE_MS = 200;
const $ = (id) => document.getElementById(id);

const app = {
  traces: [],
  traceId: null,
  view: null,
  events: null,
  page: "loading",
  busy: 0, // async steps in progress (loading meta, polling progress, ...)
  token: 0, // bumps on every navigation; stale async steps check it
  extra: {}, // hash keys other views own
  hashTimer: 0,
  list: null,
  progress: null,
  an: defaultAnalysis(), // shared with the views, mutated in place
  queries: null,
  flame: null,
  stats: null,
  search: null,
  bar: null,
  hlPref: null, // which highlight the user asked for last: "search" | "stats" | "frame"
  frameHl: null, // a frame highlight spec from the flame graph's menu
  hl: null, // the highlight in force (model/highlight.js)
  copied: null, // the last link "Copy link" produced (tests)
  watcher: null, // --watch: reloads the page when the open trace is re-indexed
  generation: 0, // of the open trace's index (meta.generation)
  noTimeline: false, // the open trace has no timestamps (folded stacks)
};

// The event cache belongs to the open trace; panels reach it through this.
const events = {
  peek: (track, id) => (app.events ? app.events.peek(track, id) : undefined),
  get: (track, id) => (app.events ? app.events.get(track, id) : Promise.reject(new Error("no trace open"))),
};
const tooltip = new Tooltip($("tooltip"), events);
const details = new DetailsPanel($("details"), {
  events,
  trackLabel: (n) => (app.view ? app.view.tracks.trackLabel(n) : "track " + n),
  onSelect: (ref) => app.view && app.view.select(ref, null, { reveal: true, keepRange: true }),
  onReveal: (ev) => app.view && app.view.revealSlice(ev, true),
  onClose: () => app.view && app.view.clearSelection(),
});
const help = new HelpOverlay($("help"));

// ---------------------------------------------------------------- pages

function showPage(name) {
  app.page = name;
  for (const p of ["list", "progress", "error", "timeline"]) $("page-" + p).hidden = p !== name;
  document.body.dataset.page = name;
}

function showError(title, message) {
  showPage("error");
  const el = $("page-error");
  el.textContent = "";
  const card = document.createElement("div");
  card.className = "card";
  const h = document.createElement("h2");
  h.textContent = title;
  const p = document.createElement("p");
  p.textContent = message;
  card.append(h, p);
  if (app.traces.length) {
    const a = document.createElement("a");
    a.href = "#";
    a.textContent = "All traces";
    a.className = "btn";
    card.appendChild(a);
  }
  el.appendChild(card);
}

function setHeader(meta, info) {
  const el = $("trace-info");
  el.textContent = "";
  $("btn-copy").hidden = !meta;
  $("btn-list").hidden = app.traces.length < 2 || !meta;
  if (!meta) {
    document.title = "traceview";
    return;
  }
  document.title = meta.name + " · traceview";
  const name = document.createElement("span");
  name.className = "trace-name";
  name.textContent = meta.name;
  name.title = (info && info.path) || meta.name;
  let threads = 0;
  let lanes = 0;
  for (const p of meta.processes || []) for (const t of p.tracks) if (t.kind === "thread") t.lane ? lanes++ : threads++;
  const c = meta.counts || {};
  const facts = [
    meta.format,
    info && info.bytes != null ? formatBytes(info.bytes) : null,
    // folded stacks: the counts are the samples (lines are just distinct stacks)
    meta.has_timeline === false && meta.sample_weight
      ? formatCount(meta.sample_weight) + " samples"
      : c.samples ? formatCount(c.samples) + " samples" : formatCount(c.slices ?? 0) + " slices",
    c.spans ? formatCount(c.spans) + " spans" : null,
    threads || !lanes ? threads + (threads === 1 ? " thread" : " threads") : null,
    lanes ? lanes + (lanes === 1 ? " lane" : " lanes") : null,
    c.flows ? formatCount(c.flows) + (c.flows === 1 ? " flow" : " flows") : null,
    meta.has_timeline === false ? "no timestamps" : formatDuration(meta.duration_ns),
  ].filter(Boolean);
  el.appendChild(name);
  for (const f of facts) {
    const s = document.createElement("span");
    s.className = "chip";
    s.textContent = f;
    el.appendChild(s);
  }
}

// ---------------------------------------------------------------- routing

function closeTrace() {
  if (app.view) app.view.destroy();
  app.view = null;
  for (const k of ["flame", "stats", "search", "bar"]) {
    if (app[k]) app[k].destroy();
    app[k] = null;
  }
  app.queries = null;
  app.hl = null;
  app.frameHl = null;
  app.hlPref = null;
  $("tabs").hidden = true;
  $("search").hidden = true;
  app.noTimeline = false;
  if ($("tl-note")) $("tl-note").hidden = true;
  delete $("workspace").dataset.notimeline;
  $("fg-menu").hidden = true;
  $("copy-box").hidden = true;
  app.traceId = null;
  app.events = null;
  if (app.watcher) app.watcher.stop();
  app.watcher = null;
  if (app.progress) app.progress.cancel();
  app.progress = null;
  if (app.list) app.list.cancel();
  app.list = null;
  tooltip.hide();
  details.close();
  setHeader(null);
}

async function refreshTraces() {
  const r = await api.traces();
  app.traces = r.traces || [];
  return app.traces;
}

async function route() {
  let h = decodeHash(location.hash);
  app.extra = h.extra;
  if (h.trace && h.trace === app.traceId && app.view) {
    // Same trace: Back/Forward or an edited hash (pasted link).
    applyHash(h);
    return;
  }
  const token = ++app.token;
  closeTrace();
  app.busy++;
  try {
    if (!app.traces.length || !h.trace) await refreshTraces();
    if (token !== app.token) return;
    if (!h.trace && app.traces.length === 1) {
      // One trace: open it (the list page would be a pointless click).
      history.replaceState(null, "", "#t=" + encodeURIComponent(app.traces[0].id));
      h = decodeHash(location.hash);
    }
    if (!h.trace) {
      showPage("list");
      app.list = showTraceList($("page-list"), api, app.traces);
      return;
    }
    await openTrace(h, token);
  } catch (e) {
    if (token === app.token) showError("Cannot open the trace", e.message);
  } finally {
    app.busy--;
  }
}

async function openTrace(h, token) {
  const id = h.trace;
  let info = app.traces.find((t) => t.id === id);
  if (!info) {
    await refreshTraces();
    if (token !== app.token) return;
    info = app.traces.find((t) => t.id === id);
  }
  if (!info) {
    showError("No such trace", `This server has no trace '${id}'. It may have been restarted with other files.`);
    return;
  }
  if (info.state === "error") {
    showError("Cannot open " + info.name, info.error || "indexing failed");
    return;
  }
  let meta = null;
  for (;;) {
    if (info.state === "indexing") {
      showPage("progress");
      app.progress = showProgress($("page-progress"), info, api);
      await app.progress.done;
      app.progress = null;
      if (token !== app.token) return;
    }
    try {
      meta = await api.meta(id);
      break;
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        info = { ...info, state: "indexing" };
        continue;
      }
      throw e;
    }
  }
  if (token !== app.token) return;
  app.traceId = id;
  app.events = new EventCache((track, eid) => api.event(id, track, eid));
  const a = decodeAnalysis(h.extra);
  if (a.range) {
    // a link to another trace of the same name, or a stale one: keep the range inside
    // the trace (the server refuses start >= duration)
    const d = meta.duration_ns;
    a.range = a.range[0] < d ? [a.range[0], Math.min(a.range[1], Math.max(d, a.range[0] + 1))] : null;
  }
  app.noTimeline = meta.has_timeline === false;
  // folded stacks: the times are made up, so there is no timeline to show
  if (app.noTimeline && a.view === "timeline") a.view = "flame";
  resetAnalysis(a);
  showPage("timeline");
  setHeader(meta, info);
  setNoTimeline(app.noTimeline, meta);
  showView(app.an.view);
  app.view = new TimelineView(
    {
      root: $("tl-main"),
      minimap: $("cv-minimap"),
      ruler: $("cv-ruler"),
      tracks: $("cv-tracks"),
      tracksBox: $("tl-tracks"),
      status: $("tl-status"),
    },
    {
      traceId: id,
      meta,
      api,
      events: app.events,
      tooltip,
      details,
      initial: { range: h.range, selected: h.selected, rangeSel: app.an.range, collapsed: app.an.collapsed },
      onChange: scheduleHashWrite,
      onRangeSelect: (r) => setRangeSel(r, true, false),
      noTimeline: app.noTimeline,
    },
  );
  openAnalysis(id, meta);
  app.generation = meta.generation;
  if (meta.watching) {
    // The URL holds the view, so reloading it shows the new index in the
    // same place: write any pending hash change first.
    app.watcher = watchGeneration(id, meta.generation, () => {
      writeHash(false);
      location.reload();
    });
  }
}

/** A profile without timestamps (folded stacks): a note where the timeline
 *  would be, the Timeline tab disabled. */
function setNoTimeline(on, meta) {
  const ws = $("workspace");
  if (on) ws.dataset.notimeline = "1";
  else delete ws.dataset.notimeline;
  const note = $("tl-note");
  note.hidden = !on;
  if (on) {
    note.textContent = "";
    const b = document.createElement("b");
    b.textContent = "No timeline. ";
    const what = /folded/i.test(meta.format || "") || !meta.format ? "Folded stacks have" : "This profile has";
    note.append(b, `${what} no timestamps: flame graph and statistics only (search works too).`);
  }
  const tab = $("tabs").querySelector('.tab[data-view="timeline"]');
  tab.disabled = on;
  tab.title = on ? "No timeline: this profile has no timestamps" : "Timeline (1)";
}

// ---------------------------------------------------------------- analysis

/** Copies a decoded state into app.an (the views hold a reference to it). */
function resetAnalysis(a) {
  const an = app.an;
  an.view = a.view;
  an.range = a.range;
  an.threads = a.threads;
  an.collapsed = a.collapsed;
  Object.assign(an.search, a.search);
  Object.assign(an.stats, a.stats);
  Object.assign(an.flame, a.flame);
}

function openAnalysis(id, meta) {
  const an = app.an;
  app.queries = new QueryCache((endpoint, params) => api.analysis(id, endpoint, params));
  const trackLabel = (n) => (app.view ? app.view.tracks.trackLabel(n) : "track " + n);
  app.bar = new AnalysisBar($("an-bar"), $("thread-picker"), {
    meta,
    an,
    onRange: (r) => setRangeSel(r, true, true),
    onZoomRange: () => app.view && app.view.zoomToRangeSelection(),
    onThreads: (list) => setThreads(list),
    onClearHighlight: () => clearHighlight(),
  });
  app.flame = new FlameView(
    {
      root: $("an-flame"),
      toolbar: $("fg-toolbar"),
      crumbs: $("fg-crumbs"),
      box: $("fg-box"),
      canvas: $("cv-flame"),
      message: $("fg-msg"),
      menu: $("fg-menu"),
    },
    {
      queries: app.queries,
      tooltip,
      an,
      sampleNs: meta.sample_ns || 0,
      timed: meta.has_timeline !== false, // folded stacks: samples have no duration
      onChange: (push) => changed(push),
      onSearch: (text) => app.search && app.search.searchFor(text),
      onHighlightFrame: (frame, label) => {
        app.frameHl = {
          source: "frame",
          field: "frame",
          frame: { ...frame, label: an.flame.label },
          label,
        };
        app.hlPref = "frame";
        updateHighlight();
      },
    },
  );
  app.stats = new StatsView(
    { root: $("an-stats"), toolbar: $("st-toolbar"), table: $("st-table"), message: $("st-msg") },
    {
      queries: app.queries,
      an,
      trackLabel,
      sampleNs: meta.sample_ns || 0,
      onChange: (push) => changed(push),
      onRow: (row) => {
        app.hlPref = row ? "stats" : app.hlPref === "stats" ? null : app.hlPref;
        updateHighlight();
        if (row && row.longest && app.view) app.view.select(row.longest, null, { reveal: true });
      },
      onLoad: () => updateHighlight(),
    },
  );
  app.search = new SearchBox($("search"), $("search-results"), {
    queries: app.queries,
    an,
    trackLabel,
    onChange: (push) => changed(push),
    onResults: (j) => {
      if (j) app.hlPref = "search";
      updateHighlight();
    },
    onPick: (r, i, j) => {
      if (!app.view) return;
      const hint = { start: r.start, dur: r.dur, name: j.strings[r.name] || "", detail: r.detail ? j.strings[r.detail] || "" : "" };
      app.view.select({ track: r.track, id: r.id }, hint, { reveal: true });
    },
  });
  $("tabs").hidden = false;
  $("search").hidden = false;
  if (an.stats.row !== null) app.hlPref = "stats";
  else if (an.search.q) app.hlPref = "search";
  app.bar.update(null);
  if (app.view) app.view.setThreadFilter(an.threads);
  app.flame.setActive(an.view === "flame");
  app.stats.setActive(an.view === "stats");
  if (an.stats.row !== null && an.view !== "stats") app.stats.prefetch();
  app.search.refresh();
  app.lastMajor = majorKey(an);
}

/** The highlight in force: the one the user asked for last, if it still exists. */
function updateHighlight() {
  const an = app.an;
  const cands = {};
  const sa = app.search && app.search.answer;
  if (an.search.q && sa) cands.search = { source: "search", field: "any", ids: sa.ids, truncated: sa.ids_truncated, label: an.search.q };
  const row = app.stats && app.stats.activeRow();
  if (row && row.match) cands.stats = { source: "stats", field: row.match.field, ids: row.match.ids, truncated: row.match.truncated, label: row.key };
  if (app.frameHl) cands.frame = app.frameHl;
  const pick = cands[app.hlPref] || cands.stats || cands.search || cands.frame || null;
  app.hl = pick ? makeHighlight(pick) : null;
  if (app.view) app.view.setHighlight(app.hl);
  if (app.flame) app.flame.setHighlight(app.hl);
  if (app.bar) app.bar.update(app.hl);
}

function clearHighlight() {
  const h = app.hl;
  if (!h) return;
  if (h.source === "search") {
    app.an.search.q = "";
    app.search.refresh();
  } else if (h.source === "stats") {
    app.an.stats.row = null;
    app.stats.refresh();
  } else app.frameHl = null;
  app.hlPref = null;
  updateHighlight();
  changed(false);
}

/** A view changed the shared state: write the hash (push for major steps). */
function changed(push) {
  const key = majorKey(app.an);
  const major = key !== app.lastMajor;
  app.lastMajor = key;
  if (app.bar) app.bar.update(app.hl);
  if (push && major) writeHash(true);
  else scheduleHashWrite();
}

function showView(v) {
  const ws = $("workspace");
  ws.dataset.view = v;
  $("an-flame").hidden = v !== "flame";
  $("an-stats").hidden = v !== "stats";
  for (const b of $("tabs").querySelectorAll(".tab")) b.setAttribute("aria-selected", b.dataset.view === v ? "true" : "false");
  if (app.flame) app.flame.setActive(v === "flame");
  if (app.stats) app.stats.setActive(v === "stats");
}

function setView(v) {
  if (!app.view || app.an.view === v) return;
  if (v === "timeline" && app.noTimeline) return;
  app.an.view = v;
  showView(v);
  tooltip.hide();
  changed(true);
}

/** The selected range changed (r: [a, b] or null). */
function setRangeSel(r, push, fromOutside) {
  app.an.range = r ? [Math.round(r[0]), Math.round(r[1])] : null;
  if (fromOutside && app.view) app.view.setRangeSelection(app.an.range);
  refreshAnalysis();
  changed(push);
}

function setThreads(list) {
  app.an.threads = list;
  refreshAnalysis();
  changed(true);
}

function refreshAnalysis() {
  if (app.view) app.view.setThreadFilter(app.an.threads);
  if (app.flame) app.flame.refresh();
  if (app.stats) app.stats.refresh();
  if (app.search) app.search.refresh();
  if (app.bar) app.bar.update(app.hl);
}

/** Back/Forward or an edited hash on the open trace: apply what differs. */
function applyHash(h) {
  const v = app.view;
  if (h.range && (Math.abs(h.range[0] - v.scale.t0) > 0.5 || Math.abs(h.range[1] - v.scale.t1) > 0.5)) v.setRange(h.range[0], h.range[1]);
  const sel = v.selected;
  if (h.selected && (!sel || sel.track !== h.selected.track || sel.id !== h.selected.id))
    v.select(h.selected, null, { reveal: !h.range, keepRange: !!h.range });
  else if (!h.selected && sel) v.clearSelection();
  app.extra = h.extra;
  const a = decodeAnalysis(h.extra);
  if (app.noTimeline && a.view === "timeline") a.view = "flame";
  const oldRow = app.an.stats.row;
  resetAnalysis(a);
  v.setRangeSelection(a.range);
  const collapsed = new Set(a.collapsed);
  if ([...collapsed].join() !== [...v.tracks.collapsed].join()) {
    v.tracks.collapsed = collapsed;
    v.tracks.rebuild();
    v.requestRedraw();
  }
  showView(a.view);
  refreshAnalysis();
  if (a.stats.row !== oldRow) app.hlPref = a.stats.row !== null ? "stats" : app.hlPref;
  updateHighlight();
  app.lastMajor = majorKey(app.an);
}

// ---------------------------------------------------------------- hash

function currentHash() {
  const v = app.view;
  if (!v) return location.hash;
  app.an.collapsed = [...v.tracks.collapsed];
  return encodeHash({
    trace: app.traceId,
    range: [v.scale.t0, v.scale.t1],
    selected: v.selected ? { track: v.selected.track, id: v.selected.id } : null,
    extra: encodeAnalysis(app.an, app.extra),
  });
}

/** Writes the hash now: a new history entry when push (a view switch, a new
 *  range, ...), else in place. */
function writeHash(push) {
  if (!app.view) return;
  if (app.hashTimer) {
    clearTimeout(app.hashTimer);
    app.hashTimer = 0;
  }
  const next = currentHash();
  if (next === location.hash) return;
  if (push) history.pushState(null, "", next);
  else history.replaceState(null, "", next || location.pathname);
}

function scheduleHashWrite() {
  if (app.hashTimer) return;
  app.hashTimer = setTimeout(() => {
    app.hashTimer = 0;
    const next = currentHash();
    if (app.view && next !== location.hash) history.replaceState(null, "", next || location.pathname);
  }, HASH_WRITE_MS);
}

// ---------------------------------------------------------------- keys and buttons

window.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
  if (e.key === "?") {
    e.preventDefault();
    help.toggle();
  } else if (e.key === "Escape") {
    if (help.open) help.hide();
    else if (closePopovers()) {
      /* closed a menu or list */
    } else if (app.view && (app.view.selected || details.open)) app.view.clearSelection();
    else if (app.view && app.an.range) setRangeSel(null, true, true);
    tooltip.hide();
  } else if (!app.view) {
    return;
  } else if (e.key === "1" || e.key === "2" || e.key === "3") {
    e.preventDefault();
    setView(["timeline", "flame", "stats"][+e.key - 1]);
  } else if (e.key === "/") {
    e.preventDefault();
    if (app.search) app.search.focus();
  } else if (e.key === "n" || e.key === "N") {
    if (app.search && app.search.step(e.key === "n" ? 1 : -1)) e.preventDefault();
  } else if (e.key === "Backspace" && app.an.view === "flame" && app.flame) {
    e.preventDefault();
    app.flame.zoomOut();
  }
});
window.addEventListener("hashchange", () => route());
window.addEventListener("popstate", () => route());
$("btn-help").addEventListener("click", () => help.toggle());
for (const b of $("tabs").querySelectorAll(".tab")) b.addEventListener("click", () => setView(b.dataset.view));

// The splitter between the timeline and the analysis panel.
(() => {
  const sp = $("splitter");
  const ws = $("workspace");
  let drag = null;
  sp.addEventListener("mousedown", (e) => {
    if (e.button !== 0) return;
    e.preventDefault();
    drag = { y: e.clientY, h: $("tl-main").getBoundingClientRect().height };
    sp.classList.add("dragging");
  });
  window.addEventListener("mousemove", (e) => {
    if (!drag) return;
    const max = ws.getBoundingClientRect().height - 160;
    const h = Math.max(120, Math.min(max, drag.h + e.clientY - drag.y));
    ws.style.setProperty("--tl-h", h + "px");
  });
  window.addEventListener("mouseup", () => {
    if (!drag) return;
    drag = null;
    sp.classList.remove("dragging");
  });
})();
$("btn-list").addEventListener("click", () => {
  location.hash = "";
});
$("btn-copy").addEventListener("click", () => copyLink());

let copyTimer = 0;
async function copyLink() {
  writeHash(false);
  const url = location.href;
  const btn = $("btn-copy");
  app.copied = { url, via: null };
  let ok = false;
  try {
    if (!navigator.clipboard || !window.isSecureContext) throw new Error("no clipboard");
    await navigator.clipboard.writeText(url);
    ok = true;
  } catch {
    ok = false;
  }
  app.copied.via = ok ? "clipboard" : "field";
  clearTimeout(copyTimer);
  if (ok) {
    btn.textContent = "Copied ✓";
    btn.classList.add("copied");
    copyTimer = setTimeout(() => {
      btn.textContent = "Copy link";
      btn.classList.remove("copied");
    }, 1500);
    return;
  }
  // No clipboard (plain http on a LAN address): a selectable field instead.
  const box = $("copy-box");
  box.textContent = "";
  const p = document.createElement("p");
  p.textContent = "Press Ctrl+C (⌘C) to copy this link:";
  const input = document.createElement("input");
  input.readOnly = true;
  input.value = url;
  input.addEventListener("keydown", (e) => {
    if (e.key === "Escape" || e.key === "Enter") box.hidden = true;
  });
  box.append(p, input);
  box.hidden = false;
  const r = btn.getBoundingClientRect();
  box.style.left = Math.max(8, r.right - 520) + "px";
  box.style.top = r.bottom + 6 + "px";
  input.focus();
  input.select();
}

window.addEventListener("mousedown", (e) => {
  const box = $("copy-box");
  if (!box.hidden && !box.contains(e.target) && e.target !== $("btn-copy")) box.hidden = true;
});

/** Closes open pop-overs; true if one was open. */
function closePopovers() {
  let any = false;
  for (const id of ["copy-box", "fg-menu", "search-results", "thread-picker"]) {
    if (!$(id).hidden) {
      $(id).hidden = true;
      any = true;
    }
  }
  return any;
}

// ---------------------------------------------------------------- test hooks

function isIdle() {
  if (app.busy > 0 || pendingRequests() > 0 || app.hashTimer || tooltip.busy()) return false;
  if (app.view && (app.view.busy() || app.view.cache.stats().pending > 0)) return false;
  for (const k of ["flame", "stats", "search"]) if (app[k] && app[k].busy()) return false;
  if (app.queries && app.queries.stats().pending > 0) return false;
  return true;
}

window.traceviewIdle = () =>
  new Promise((resolve) => {
    let quiet = 0;
    const check = () => {
      quiet = isIdle() ? quiet + 1 : 0;
      if (quiet >= 2) resolve(true);
      else setTimeout(check, 16);
    };
    check();
  });

window.traceviewState = () => ({
  page: app.page,
  traces: app.traces.map((t) => ({ id: t.id, name: t.name, state: t.state })),
  helpOpen: help.open,
  generation: app.generation,
  tooltipVisible: !$("tooltip").hidden,
  ...(app.view ? app.view.state() : { trace: app.traceId }),
  ...(app.view ? analysisState() : {}),
});

function analysisState() {
  const an = app.an;
  return {
    view: an.view,
    hasTimeline: !app.noTimeline,
    noTimelineNote: !$("tl-note").hidden ? $("tl-note").textContent : null,
    range: an.range ? [...an.range] : null,
    threads: an.threads ? [...an.threads] : null,
    analysis: JSON.parse(JSON.stringify(an)),
    flame: app.flame ? app.flame.state() : null,
    stats: app.stats ? app.stats.state() : null,
    search: app.search ? app.search.state() : null,
    highlight: app.hl ? { source: app.hl.source, field: app.hl.field, label: app.hl.label, ids: app.hl.ids.size, exact: app.hl.exact } : null,
    copied: app.copied,
    historyLength: history.length,
  };
}

route();
