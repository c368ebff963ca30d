// trace_list.js: the page listing every served trace, each linking to its
// timeline (#t=<id>). Re-polls while some trace is still indexing.
import { formatBytes } from "../model/format.js";

const POLL_MS = 500;

/** Renders the list into el; returns {cancel()} to stop polling. */
export function showTraceList(el, api, traces) {
  let timer = 0;
  let cancelled = false;
  const render = (list) => {
    el.textContent = "";
    const card = document.createElement("div");
    card.className = "card list-card";
    const title = document.createElement("h2");
    title.textContent = list.length === 1 ? "1 trace" : `${list.length} traces`;
    card.appendChild(title);
    if (!list.length) {
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = "The server has no trace. Start it with: traceview serve FILE...";
      card.appendChild(p);
    }
    const ul = document.createElement("ul");
    ul.className = "trace-list";
    for (const t of list) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = "#t=" + encodeURIComponent(t.id);
      a.className = "trace-link";
      a.dataset.id = t.id;
      const name = document.createElement("span");
      name.className = "tl-name";
      name.textContent = t.name;
      const meta = document.createElement("span");
      meta.className = "tl-meta";
      const state =
        t.state === "ready" ? null : t.state === "indexing" ? `indexing ${(100 * (t.progress || 0)).toFixed(0)}%` : "error";
      meta.textContent = [t.format, t.bytes ? formatBytes(t.bytes) : null, state].filter(Boolean).join(" · ");
      if (t.state === "error") a.classList.add("has-error");
      const path = document.createElement("span");
      path.className = "tl-path";
      path.textContent = t.error ? t.error : t.path || "";
      a.append(name, meta, path);
      li.appendChild(a);
      ul.appendChild(li);
    }
    card.appendChild(ul);
    el.appendChild(card);
    if (list.some((t) => t.state === "indexing") && !cancelled) {
      timer = setTimeout(async () => {
        try {
          const r = await api.traces();
          if (!cancelled) render(r.traces);
        } catch {
          /* keep the last list */
        }
      }, POLL_MS);
    }
  };
  render(traces);
  return {
    cancel() {
      cancelled = true;
      clearTimeout(timer);
    },
  };
}
