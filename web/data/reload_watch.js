// reload_watch.js: under `traceview serve --watch`, learns when the open
// trace was re-indexed (GET /api/traces/{id}/wait, docs/api.md) and calls
// onChange once. The server holds each request until the generation moves
// or about 25 s pass, so this is one idle connection, not polling.
//
// It calls fetch directly, not through api.js: a request that is always
// pending must not count for traceviewIdle().

const RETRY_MS = 2000; // after a network error (server restarting)

/**
 * Watches trace `id`, whose loaded index has `generation`. Returns
 * {stop()}. onChange(newGeneration) is called at most once.
 */
export function watchGeneration(id, generation, onChange) {
  let stopped = false;
  const ctl = new AbortController();
  const path = (g) => `/api/traces/${encodeURIComponent(id)}/wait?generation=${g}`;
  (async () => {
    while (!stopped) {
      try {
        const res = await fetch(path(generation), { signal: ctl.signal, cache: "no-store" });
        const json = res.ok ? await res.json() : null;
        if (stopped) return;
        if (!json || !json.watching) return; // not watched: nothing will change
        if (json.generation !== generation) {
          stopped = true;
          onChange(json.generation);
          return;
        }
      } catch {
        if (stopped) return;
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  })();
  return {
    stop() {
      stopped = true;
      ctl.abort();
    },
  };
}
