// model.test.mjs: web/model/ in node (no DOM, no browser).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { HERE } from "./browser.mjs";

// web/ has no package.json (it is embedded as plain files), so import the
// dependency-free model modules from their source text.
async function load(name) {
  const src = fs.readFileSync(path.join(HERE, "..", "..", "web", "model", name), "utf8");
  return import("data:text/javascript;base64," + Buffer.from(src).toString("base64"));
}

const { TimeScale, MIN_SPAN_NS } = await load("timescale.js");
const { decodeHash, encodeHash } = await load("url_state.js");
const { formatDuration, formatTime } = await load("format.js");
const { buildLayout, visibleRows, depthAt, ROW_H, PROCESS_H } = await load("track_layout.js");

test("timescale: px <-> ns, zoom around a point, pan, clamp", () => {
  const s = new TimeScale(1_000_000, 1000);
  s.set(0, 1_000_000);
  assert.equal(s.nsPerPx(), 1000);
  assert.equal(s.pxToNs(250), 250_000);
  assert.equal(s.nsToPx(500_000), 500);
  s.zoomAround(250_000, 0.5);
  assert.equal(s.span, 500_000);
  assert.equal(s.nsToPx(250_000), 250, "the point under the mouse stays put");
  s.pan(100_000);
  assert.equal(s.t0, 225_000);
  s.pan(-10_000_000);
  assert.ok(s.t0 >= -s.pad() - 1e-6, "clamped at the start");
  s.zoomAround(0, 1e-9);
  assert.equal(s.span, MIN_SPAN_NS);
  s.zoomAround(0, 1e9);
  assert.ok(s.span <= s.maxSpan());
});

test("timescale: level and tile range", () => {
  const s = new TimeScale(256 * 1024 * 10, 1000);
  s.set(0, 1024 * 1000); // 1024 ns per px
  assert.equal(s.level(40), 10);
  assert.equal(s.level(5), 5, "clamped to max_level");
  assert.deepEqual(s.tileRange(10, 256, 0), [0, 3]);
  assert.deepEqual(s.tileRange(10, 256, 1), [0, 4]);
  s.set(256 * 1024 * 9.5, 256 * 1024 * 10);
  assert.deepEqual(s.tileRange(10, 256, 1), [8, 9], "never past the last tile");
  s.set(0, 500); // < 1 ns per px
  assert.equal(s.level(40), 0);
});

test("url state round-trips and keeps unknown keys", () => {
  const st = decodeHash("#t=3f9a1c0d2e&r=786000,1572000&s=0:812&q=memchr%20foo");
  assert.equal(st.trace, "3f9a1c0d2e");
  assert.deepEqual(st.range, [786000, 1572000]);
  assert.deepEqual(st.selected, { track: 0, id: 812 });
  assert.deepEqual(st.extra, { q: "memchr foo" });
  assert.equal(encodeHash(st), "#t=3f9a1c0d2e&r=786000,1572000&s=0:812&q=memchr%20foo");
  assert.deepEqual(decodeHash("#r=5,1&s=x:y&t=../etc"), { trace: null, range: null, selected: null, extra: {} });
  assert.equal(encodeHash({ trace: "a", range: [0.4, 99.6] }), "#t=a&r=0,100");
});

test("formatting", () => {
  assert.equal(formatDuration(845), "845 ns");
  assert.equal(formatDuration(12_345_678), "12.3 ms");
  assert.equal(formatDuration(1_200_000_000), "1.20 s");
  assert.equal(formatTime(3_005_000, 1000), "3.005 ms");
  assert.equal(formatTime(20_000_000, 10_000_000), "20 ms");
  assert.equal(formatTime(0, 5), "0");
});

test("track layout: processes, threads by meta order, collapse", () => {
  const meta = {
    processes: [
      { pid: 1, name: "rustc", tracks: [
        { track: 0, kind: "thread", tid: 10, name: "main", slices: 5, max_depth: 3 },
        { track: 1, kind: "counter", name: "mem", series: "value", samples: 2, min: 0, max: 9 },
      ] },
      { pid: 2, name: null, tracks: [{ track: 2, kind: "thread", tid: 20, name: null, slices: 1, max_depth: 1 }] },
    ],
  };
  const l = buildLayout(meta);
  assert.deepEqual(l.rows.map((r) => r.kind), ["process", "thread", "counter", "process", "thread"]);
  assert.equal(l.rows[3].label, "Process 2");
  assert.equal(l.rows[4].label, "Thread 20");
  const t = l.rows[1];
  assert.equal(t.y, PROCESS_H);
  assert.equal(depthAt(t, t.y + 3 + ROW_H * 2 + 1), 2);
  assert.equal(depthAt(t, t.y + 3 + ROW_H * 3 + 1), -1);
  assert.deepEqual(visibleRows(l, 0, 1).map((r) => r.kind), ["process"]);
  const c = buildLayout(meta, new Set([1]));
  assert.deepEqual(c.rows.map((r) => r.kind), ["process", "process", "thread"]);
});
