// analysis_model.test.mjs: web/model/ for the analysis views, in node: the
// analysis part of the URL, the flame graph tree (order, zoom, layout, hit
// test, matches) and the highlight matchers.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { HERE } from "./browser.mjs";

async function load(name) {
  const src = fs.readFileSync(path.join(HERE, "..", "..", "web", "model", name), "utf8");
  return import("data:text/javascript;base64," + Buffer.from(src).toString("base64"));
}

const { decodeAnalysis, encodeAnalysis, defaultAnalysis, encodeIntSet, decodeIntSet, selectionParams, majorKey } =
  await load("analysis_state.js");
const { FlameTree, OTHER } = await load("flame.js");
const { makeHighlight } = await load("highlight.js");
const { decodeHash, encodeHash } = await load("url_state.js");

test("analysis state: defaults are left out of the URL", () => {
  assert.deepEqual(encodeAnalysis(defaultAnalysis()), {});
  assert.deepEqual(decodeAnalysis({}), defaultAnalysis());
});

test("analysis state round-trips through the hash", () => {
  const a = defaultAnalysis();
  a.view = "flame";
  a.range = [1200, 98000];
  a.threads = [0, 1, 2, 3, 7];
  a.collapsed = [21765];
  a.search = { q: "drop_in_place<T>", regex: true, caseSensitive: false, order: "time" };
  a.stats = { group: "detail", sort: "count", asc: true, filter: "^Opt", filterMode: "name", row: "memchr::foo" };
  a.flame = { view: "inverted", order: "alpha", label: "name", zoom: [{ name: 193, detail: 194 }, { name: 192, detail: 0 }], func: { name: 40, detail: 77 } };
  const hash = encodeHash({ trace: "3f6d3b694d", range: [0, 5000], selected: { track: 2, id: 245 }, extra: encodeAnalysis(a, { zz: "kept" }) });
  assert.match(hash, /v=flame/);
  assert.match(hash, /sel=1200,98000/);
  assert.match(hash, /th=0-3,7/);
  assert.match(hash, /fz=193\.194\/192\.0/);
  const back = decodeHash(hash);
  assert.equal(back.extra.zz, "kept", "keys of other views are kept");
  assert.deepEqual(decodeAnalysis(back.extra), a);
});

test("analysis state: malformed values fall back to the defaults", () => {
  const a = decodeAnalysis({ v: "bogus", sel: "9,3", th: "1-x", g: "nope", fz: "1.2/evil", ff: "1", fv: "x" });
  assert.equal(a.view, "timeline");
  assert.equal(a.range, null);
  assert.equal(a.threads, null);
  assert.equal(a.stats.group, "name");
  assert.deepEqual(a.flame.zoom, []);
  assert.equal(a.flame.func, null);
  assert.deepEqual(decodeAnalysis({ th: "none" }).threads, [], "no thread is not all threads");
});

test("int sets and selection parameters", () => {
  assert.equal(encodeIntSet([7, 3, 1, 2, 3, 0]), "0-3,7");
  assert.deepEqual(decodeIntSet("0-3,7"), [0, 1, 2, 3, 7]);
  assert.equal(decodeIntSet("5-2"), null);
  const a = defaultAnalysis();
  assert.deepEqual(selectionParams(a), {});
  a.range = [10.4, 99.6];
  a.threads = [2, 5];
  assert.deepEqual(selectionParams(a), { start: 10, end: 100, tracks: "2,5" });
  const k = majorKey(a);
  a.stats.sort = "count";
  assert.equal(majorKey(a), k, "sorting is not a new history entry");
  a.view = "stats";
  assert.notEqual(majorKey(a), k);
});

// all(100) -> A(60) -> [B(40) -> [D(10)], C(15), other(5)] ; E(40, self 40)
const FLAME = {
  view: "normal", start: 0, end: 1000, total_ns: 100,
  nodes: {
    parent: [-1, 0, 1, 2, 1, 1, 0],
    name: [0, 10, 11, 13, 12, OTHER, 14],
    detail: [0, 0, 20, 0, 0, 2, 0],
    depth: [0, 1, 2, 3, 2, 2, 1],
    total: [100, 60, 40, 10, 15, 5, 40],
    self: [0, 0, 30, 10, 15, 5, 40],
  },
  strings: { 10: "A", 11: "B", 12: "C", 13: "D", 14: "E", 20: "b::detail" },
};

test("flame tree: labels, layout and hit test", () => {
  const t = new FlameTree(FLAME);
  assert.equal(t.label(0), "all");
  assert.equal(t.label(2), "B: b::detail");
  assert.equal(t.label(5), "other (2 frames)");
  assert.equal(t.rows, 4);
  assert.deepEqual([t.x0[1], t.x1[1]], [0, 0.6]);
  assert.deepEqual([t.x0[6], t.x1[6]], [0.6, 1]);
  assert.deepEqual([t.x0[4], t.x1[4]], [0.4, 0.55]);
  assert.equal(t.hit(0.5, 2), 4);
  assert.equal(t.hit(0.58, 2), 5);
  assert.equal(t.hit(0.9, 2), -1);
  assert.equal(t.hit(0.99, 1), 6);
  assert.ok(Math.abs(t.fracOfParent(4) - 0.25) < 1e-12);
});

test("flame tree: zoom fills the width, paths resolve, alphabetical order", () => {
  const t = new FlameTree(FLAME);
  t.zoomTo(2);
  assert.deepEqual([t.x0[2], t.x1[2]], [0, 1], "the zoomed frame fills the width");
  assert.deepEqual([t.x0[1], t.x1[1]], [0, 1], "its ancestors too");
  assert.deepEqual([t.x0[3], t.x1[3]], [0, 0.25]);
  assert.ok(Number.isNaN(t.x0[6]), "frames outside the zoomed subtree are not laid out");
  const path = t.pathOf(2);
  assert.deepEqual(path, [{ name: 10, detail: 0 }, { name: 11, detail: 20 }]);
  const u = new FlameTree(FLAME, "alpha");
  assert.deepEqual(u.resolve(path), { node: 2, matched: 2 });
  assert.deepEqual(u.resolve([{ name: 10, detail: 0 }, { name: 99, detail: 0 }]), { node: 1, matched: 1 });
  assert.deepEqual(u.children(1), [2, 4, 5], "B, C, then other");
  assert.deepEqual([u.x0[4], u.x1[4]], [0.4, 0.55]);
  u.setOrder("alpha");
  assert.deepEqual(u.children(0), [1, 6]);
});

test("flame tree: matches count outermost frames once", () => {
  const t = new FlameTree(FLAME);
  const m = t.matches(new Set([10, 13]));
  assert.equal(m.nodes, 2);
  assert.equal(m.totalNs, 60, "D inside A is not counted twice");
  assert.equal(t.matches(new Set([20])).totalNs, 40, "a detail id matches");
  assert.equal(t.matches(null).nodes, 0);
});

test("highlight matchers per statistics field", () => {
  const name = makeHighlight({ field: "name", ids: [4] });
  assert.equal(name.slice(4, 9, 0), true);
  assert.equal(name.slice(5, 4, 0), false);
  const sym = makeHighlight({ field: "symbol", ids: [4, 9] });
  assert.equal(sym.slice(1, 9, 0), true, "the detail when there is one");
  assert.equal(sym.slice(4, 7, 0), false);
  assert.equal(sym.slice(4, 0, 0), true, "else the name");
  const any = makeHighlight({ ids: new Set([7]) });
  assert.equal(any.slice(1, 7, 0), true);
  assert.equal(any.slice(7, 0, 0), true);
  const tr = makeHighlight({ field: "track", ids: [3] });
  assert.equal(tr.slice(1, 1, 3), true);
  assert.equal(tr.summary(1, 2), false);
  const cat = makeHighlight({ field: "category", ids: [1] });
  assert.equal(cat.exact, false);
  const fr = makeHighlight({ field: "frame", frame: { name: 4, detail: 9 } });
  const frd = makeHighlight({ field: "frame", frame: { name: 9, detail: 0, label: "detail" } });
  assert.equal(frd.slice(4, 9), true, "label=detail: the frame id is the detail");
  assert.equal(frd.slice(9, 0), true, "or the name of a slice without detail");
  assert.equal(frd.slice(9, 5), false);
  assert.equal(fr.slice(4, 9), true);
  assert.equal(fr.slice(4, 8), false);
});
