// stats_view.js: the statistics table (GET /stats) for the selected range and
// threads: grouped by name, detail, category, thread or crate; count, total,
// self, average, max and shares of the time; sortable by any column;
// filterable. Clicking a row highlights its slices on the timeline (the row's
// `match`) and jumps to its longest occurrence.
//
// Sorting: the server sorts (descending, `key` ascending) and returns the top
// rows, so a header click asks the server; clicking the active header again
// flips the order of the rows shown. Filtering: either a regex on the slice
// name, applied by the server before grouping (totals follow it), or a
// substring over the keys of the rows shown (instant, client-side); the
// placeholder says which.

import { fetchLatest } from "../data/latest.js";
import { selectionParams, GROUPS } from "../model/analysis_state.js";
import { formatDuration, formatCount, formatSamples } from "../model/format.js";
import { segmented, select, labelled } from "./flame_view.js";

const TOP = 500;
const FILTER_DELAY_MS = 300;

const COLUMNS = [
  // [sort key, header, title, numeric]
  ["key", "Key", "The group: name, detail, category, thread or crate", false],
  ["count", "Count", "Number of slices", true],
  ["total", "Total", "Summed durations (a slice nested in one of the same key counts in both)", true],
  ["total_pct", "% of total", "Total as a share of the busy time of the selection (the sum of all self times)", true],
  ["self", "Self", "Summed durations minus direct children", true],
  ["self_pct", "% self", "Self time as a share of all self time (these add up to 100%)", true],
  ["avg", "Average", "Total / count", true],
  ["max", "Max", "The longest slice", true],
];
const SERVER_SORT = { key: "key", count: "count", total: "total", total_pct: "total", self: "self", self_pct: "self", avg: "avg", max: "max" };
const GROUP_LABELS = { name: "Name", detail: "Detail", category: "Category", thread: "Thread", crate: "Crate" };

export class StatsView {
  /**
   * els: {root, toolbar, table (a div), message}
   * o:   {queries, an, onChange(push), onRow(row, answer), trackLabel(n)}
   */
  constructor(els, o) {
    this.els = els;
    this.o = o;
    this.an = o.an;
    this.active = false;
    this.answer = null;
    this.loadedKey = null;
    this.wantKey = null;
    this.loading = 0;
    this.error = null;
    this.filterTimer = 0;
    this.buildToolbar();
  }

  destroy() {
    clearTimeout(this.filterTimer);
    this.destroyed = true;
  }

  busy() {
    return this.loading > 0 || this.filterTimer !== 0;
  }

  setActive(on) {
    this.active = on;
    if (on) this.refresh();
  }

  buildToolbar() {
    const tb = this.els.toolbar;
    tb.textContent = "";
    this.groupSeg = segmented(
      GROUPS.map((g) => [g, GROUP_LABELS[g], groupTitle(g)]),
      (g) => {
        if (g === this.an.stats.group) return;
        this.an.stats.group = g;
        this.an.stats.row = null;
        this.o.onChange(true, { statsRow: true });
        this.refresh();
      },
    );
    this.groupSeg.el.setAttribute("aria-label", "Group by");
    this.filterMode = select(
      [
        ["name", "name ~ regex"],
        ["key", "key contains"],
      ],
      (v) => {
        this.an.stats.filterMode = v;
        this.updatePlaceholder();
        this.o.onChange(false);
        this.refresh();
      },
    );
    this.filterMode.title = "name ~ regex: the server keeps the slices whose name matches (POSIX extended regex), totals follow; key contains: filters the rows shown by a substring of their key";
    this.filter = document.createElement("input");
    this.filter.type = "search";
    this.filter.className = "filter-input";
    this.filter.spellcheck = false;
    this.filter.addEventListener("input", () => {
      // the state takes the text at once (a refresh before the timer must not
      // put the old text back); only asking the server waits for a pause
      this.an.stats.filter = this.filter.value.slice(0, 256);
      clearTimeout(this.filterTimer);
      const delay = this.an.stats.filterMode === "key" ? 0 : FILTER_DELAY_MS;
      this.filterTimer = setTimeout(() => {
        this.filterTimer = 0;
        this.o.onChange(false);
        this.refresh();
      }, delay);
    });
    this.filter.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.filter.value) {
        e.stopPropagation();
        this.filter.value = "";
        this.filter.dispatchEvent(new Event("input"));
      }
    });
    this.info = document.createElement("span");
    this.info.className = "an-info";
    const grp = labelled("Group by", this.groupSeg.el);
    const spacer = document.createElement("span");
    spacer.className = "spacer";
    const flt = document.createElement("span");
    flt.className = "filter-box";
    flt.append(this.filterMode, this.filter);
    tb.append(grp, flt, spacer, this.info);
    this.updatePlaceholder();
  }

  updatePlaceholder() {
    this.filter.placeholder =
      this.an.stats.filterMode === "key" ? "Filter the rows shown: key contains…" : "Filter slices: name regex (server)…";
    this.filter.title = this.filterMode.title;
  }

  queryParams() {
    const s = this.an.stats;
    const p = { ...selectionParams(this.an), group_by: s.group, sort: SERVER_SORT[s.sort] || "total", top: TOP };
    if (s.filter && s.filterMode === "name") p.filter = s.filter;
    return p;
  }

  refresh() {
    const s = this.an.stats;
    this.groupSeg.set(s.group);
    this.filterMode.value = s.filterMode;
    if (document.activeElement !== this.filter) this.filter.value = s.filter;
    this.updatePlaceholder();
    // Hidden, the table is still asked for while one of its rows is highlighted
    // (the highlight follows the range).
    if (!this.active && this.an.stats.row === null) return;
    if (this.an.threads && this.an.threads.length === 0) {
      this.answer = null;
      this.loadedKey = null;
      this.render("No thread selected: choose threads in the bar above.");
      return;
    }
    const q = this.queryParams();
    const key = JSON.stringify(q);
    if (key === this.loadedKey) {
      this.render();
      return;
    }
    if (key === this.wantKey) return;
    this.error = null;
    if (!this.answer) this.render("Loading statistics…");
    else this.els.root.classList.add("stale");
    fetchLatest(
      this,
      key,
      this.o.queries.get("stats", q),
      (j) => {
        this.loadedKey = key;
        this.answer = j;
        this.els.root.classList.remove("stale");
        this.render();
        this.o.onLoad && this.o.onLoad(j);
      },
      (err) => {
        this.error = err;
        this.els.root.classList.remove("stale");
        this.answer = null;
        this.loadedKey = null;
        this.render("Could not load statistics: " + err.message);
      },
    );
  }

  /** The rows shown: the server's, filtered by key (client mode) and in the chosen direction. */
  rows() {
    const j = this.answer;
    if (!j) return [];
    let rows = j.rows || [];
    const s = this.an.stats;
    if (s.filter && s.filterMode === "key") {
      const needle = s.filter.toLowerCase();
      rows = rows.filter((r) => String(r.key).toLowerCase().includes(needle));
    }
    const col = s.sort;
    if (col === "total_pct" || col === "self_pct" || s.asc) {
      const v = valueOf(col);
      rows = [...rows].sort((a, b) => {
        const x = v(a);
        const y = v(b);
        const c = typeof x === "string" ? (x < y ? -1 : x > y ? 1 : 0) : x - y;
        // descending by default except key (matches the server)
        return col === "key" ? (s.asc ? -c : c) : s.asc ? c : -c;
      });
    }
    return rows;
  }

  render(message) {
    const box = this.els.table;
    const msg = this.els.message;
    msg.hidden = !message;
    msg.textContent = message || "";
    box.textContent = "";
    const j = this.answer;
    if (!j || message) {
      this.info.textContent = "";
      return;
    }
    const s = this.an.stats;
    const rows = this.rows();
    const busy = j.self_ns || 0;
    const table = document.createElement("table");
    table.className = "stats";
    const thead = document.createElement("thead");
    const hr = document.createElement("tr");
    for (const [k, label, title, numeric] of COLUMNS) {
      const th = document.createElement("th");
      th.title = title + " · click to sort";
      th.dataset.sort = k;
      if (numeric) th.className = "num";
      const active = s.sort === k;
      const arrow = active ? ((k === "key") !== s.asc ? " ▴" : " ▾") : "";
      th.textContent = (k === "key" ? GROUP_LABELS[s.group] : label) + arrow;
      if (active) th.classList.add("sorted");
      th.setAttribute("aria-sort", active ? ((k === "key") !== s.asc ? "ascending" : "descending") : "none");
      th.addEventListener("click", () => this.sortBy(k));
      hr.appendChild(th);
    }
    thead.appendChild(hr);
    table.appendChild(thead);
    const tbody = document.createElement("tbody");
    // self_pct is rounded to 2 decimals by the server: recompute it (docs/cli.md:
    // 100 * self_ns / the top-level self_ns) so small shares do not show as 0%
    const selfPct = (r) => (busy > 0 ? (100 * r.self_ns) / busy : r.self_pct || 0);
    const maxSelf = rows.reduce((m, r) => Math.max(m, selfPct(r)), 0);
    for (const r of rows) {
      const tr = document.createElement("tr");
      tr.dataset.key = r.key;
      if (s.row !== null && s.row === r.key) tr.classList.add("active");
      const keyTd = document.createElement("td");
      keyTd.className = "key";
      keyTd.textContent = r.key;
      keyTd.title = r.key;
      const totalPct = busy > 0 ? (100 * r.total_ns) / busy : 0;
      const cells = [
        keyTd,
        num(formatCount(r.count)),
        timeCell(r.total_ns, this.o.sampleNs),
        pctCell(totalPct),
        timeCell(r.self_ns, this.o.sampleNs),
        barCell(selfPct(r), maxSelf),
        num(formatDuration(r.avg_ns)),
        num(formatDuration(r.max_ns)),
      ];
      tr.append(...cells);
      tr.title = "Click: highlight on the timeline and jump to the longest one";
      tr.addEventListener("click", () => this.pick(r));
      tbody.appendChild(tr);
    }
    table.appendChild(tbody);
    box.appendChild(table);
    if (!rows.length) {
      msg.hidden = false;
      msg.textContent = s.filter ? "No group matches the filter." : "No slices in the selection.";
    }
    const shown = rows.length;
    const groups = j.groups ?? (j.rows || []).length;
    const sn = this.o.sampleNs;
    this.info.textContent =
      (sn > 0 ? `${formatSamples(busy, sn)} · ${formatCount(j.events)} frames · ` : `${formatCount(j.events)} slices · ${formatDuration(busy)} busy · `) +
      (shown < groups ? `${formatCount(shown)} of ${formatCount(groups)} groups` : `${formatCount(groups)} groups`);
  }

  /** Loads the table while hidden (a shared link with a highlighted row). */
  prefetch() {
    this.refresh();
  }

  sortBy(k) {
    const s = this.an.stats;
    if (s.sort === k) s.asc = !s.asc;
    else {
      s.sort = k;
      s.asc = false;
    }
    this.o.onChange(false);
    this.refresh();
  }

  pick(r) {
    const s = this.an.stats;
    s.row = s.row === r.key ? null : r.key;
    this.o.onChange(false);
    this.render();
    this.o.onRow && this.o.onRow(s.row === null ? null : r, this.answer);
  }

  /** The row with the current highlight key in the loaded answer, if any. */
  activeRow() {
    const s = this.an.stats;
    if (!this.answer || s.row === null) return null;
    return (this.answer.rows || []).find((r) => r.key === s.row) || null;
  }

  state() {
    const j = this.answer;
    const shown = this.rows();
    return {
      active: this.active,
      group: this.an.stats.group,
      sort: this.an.stats.sort,
      asc: this.an.stats.asc,
      filter: this.an.stats.filter,
      filterMode: this.an.stats.filterMode,
      loading: this.loading > 0,
      error: this.error ? this.error.message : null,
      loaded: !!j,
      events: j ? j.events : null,
      totalNs: j ? j.total_ns : null,
      selfNs: j ? j.self_ns : null,
      groups: j ? j.groups ?? (j.rows || []).length : null,
      rows: shown.length,
      firstKeys: shown.slice(0, 5).map((r) => r.key),
      samples: j && this.o.sampleNs > 0 ? Math.round((j.self_ns || 0) / this.o.sampleNs) : null,
      info: this.info ? this.info.textContent : "",
      row: this.an.stats.row,
    };
  }
}

function valueOf(col) {
  switch (col) {
    case "key":
      return (r) => String(r.key);
    case "count":
      return (r) => r.count;
    case "self":
    case "self_pct":
      return (r) => r.self_ns;
    case "avg":
      return (r) => r.avg_ns;
    case "max":
      return (r) => r.max_ns;
    default:
      return (r) => r.total_ns;
  }
}

function num(text) {
  const td = document.createElement("td");
  td.className = "num";
  td.textContent = text;
  return td;
}

/** A time cell; in a sampled profile with the sample count under it. */
function timeCell(ns, sampleNs) {
  const td = num(formatDuration(ns));
  if (sampleNs > 0) {
    const sub = document.createElement("span");
    sub.className = "st-samples";
    sub.textContent = formatSamples(ns, sampleNs);
    td.appendChild(sub);
  }
  return td;
}

function pctCell(p) {
  const td = num(fmtPct(p));
  if (p > 100.05) {
    td.classList.add("over");
    td.title = "Over 100%: slices of this key nest inside each other, and a nested one counts in its own total and in its ancestor's";
  }
  return td;
}

function barCell(p, max) {
  const td = document.createElement("td");
  td.className = "num bar-cell";
  const bar = document.createElement("span");
  bar.className = "pct-bar";
  bar.style.width = (max > 0 ? Math.max(1, (60 * p) / max) : 0).toFixed(1) + "px";
  const t = document.createElement("span");
  t.textContent = fmtPct(p);
  td.append(bar, t);
  return td;
}

function fmtPct(p) {
  return (p >= 10 ? p.toFixed(1) : p >= 0.01 ? p.toFixed(2) : p > 0 ? "<0.01" : "0") + "%";
}

function groupTitle(g) {
  return {
    name: "Group by the slice name",
    detail: "Group by args.detail (demangled), e.g. the function a pass ran on",
    category: "Group by the cat field",
    thread: "Group by thread",
    crate: "Group by the crate or namespace root of the demangled symbol",
  }[g];
}
