// strings.js: string id -> text, merged from the `strings` of every tile
// (docs/api.md: a tile lists the text of each id it uses; id 0 is "").
//
// Ids are per trace, so a table belongs to one trace. The table only grows
// while tiles arrive; past `cap` entries it is cleared and the tile cache
// merges the strings of the tiles it still holds again (rebuild), so memory
// follows the cache, not the history of the session.

export class StringTable {
  constructor(cap = 200000) {
    this.map = new Map();
    this.cap = cap;
    this.rebuild = null; // set by the owner: () => iterable of strings objects
  }

  /** Adds every entry of a tile's `strings` object ({"4": "OptFunction"}). */
  merge(strings) {
    if (!strings) return;
    for (const k in strings) this.map.set(+k, strings[k]);
    if (this.map.size > this.cap && this.rebuild) {
      this.map.clear();
      for (const s of this.rebuild()) for (const k in s) this.map.set(+k, s[k]);
    }
  }

  /** The text of id, "" for 0, undefined when unknown. */
  get(id) {
    if (id === 0) return "";
    return this.map.get(id);
  }

  get size() {
    return this.map.size;
  }
}
