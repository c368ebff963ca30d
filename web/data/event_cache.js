// event_cache.js: /event answers (one slice with its args), by (track, id),
// in a small LRU with request dedupe. The tooltip and the details panel
// share it, so hovering a slice then clicking it fetches it once.

export class EventCache {
  /** fetchEvent(track, id) -> Promise<event JSON> */
  constructor(fetchEvent, cap = 256) {
    this.fetchEvent = fetchEvent;
    this.cap = cap;
    this.map = new Map(); // key -> event
    this.pending = new Map(); // key -> promise
  }

  /** The event if already here (no fetch). */
  peek(track, id) {
    return this.map.get(track + ":" + id);
  }

  /** A promise of the event. */
  get(track, id) {
    const key = track + ":" + id;
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.map.set(key, hit);
      return Promise.resolve(hit);
    }
    let p = this.pending.get(key);
    if (!p) {
      p = this.fetchEvent(track, id).then(
        (ev) => {
          this.pending.delete(key);
          this.map.set(key, ev);
          while (this.map.size > this.cap) this.map.delete(this.map.keys().next().value);
          return ev;
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
}
