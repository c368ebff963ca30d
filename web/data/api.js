// api.js: the HTTP API of docs/api.md as promises. Every request goes
// through request() so the idle hook can count what is in flight.
// Errors become ApiError with the status and the server's "error" text.

export class ApiError extends Error {
  constructor(status, message, path) {
    super(message);
    this.name = "ApiError";
    this.status = status; // 0: network error
    this.path = path;
  }
}

let inFlight = 0;

/** Number of API requests that have not settled yet. */
export function pendingRequests() {
  return inFlight;
}

/** Fetches `path` and returns {text, json}; throws ApiError. */
async function request(path) {
  inFlight++;
  try {
    let res;
    try {
      res = await fetch(path, { headers: { Accept: "application/json" } });
    } catch (e) {
      throw new ApiError(0, "cannot reach the traceview server (" + e.message + ")", path);
    }
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      if (res.ok) throw new ApiError(res.status, "the server sent malformed JSON", path);
    }
    if (!res.ok) {
      const msg = json && typeof json.error === "string" ? json.error : res.status + " " + res.statusText;
      throw new ApiError(res.status, msg, path);
    }
    return { text, json };
  } finally {
    inFlight--;
  }
}

async function getJSON(path) {
  return (await request(path)).json;
}

const enc = encodeURIComponent;

export const api = {
  traces: () => getJSON("/api/traces"),
  progress: (id) => getJSON(`/api/traces/${enc(id)}/progress`),
  meta: (id) => getJSON(`/api/traces/${enc(id)}/meta`),
  /** Resolves to {json, bytes} where bytes is the response text length. */
  tile: async (id, track, level, index) => {
    const { text, json } = await request(`/api/traces/${enc(id)}/tile?track=${track}&level=${level}&index=${index}`);
    return { json, bytes: text.length };
  },
  event: (id, track, eventId) => getJSON(`/api/traces/${enc(id)}/event?track=${track}&id=${eventId}`),
  overview: (id, buckets) => getJSON(`/api/traces/${enc(id)}/overview?buckets=${buckets}`),
  /** Flow arrows overlapping [start, end) (relative ns); resolves to {json, bytes}. */
  flows: async (id, params) => {
    const { text, json } = await request(`/api/traces/${enc(id)}/flows${queryString(params)}`);
    return { json, bytes: text.length };
  },
  /** The analysis endpoints: flamegraph, stats, search; params is a plain
   *  object of query parameters (undefined and null ones are left out).
   *  Resolves to {json, bytes}. */
  analysis: async (id, endpoint, params) => {
    const { text, json } = await request(`/api/traces/${enc(id)}/${endpoint}${queryString(params)}`);
    return { json, bytes: text.length };
  },
};

/** {a: 1, b: "x y"} -> "?a=1&b=x%20y" ("" when empty). */
export function queryString(params) {
  const parts = [];
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === "") continue;
    parts.push(enc(k) + "=" + enc(String(v)));
  }
  return parts.length ? "?" + parts.join("&") : "";
}
