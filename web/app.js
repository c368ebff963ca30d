// app.js: wiring. Routes between the trace list, the indexing progress and
// the timeline from location.hash; keeps the hash in step with the view;
// owns the global keys (?, Esc) and the test hooks:
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
import { decodeHash, encodeHash } from "./model/url_state.js";
import { formatDuration, formatCount, formatBytes } from "./model/format.js";
import { TimelineView } from "./views/timeline_view.js";
import { Tooltip } from "./views/tooltip.js";
import { DetailsPanel } from "./views/details.js";
import { HelpOverlay } from "./views/help.js";
import { showProgress } from "./views/progress.js";
import { showTraceList } from "./views/trace_list.js";

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
  for (const p of meta.processes || []) for (const t of p.tracks) if (t.kind === "thread") threads++;
  const facts = [
    meta.format,
    info && info.bytes != null ? formatBytes(info.bytes) : null,
    formatCount(meta.counts?.slices ?? 0) + " slices",
    threads + (threads === 1 ? " thread" : " threads"),
    formatDuration(meta.duration_ns),
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
  app.traceId = null;
  app.events = null;
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
    // Same trace, edited hash (pasted link): apply range and selection.
    if (h.range) app.view.setRange(h.range[0], h.range[1]);
    const sel = app.view.selected;
    if (h.selected && (!sel || sel.track !== h.selected.track || sel.id !== h.selected.id))
      app.view.select(h.selected, null, { reveal: !h.range, keepRange: !!h.range });
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
  showPage("timeline");
  setHeader(meta, info);
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
      initial: { range: h.range, selected: h.selected },
      onChange: scheduleHashWrite,
    },
  );
}

// ---------------------------------------------------------------- hash

function currentHash() {
  const v = app.view;
  if (!v) return location.hash;
  return encodeHash({
    trace: app.traceId,
    range: [v.scale.t0, v.scale.t1],
    selected: v.selected ? { track: v.selected.track, id: v.selected.id } : null,
    extra: app.extra,
  });
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
    else if (app.view) app.view.clearSelection();
    tooltip.hide();
  }
});
window.addEventListener("hashchange", () => route());
$("btn-help").addEventListener("click", () => help.toggle());
$("btn-list").addEventListener("click", () => {
  location.hash = "";
});
$("btn-copy").addEventListener("click", async () => {
  if (app.hashTimer) {
    clearTimeout(app.hashTimer);
    app.hashTimer = 0;
    history.replaceState(null, "", currentHash());
  }
  const btn = $("btn-copy");
  try {
    await navigator.clipboard.writeText(location.href);
    btn.textContent = "Copied";
  } catch {
    window.prompt("Copy this link:", location.href);
  }
  setTimeout(() => (btn.textContent = "Copy link"), 1200);
});

// ---------------------------------------------------------------- test hooks

function isIdle() {
  if (app.busy > 0 || pendingRequests() > 0 || app.hashTimer || tooltip.busy()) return false;
  if (app.view && (app.view.busy() || app.view.cache.stats().pending > 0)) return false;
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
  tooltipVisible: !$("tooltip").hidden,
  ...(app.view ? app.view.state() : { trace: app.traceId }),
});

route();
