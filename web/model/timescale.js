// timescale.js: the visible time range and its mapping to pixels.
//
// Spaces (speedscope's habit of naming them): "ns" is time in nanoseconds
// after the trace origin, "px" is CSS pixels from the left edge of the
// timeline area (not the canvas: the name column is not time). No DOM here.
//
// Invariants, kept by clamp():
//   (1) t1 - t0 >= MIN_SPAN_NS, and t1 - t0 <= the padded trace duration;
//   (2) [t0, t1] stays inside [-pad, duration + pad] (pad: FIT_PAD of it).
// Tiles (docs/api.md): level L has buckets of 2^L ns, a tile holds
// `buckets` of them; L = floor(log2(ns per px)) so a bucket is about a pixel.

export const MIN_SPAN_NS = 50;
const FIT_PAD = 0.01;

export class TimeScale {
  /** durationNs: trace length; widthPx: width of the timeline area. */
  constructor(durationNs, widthPx = 1000) {
    this.duration = Math.max(1, durationNs);
    this.width = Math.max(1, widthPx);
    this.t0 = 0;
    this.t1 = this.duration;
    this.fit();
  }

  setWidth(px) {
    this.width = Math.max(1, px);
  }

  get span() {
    return this.t1 - this.t0;
  }

  nsPerPx() {
    return this.span / this.width;
  }

  nsToPx(t) {
    return ((t - this.t0) * this.width) / this.span;
  }

  pxToNs(x) {
    return this.t0 + (x * this.span) / this.width;
  }

  pad() {
    return this.duration * FIT_PAD;
  }

  /** Shows the whole trace with a small margin on both sides. */
  fit() {
    const p = this.pad();
    this.t0 = -p;
    this.t1 = this.duration + p;
    return this;
  }

  /** Sets the range (then clamps it); returns this. */
  set(t0, t1) {
    if (!(Number.isFinite(t0) && Number.isFinite(t1)) || t1 <= t0) return this;
    this.t0 = t0;
    this.t1 = t1;
    return this.clamp();
  }

  /** factor < 1 zooms in; the time under `atNs` stays under the same pixel. */
  zoomAround(atNs, factor) {
    if (!(factor > 0)) return this;
    const span = Math.min(this.maxSpan(), Math.max(MIN_SPAN_NS, this.span * factor));
    const f = (atNs - this.t0) / this.span;
    this.t0 = atNs - f * span;
    this.t1 = this.t0 + span;
    return this.clamp();
  }

  /** Moves the range by dNs (positive: later). */
  pan(dNs) {
    this.t0 += dNs;
    this.t1 += dNs;
    return this.clamp();
  }

  panPx(dPx) {
    return this.pan(dPx * this.nsPerPx());
  }

  /** Centres the range on t, keeping its span. */
  centerOn(t) {
    return this.pan(t - (this.t0 + this.t1) / 2);
  }

  /** Shows [a, b] with a margin of `margin` (a fraction of b - a) around it. */
  reveal(a, b, margin = 0.1) {
    const len = Math.max(MIN_SPAN_NS, b - a);
    return this.set(a - len * margin, b + len * margin);
  }

  maxSpan() {
    return this.duration + 2 * this.pad();
  }

  clamp() {
    let span = Math.min(this.maxSpan(), Math.max(MIN_SPAN_NS, this.t1 - this.t0));
    const lo = -this.pad();
    const hi = this.duration + this.pad();
    let t0 = this.t0;
    if (t0 < lo) t0 = lo;
    if (t0 + span > hi) t0 = hi - span;
    this.t0 = t0;
    this.t1 = t0 + span;
    return this;
  }

  /** Tile level for the current zoom, clamped to [0, maxLevel]. */
  level(maxLevel) {
    const npp = this.nsPerPx();
    const l = npp >= 1 ? Math.floor(Math.log2(npp)) : 0;
    return Math.max(0, Math.min(maxLevel, l));
  }

  /** Visible tile indices [first, last] at `level`, padded by `padTiles`
   *  each side and clamped to the tiles that exist in [0, duration]. */
  tileRange(level, buckets, padTiles = 1) {
    const tileNs = buckets * 2 ** level;
    const last = Math.floor((this.duration - 1) / tileNs);
    const a = Math.floor(this.t0 / tileNs) - padTiles;
    const b = Math.floor(this.t1 / tileNs) + padTiles;
    return [Math.max(0, a), Math.min(last, b)];
  }

  equals(o) {
    return o && o.t0 === this.t0 && o.t1 === this.t1 && o.width === this.width;
  }

  snapshot() {
    return { t0: this.t0, t1: this.t1, width: this.width };
  }
}

/** Floor of log2 for positive n (used by tests and renderers). */
export function levelFor(nsPerPx, maxLevel) {
  const l = nsPerPx >= 1 ? Math.floor(Math.log2(nsPerPx)) : 0;
  return Math.max(0, Math.min(maxLevel, l));
}
