// analysis_bar.js: the bar above the flame graph and the statistics: what
// they are computed over (the selected range, or the whole trace; the
// selected threads, with a picker) and what is highlighted (a search or a
// statistics row), each with a way to clear it.

import { formatDuration, formatTime } from "../model/format.js";

export class AnalysisBar {
  /**
   * el: the bar; picker: the drop-down element for the threads
   * o: {meta, an, onRange(null) (clear), onZoomRange(), onThreads(list|null),
   *     onClearHighlight()}
   */
  constructor(el, picker, o) {
    this.el = el;
    this.picker = picker;
    this.o = o;
    this.an = o.an;
    this.threads = [];
    for (const p of o.meta.processes || [])
      for (const t of p.tracks) if (t.kind === "thread") this.threads.push({ track: t.track, name: t.name || "Thread " + t.tid, tid: t.tid, pid: p.pid, process: p.name || "Process " + p.pid, slices: t.slices || 0 });
    this.build();
    this.onDocDown = (e) => {
      if (!this.picker.hidden && !this.picker.contains(e.target) && !this.threadBtn.contains(e.target)) this.picker.hidden = true;
    };
    window.addEventListener("mousedown", this.onDocDown);
  }

  destroy() {
    window.removeEventListener("mousedown", this.onDocDown);
    this.picker.hidden = true;
  }

  build() {
    const el = this.el;
    el.textContent = "";
    this.rangeChip = document.createElement("span");
    this.rangeChip.className = "an-chip range-chip";
    this.threadBtn = document.createElement("button");
    this.threadBtn.type = "button";
    this.threadBtn.className = "an-chip an-chip-btn";
    this.threadBtn.title = "Choose the threads the flame graph, statistics and search cover";
    this.threadBtn.addEventListener("click", () => this.togglePicker());
    this.hlChip = document.createElement("span");
    this.hlChip.className = "an-chip hl-chip";
    el.append(this.rangeChip, this.threadBtn, this.hlChip);
    this.update(null);
  }

  /** Redraws the chips; hl: the current highlight (model/highlight.js) or null. */
  update(hl) {
    const an = this.an;
    const rc = this.rangeChip;
    rc.textContent = "";
    if (an.range) {
      const [a, b] = an.range;
      rc.classList.add("on");
      rc.append(label("Range"), text(`${formatTime(a, (b - a) / 1000)} – ${formatTime(b, (b - a) / 1000)}`), strong(formatDuration(b - a)));
      rc.append(button("Zoom", "Zoom the timeline to the selected range", () => this.o.onZoomRange()));
      rc.append(closeBtn("Clear the range (analyse the whole trace)", () => this.o.onRange(null)));
    } else {
      rc.classList.remove("on");
      rc.append(label("Range"), text("whole trace"));
      rc.title = "Shift+drag on the timeline, or drag on its time ruler, to analyse a range";
    }
    const n = an.threads ? an.threads.length : this.threads.length;
    this.threadBtn.textContent = "";
    this.threadBtn.classList.toggle("on", !!an.threads);
    this.threadBtn.append(label("Threads"), text(an.threads ? `${n} of ${this.threads.length}` : `all ${this.threads.length}`), text("▾"));
    const hc = this.hlChip;
    hc.textContent = "";
    hc.hidden = !hl;
    if (hl) {
      hc.append(label(hl.source === "search" ? "Search" : "Highlight"), strong(hl.label || ""));
      if (!hl.exact) hc.append(text(" (not drawable: tiles carry no category)"));
      else if (hl.truncated) hc.append(text(" (first 1000 ids)"));
      hc.title = hl.label;
      hc.append(closeBtn("Clear the highlight", () => this.o.onClearHighlight()));
    }
    if (!this.picker.hidden) this.renderPicker();
  }

  togglePicker() {
    if (!this.picker.hidden) {
      this.picker.hidden = true;
      return;
    }
    this.renderPicker();
    this.picker.hidden = false;
    const r = this.threadBtn.getBoundingClientRect();
    const h = this.picker.offsetHeight;
    this.picker.style.left = Math.max(4, Math.min(window.innerWidth - this.picker.offsetWidth - 4, r.left)) + "px";
    // open upwards when the bar sits low on the screen
    this.picker.style.top = (r.bottom + h + 8 > window.innerHeight ? Math.max(4, r.top - h - 4) : r.bottom + 4) + "px";
  }

  renderPicker() {
    const box = this.picker;
    box.textContent = "";
    const sel = this.an.threads ? new Set(this.an.threads) : null;
    const isOn = (t) => !sel || sel.has(t);
    const head = document.createElement("div");
    head.className = "tp-head";
    head.append(
      button("All", "Every thread", () => this.o.onThreads(null)),
      button("None", "No thread", () => this.o.onThreads([])),
    );
    box.appendChild(head);
    const list = document.createElement("div");
    list.className = "tp-list";
    let pid = null;
    for (const t of this.threads) {
      if (t.pid !== pid) {
        pid = t.pid;
        const group = this.threads.filter((x) => x.pid === pid);
        const all = group.every((x) => isOn(x.track));
        const some = group.some((x) => isOn(x.track));
        const row = checkRow(`${t.process} (pid ${pid})`, all, some && !all, (on) => {
          const next = new Set(sel || this.threads.map((x) => x.track));
          for (const x of group) on ? next.add(x.track) : next.delete(x.track);
          this.emit(next);
        });
        row.classList.add("tp-proc");
        list.appendChild(row);
      }
      const row = checkRow(`${t.name}`, isOn(t.track), false, (on) => {
        const next = new Set(sel || this.threads.map((x) => x.track));
        on ? next.add(t.track) : next.delete(t.track);
        this.emit(next);
      });
      row.dataset.track = t.track;
      const only = button("only", "Only this thread", () => this.o.onThreads([t.track]));
      only.classList.add("tp-only");
      row.appendChild(only);
      list.appendChild(row);
    }
    box.appendChild(list);
  }

  emit(set) {
    const list = [...set].sort((a, b) => a - b);
    this.o.onThreads(list.length === this.threads.length ? null : list);
  }
}

function label(t) {
  const s = document.createElement("span");
  s.className = "an-chip-label";
  s.textContent = t;
  return s;
}

function text(t) {
  const s = document.createElement("span");
  s.textContent = t;
  return s;
}

function strong(t) {
  const b = document.createElement("b");
  b.textContent = t;
  return b;
}

function button(t, title, fn) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "mini-btn";
  b.textContent = t;
  b.title = title;
  b.addEventListener("click", (e) => {
    e.stopPropagation();
    fn();
  });
  return b;
}

function closeBtn(title, fn) {
  const b = button("×", title, fn);
  b.className = "chip-x";
  b.setAttribute("aria-label", title);
  return b;
}

function checkRow(text, on, mixed, fn) {
  const l = document.createElement("label");
  l.className = "tp-row";
  const c = document.createElement("input");
  c.type = "checkbox";
  c.checked = on;
  c.indeterminate = mixed;
  c.addEventListener("change", () => fn(c.checked));
  const s = document.createElement("span");
  s.textContent = text;
  s.title = text;
  l.append(c, s);
  return l;
}
