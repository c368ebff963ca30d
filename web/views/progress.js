// progress.js: while a trace is indexing, a progress bar that polls
// /progress; resolves when the trace is ready (rejects on error).
import { formatBytes } from "../model/format.js";

const POLL_MS = 200;

/**
 * Shows progress for trace `info` ({id, name}) inside `el` and polls
 * api.progress(id). Returns {done: Promise, cancel()}.
 */
export function showProgress(el, info, api) {
  el.textContent = "";
  const card = document.createElement("div");
  card.className = "card progress-card";
  const title = document.createElement("h2");
  title.textContent = "Indexing " + (info.name || info.id);
  const bar = document.createElement("div");
  bar.className = "bar";
  const fill = document.createElement("div");
  fill.className = "bar-fill";
  bar.appendChild(fill);
  bar.setAttribute("role", "progressbar");
  bar.setAttribute("aria-valuemin", "0");
  bar.setAttribute("aria-valuemax", "100");
  const text = document.createElement("p");
  text.className = "muted";
  text.textContent = "Starting…";
  card.append(title, bar, text);
  el.appendChild(card);

  let timer = 0;
  let cancelled = false;
  const done = new Promise((resolve, reject) => {
    const poll = async () => {
      timer = 0;
      if (cancelled) return;
      let p;
      try {
        p = await api.progress(info.id);
      } catch (e) {
        reject(e);
        return;
      }
      if (cancelled) return;
      if (p.state === "error") {
        reject(new Error(p.error || "indexing failed"));
        return;
      }
      const frac = p.total_bytes ? p.done_bytes / p.total_bytes : 0;
      fill.style.width = (100 * Math.min(1, frac)).toFixed(1) + "%";
      bar.setAttribute("aria-valuenow", (100 * frac).toFixed(0));
      text.textContent = `${formatBytes(p.done_bytes)} of ${formatBytes(p.total_bytes)} (${(100 * frac).toFixed(0)}%)`;
      if (p.state === "ready") {
        resolve(p);
        return;
      }
      timer = setTimeout(poll, POLL_MS);
    };
    poll();
  });
  return {
    done,
    cancel() {
      cancelled = true;
      clearTimeout(timer);
    },
  };
}
