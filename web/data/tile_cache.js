// tile_cache.js: tiles by (track, level, index), an LRU with a byte budget,
// a bounded request queue and request dedupe.
//
// The renderers never fetch: each frame the app asks get() for what it draws
// and want() for what it would like next; endFrame() then drops queued
// requests that no frame wants any more (requests already on the wire are
// left alone: tiles are immutable, the answer will be useful soon enough) and
// starts at most `concurrency` fetches, visible tiles first.
//
// Invariants:
//   (1) bytes == sum of entry.bytes over the cached entries;
//   (2) after endFrame(), bytes <= budget unless every cached entry was used
//       by the current frame (a frame never loses what it is drawing);
//   (3) a key is in at most one of: cache, inflight, queue.
// Tiles are decoded into typed arrays once (compact, fast to walk, and their
// size is known exactly); `bytes` counts them plus the strings.

const DEFAULT_BUDGET = 32 * 1024 * 1024;
const RETRY_MS = 3000;

export function tileKey(track, level, index) {
  return track + "/" + level + "/" + index;
}

export class TileCache {
  /**
   * fetchTile(track, level, index) -> Promise<{json, bytes}>
   * strings: a StringTable that receives each tile's strings
   * onLoad(): called when a tile arrives (the owner schedules a redraw)
   */
  constructor({ fetchTile, strings = null, onLoad = () => {}, budgetBytes = DEFAULT_BUDGET, concurrency = 6 }) {
    this.fetchTile = fetchTile;
    this.strings = strings;
    this.onLoad = onLoad;
    this.budget = budgetBytes;
    this.concurrency = concurrency;
    this.cache = new Map(); // key -> entry {tile, bytes, gen}; Map order = LRU order
    this.bytes = 0;
    this.inflight = new Map(); // key -> promise
    this.queue = new Map(); // key -> {track, level, index, prio, seq, gen}
    this.failed = new Map(); // key -> {time, error}
    this.gen = 0;
    this.seq = 0;
    this.loaded = 0; // tiles received, for stats
    if (strings) strings.rebuild = () => this.allStrings();
  }

  /** Starts a frame: entries used from now on are protected from eviction. */
  beginFrame() {
    this.gen++;
  }

  /** The decoded tile, or undefined; marks it most recently used. */
  get(track, level, index) {
    const key = tileKey(track, level, index);
    const e = this.cache.get(key);
    if (!e) return undefined;
    this.cache.delete(key);
    this.cache.set(key, e);
    e.gen = this.gen;
    return e.tile;
  }

  has(track, level, index) {
    return this.cache.has(tileKey(track, level, index));
  }

  /** Asks for a tile this frame; prio 0 = visible, larger = later. */
  want(track, level, index, prio = 0) {
    const key = tileKey(track, level, index);
    if (this.cache.has(key) || this.inflight.has(key)) return;
    const f = this.failed.get(key);
    if (f && performance.now() - f.time < RETRY_MS) return;
    const q = this.queue.get(key);
    if (q) {
      q.gen = this.gen;
      q.prio = Math.min(q.prio, prio);
    } else {
      this.queue.set(key, { key, track, level, index, prio, seq: this.seq++, gen: this.gen });
    }
  }

  /** Ends a frame: forgets unwanted queued requests, evicts, starts fetches. */
  endFrame() {
    for (const [key, q] of this.queue) if (q.gen !== this.gen) this.queue.delete(key);
    this.evict();
    this.pump();
  }

  /** A promise of the tile (fetching it now if needed). */
  load(track, level, index) {
    const key = tileKey(track, level, index);
    const e = this.cache.get(key);
    if (e) return Promise.resolve(e.tile);
    return this.inflight.get(key) || this.start({ key, track, level, index });
  }

  pump() {
    if (this.inflight.size >= this.concurrency || this.queue.size === 0) return;
    const order = [...this.queue.values()].sort((a, b) => a.prio - b.prio || a.seq - b.seq);
    for (const q of order) {
      if (this.inflight.size >= this.concurrency) break;
      this.queue.delete(q.key);
      this.start(q).catch(() => {}); // failures are recorded in start()
    }
  }

  start(q) {
    const p = this.fetchTile(q.track, q.level, q.index).then(
      ({ json, bytes }) => {
        this.inflight.delete(q.key);
        this.failed.delete(q.key);
        const tile = decodeTile(json);
        const size = Math.max(bytes || 0, tileBytes(tile));
        this.cache.set(q.key, { tile, bytes: size, gen: this.gen });
        this.bytes += size;
        this.loaded++;
        if (this.strings) this.strings.merge(tile.strings);
        this.evict();
        this.pump();
        this.onLoad(tile);
        return tile;
      },
      (err) => {
        this.inflight.delete(q.key);
        this.failed.set(q.key, { time: performance.now(), error: err });
        this.pump();
        this.onLoad(null);
        throw err;
      },
    );
    this.inflight.set(q.key, p);
    return p;
  }

  evict() {
    if (this.bytes <= this.budget) return;
    for (const [key, e] of this.cache) {
      if (this.bytes <= this.budget) break;
      if (e.gen === this.gen) continue; // used by the frame being drawn
      this.cache.delete(key);
      this.bytes -= e.bytes;
    }
  }

  *allStrings() {
    for (const e of this.cache.values()) if (e.tile.strings) yield e.tile.strings;
  }

  /** The last error of a tile, if its fetch failed recently. */
  error(track, level, index) {
    const f = this.failed.get(tileKey(track, level, index));
    return f ? f.error : null;
  }

  stats() {
    return {
      cached: this.cache.size,
      bytes: this.bytes,
      budget: this.budget,
      inflight: this.inflight.size,
      queued: this.queue.size,
      pending: this.inflight.size + this.queue.size,
      loaded: this.loaded,
      failed: this.failed.size,
    };
  }

  clear() {
    this.cache.clear();
    this.queue.clear();
    this.failed.clear();
    this.bytes = 0;
  }
}

/** Turns the JSON of a tile into typed columns. */
export function decodeTile(j) {
  const base = { track: j.track, level: j.level, index: j.index, t0: j.t0, bucketNs: j.bucket_ns };
  if (j.buckets) {
    return {
      ...base,
      kind: "counter",
      buckets: Int32Array.from(j.buckets),
      min: Float64Array.from(j.min || []),
      max: Float64Array.from(j.max || []),
      last: Float64Array.from(j.last || []),
      strings: null,
    };
  }
  const s = j.slices || {};
  const m = j.summaries || {};
  const i = j.instants || {};
  const sm = j.samples || {};
  return {
    ...base,
    kind: "thread",
    slices: {
      n: (s.id || []).length,
      id: Float64Array.from(s.id || []),
      start: Float64Array.from(s.start || []),
      dur: Float64Array.from(s.dur || []),
      depth: Int32Array.from(s.depth || []),
      name: Uint32Array.from(s.name || []),
      detail: Uint32Array.from(s.detail || []),
    },
    summaries: {
      n: (m.bucket || []).length,
      bucket: Int32Array.from(m.bucket || []),
      depth: Int32Array.from(m.depth || []),
      count: Float64Array.from(m.count || []),
      busy: Float64Array.from(m.busy || []),
      longest: Float64Array.from(m.longest || []),
      name: Uint32Array.from(m.name || []),
    },
    instants: {
      n: (i.bucket || []).length,
      bucket: Int32Array.from(i.bucket || []),
      count: Float64Array.from(i.count || []),
      name: Uint32Array.from(i.name || []),
    },
    // sample marks per bucket (sampled profiles): same shape as instants;
    // name is the leaf frame of the first sample in the bucket
    samples: {
      n: (sm.bucket || []).length,
      bucket: Int32Array.from(sm.bucket || []),
      count: Float64Array.from(sm.count || []),
      name: Uint32Array.from(sm.name || []),
    },
    strings: j.strings || {},
  };
}

function tileBytes(t) {
  let n = 256;
  for (const group of [t.slices, t.summaries, t.instants, t.samples, t]) {
    if (!group) continue;
    for (const v of Object.values(group)) if (ArrayBuffer.isView(v)) n += v.byteLength;
  }
  if (t.strings) for (const k in t.strings) n += 32 + 2 * t.strings[k].length;
  return n;
}
