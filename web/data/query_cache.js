// query_cache.js: answers of the analysis endpoints (flamegraph, stats,
// search) by request, in a small LRU with a byte budget and request dedupe.
// Switching views or going back in history re-uses an answer instead of
// asking again; the answers depend only on the parameters (the trace file is
// read-only while served).

const DEFAULT_BUDGET = 24 * 1024 * 1024;
const MAX_ENTRIES = 24;

export class QueryCache {
  /** fetchQuery(endpoint, params) -> Promise<{json, bytes}> */
  constructor(fetchQuery, budgetBytes = DEFAULT_BUDGET) {
    this.fetchQuery = fetchQuery;
    this.budget = budgetBytes;
    this.map = new Map(); // key -> {json, bytes}
    this.bytes = 0;
    this.pending = new Map(); // key -> promise
  }

  static key(endpoint, params) {
    const keys = Object.keys(params || {}).filter((k) => params[k] !== undefined && params[k] !== null && params[k] !== "").sort();
    return endpoint + "?" + keys.map((k) => k + "=" + params[k]).join("&");
  }

  /** The answer if already here (no fetch). */
  peek(endpoint, params) {
    const e = this.map.get(QueryCache.key(endpoint, params));
    return e ? e.json : undefined;
  }

  /** A promise of the JSON answer. */
  get(endpoint, params) {
    const key = QueryCache.key(endpoint, params);
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.map.set(key, hit);
      return Promise.resolve(hit.json);
    }
    let p = this.pending.get(key);
    if (!p) {
      p = this.fetchQuery(endpoint, params).then(
        ({ json, bytes }) => {
          this.pending.delete(key);
          const size = Math.max(256, bytes || 0) * 3; // parsed JSON costs more than its text
          if (size <= this.budget / 2) {
            this.map.set(key, { json, bytes: size });
            this.bytes += size;
            for (const [k, e] of this.map) {
              if (this.bytes <= this.budget && this.map.size <= MAX_ENTRIES) break;
              this.map.delete(k);
              this.bytes -= e.bytes;
            }
          }
          return json;
        },
        (err) => {
          this.pending.delete(key);
          throw err;
        },
      );
      this.pending.set(key, p);
    }
    return p;
  }

  stats() {
    return { entries: this.map.size, bytes: this.bytes, pending: this.pending.size };
  }
}
