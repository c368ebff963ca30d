// details.js: the side panel for the selected slice, filled from /event:
// name, detail (demangled and raw), category, times, depth, args as a table,
// and the chain of enclosing slices (each one clickable).
import { formatDuration, formatTime, formatCount } from "../model/format.js";

export class DetailsPanel {
  /**
   * el: the <aside>; opts:
   *   events        EventCache
   *   trackLabel(n) -> "opt cgu.2 (tid 21774)"
   *   onSelect(ref) select another slice ({track, id}), e.g. a parent
   *   onReveal(ev)  zoom the timeline to the slice
   *   onClose()
   */
  constructor(el, opts) {
    this.el = el;
    this.opts = opts;
    this.current = null; // {track, id}
    this.token = 0;
  }

  get open() {
    return !this.el.hidden;
  }

  /** Opens the panel for ref {track, id}; `hint` (a hit) fills it until /event answers. */
  show(ref, hint = null) {
    this.current = { track: ref.track, id: ref.id };
    this.el.hidden = false;
    const token = ++this.token;
    const cached = this.opts.events.peek(ref.track, ref.id);
    if (cached) {
      this.render(cached, false);
      return Promise.resolve(cached);
    }
    this.render(
      hint
        ? { track: ref.track, id: ref.id, name: hint.name, detail_demangled: hint.detail, start: hint.start, dur: hint.dur, depth: hint.depth }
        : { track: ref.track, id: ref.id, name: "…" },
      true,
    );
    return this.opts.events.get(ref.track, ref.id).then(
      (ev) => {
        if (token === this.token && !this.el.hidden) this.render(ev, false);
        return ev;
      },
      (err) => {
        if (token === this.token && !this.el.hidden) this.renderError(err);
        throw err;
      },
    );
  }

  close() {
    if (this.el.hidden) return;
    this.el.hidden = true;
    this.current = null;
    this.token++;
  }

  renderError(err) {
    const body = this.el.querySelector(".dp-body");
    const p = document.createElement("p");
    p.className = "dp-error";
    p.textContent = "Could not load the event: " + err.message;
    body.appendChild(p);
  }

  render(ev, loading) {
    const el = this.el;
    el.textContent = "";
    const head = h("div", "dp-head");
    const title = h("h2", "dp-title", ev.name || "(unnamed)");
    title.title = ev.name || "";
    const close = h("button", "dp-close", "×");
    close.title = "Close (Esc)";
    close.setAttribute("aria-label", "Close details");
    close.addEventListener("click", () => this.opts.onClose());
    head.append(title, close);
    el.appendChild(head);
    const body = h("div", "dp-body");
    el.appendChild(body);

    const demangled = ev.detail_demangled || "";
    const raw = ev.detail || "";
    if (demangled || raw) {
      body.appendChild(h("div", "dp-detail", demangled || raw));
      if (raw && demangled && raw !== demangled) body.appendChild(h("div", "dp-raw", raw));
    }

    const actions = h("div", "dp-actions");
    const zoom = h("button", "btn", "Zoom to slice");
    zoom.addEventListener("click", () => this.opts.onReveal(ev));
    actions.appendChild(zoom);
    body.appendChild(actions);

    const t = h("table", "kv");
    const row = (k, v, cls) => {
      if (v === undefined || v === null || v === "") return;
      const tr = h("tr");
      tr.append(h("th", "", k), h("td", cls || "", v));
      t.appendChild(tr);
    };
    row("Start", ev.start != null ? formatTime(ev.start, 1000) : null);
    row("Duration", ev.dur != null ? formatDuration(ev.dur) : null);
    row("Self", ev.self != null ? formatDuration(ev.self) + pct(ev.self, ev.dur) : loading ? "…" : null);
    row("Depth", ev.depth != null ? String(ev.depth) : null);
    row("Thread", this.opts.trackLabel(ev.track));
    row("Category", ev.category || null);
    row("Event id", ev.id != null ? String(ev.id) : null, "mono");
    row("File offset", ev.offset != null ? formatCount(ev.offset) : null, "mono");
    body.appendChild(t);

    if (ev.parents && ev.parents.length) {
      body.appendChild(h("h3", "", `Parents (${ev.parents.length})`));
      const list = h("ol", "dp-parents");
      for (const p of ev.parents) {
        const li = h("li");
        const a = h("button", "link", p.name || "(unnamed)");
        a.title = "Select this enclosing slice";
        a.addEventListener("click", () => this.opts.onSelect({ track: ev.track, id: p.id }));
        li.append(a, h("span", "muted", formatDuration(p.dur)));
        list.appendChild(li);
      }
      body.appendChild(list);
    }

    if (ev.args && typeof ev.args === "object") {
      const keys = Object.keys(ev.args);
      body.appendChild(h("h3", "", `Args (${keys.length})`));
      if (keys.length) {
        const at = h("table", "kv args");
        for (const k of keys) {
          const v = ev.args[k];
          const tr = h("tr");
          const td = h("td", "mono");
          if (v !== null && typeof v === "object") {
            td.appendChild(h("pre", "", JSON.stringify(v, null, 2)));
          } else {
            td.textContent = typeof v === "string" ? v : JSON.stringify(v);
          }
          tr.append(h("th", "mono", k), td);
          at.appendChild(tr);
        }
        body.appendChild(at);
      } else {
        body.appendChild(h("p", "muted", "No args."));
      }
    } else if (loading) {
      body.appendChild(h("p", "muted", "Loading…"));
    }
  }
}

function pct(a, b) {
  if (!(b > 0)) return "";
  return ` (${((100 * a) / b).toFixed(a / b >= 0.995 ? 0 : 1)}%)`;
}

function h(tag, cls = "", text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
