// tooltip.js: what is under the mouse. Shows what the tile knows at once
// (name, detail, duration); after a short hover on the same slice it asks
// /event (through the shared EventCache) and adds self time.
import { formatDuration, formatTime, formatCount } from "../model/format.js";

const DETAILS_DELAY_MS = 160;

export class Tooltip {
  /** el: the tooltip element; events: {peek, get} of the EventCache */
  constructor(el, events) {
    this.el = el;
    this.events = events;
    this.key = null;
    this.timer = 0;
    this.hit = null;
  }

  /** True while a delayed fetch is scheduled (for the idle hook). */
  busy() {
    return this.timer !== 0;
  }

  show(hit, clientX, clientY) {
    const key = hit.key || hit.kind + ":" + hit.track + ":" + (hit.id ?? hit.start) + ":" + (hit.depth ?? "");
    if (key !== this.key) {
      this.key = key;
      this.hit = hit;
      clearTimeout(this.timer);
      this.timer = 0;
      const cached = hit.kind === "slice" ? this.events.peek(hit.track, hit.id) : null;
      this.render(hit, cached);
      if (hit.kind === "slice" && !cached) {
        this.timer = setTimeout(() => {
          this.timer = 0;
          const k = this.key;
          this.events.get(hit.track, hit.id).then(
            (ev) => {
              if (this.key === k) this.render(hit, ev);
            },
            () => {},
          );
        }, DETAILS_DELAY_MS);
      }
    }
    this.el.hidden = false;
    this.place(clientX, clientY);
  }

  place(clientX, clientY) {
    const pad = 14;
    const w = this.el.offsetWidth;
    const h = this.el.offsetHeight;
    let x = clientX + pad;
    let y = clientY + pad;
    if (x + w > window.innerWidth - 4) x = Math.max(4, clientX - pad - w);
    if (y + h > window.innerHeight - 4) y = Math.max(4, clientY - pad - h);
    this.el.style.transform = `translate(${Math.round(x)}px, ${Math.round(y)}px)`;
  }

  hide() {
    if (this.el.hidden && !this.key) return;
    this.el.hidden = true;
    this.key = null;
    this.hit = null;
    clearTimeout(this.timer);
    this.timer = 0;
  }

  render(hit, ev) {
    const el = this.el;
    el.textContent = "";
    const add = (cls, text, tag = "div") => {
      const d = document.createElement(tag);
      d.className = cls;
      d.textContent = text;
      el.appendChild(d);
      return d;
    };
    const row = (label, value) => {
      const d = add("tt-row", "");
      const a = document.createElement("span");
      a.textContent = label;
      const b = document.createElement("b");
      b.textContent = value;
      d.append(a, b);
    };
    if (hit.kind === "slice") {
      add("tt-name", hit.name || "(unnamed)");
      const detail = ev ? ev.detail_demangled || ev.detail : hit.detail;
      if (detail) add("tt-detail", detail);
      row("Duration", formatDuration(hit.dur));
      row("Self", ev ? formatDuration(ev.self) : "…");
      row("Start", formatTime(hit.start, 1000));
      if (ev && ev.category) row("Category", ev.category);
    } else if (hit.kind === "summary") {
      add("tt-name", `${formatCount(hit.count)} slice${hit.count === 1 ? "" : "s"} under a pixel`);
      add("tt-detail", "longest: " + (hit.name || "(unnamed)"));
      row("Busy", `${formatDuration(hit.busy)} of ${formatDuration(hit.dur)}`);
      row("At", formatTime(hit.start, hit.dur));
      add("tt-hint", "click to open the longest one");
    } else if (hit.kind === "track") {
      const r = hit.row;
      add("tt-name", r.lane ? `${r.lane} lane ${/ (\d+)$/.exec(r.label || "")?.[1] || "1"}` : r.label);
      if (r.kind === "thread") {
        if (r.lane) row("Lane", r.lane === "spans" ? "spans of this service, laid out on rows" : "async slices of this process, laid out on rows");
        else row("Thread id", String(r.tid));
        row(r.lane === "spans" ? "Spans" : "Slices", formatCount(r.slices));
        row("Depth", String(r.depthRows));
        if (r.samples) row("Samples", formatCount(r.samples));
      } else {
        row("Samples", formatCount(r.samples));
        row("Range", `${formatCount(r.min)} … ${formatCount(r.max)}`);
      }
      row("Process", hit.process ? `${hit.process} (pid ${hit.pid})` : `pid ${hit.pid}`);
    } else if (hit.kind === "info") {
      // a ready-made card: {title, detail, rows: [[label, value]], hint}
      add("tt-name", hit.title || "");
      if (hit.detail) add("tt-detail", hit.detail);
      for (const [k, v] of hit.rows || []) row(k, v);
      if (hit.hint) add("tt-hint", hit.hint);
    } else if (hit.kind === "sample") {
      add("tt-name", hit.name || "(unknown frame)");
      add("tt-detail", hit.count > 1 ? "leaf frame of the first sample here" : "leaf frame of the sample");
      row("Samples", formatCount(hit.count));
      row("At", formatTime(hit.start, hit.dur));
    } else if (hit.kind === "instant") {
      add("tt-name", hit.name || "(instant)");
      row("Instants", formatCount(hit.count));
      row("At", formatTime(hit.start, hit.dur));
    }
  }
}
