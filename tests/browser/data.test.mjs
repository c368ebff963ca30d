// data.test.mjs: web/data/tile_cache.js and strings.js in node, with a fake
// fetch: LRU order, the byte budget, dedupe, bounded concurrency, dropping
// queued requests no frame wants, and protecting the tiles of the frame.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { HERE } from "./browser.mjs";

async function load(name) {
  const src = fs.readFileSync(path.join(HERE, "..", "..", "web", "data", name), "utf8");
  return import("data:text/javascript;base64," + Buffer.from(src).toString("base64"));
}
const { TileCache } = await load("tile_cache.js");
const { StringTable } = await load("strings.js");

/** A fake server: each tile answer is held until release(key) or releaseAll(). */
function fakeServer(bytes = 1000) {
  const waiting = new Map();
  const calls = [];
  return {
    calls,
    fetchTile(track, level, index) {
      const key = `${track}/${level}/${index}`;
      calls.push(key);
      return new Promise((resolve) => {
        waiting.set(key, () =>
          resolve({
            bytes,
            json: {
              track, level, index, t0: index * 256 * 2 ** level, bucket_ns: 2 ** level,
              slices: { id: [1], start: [0], dur: [5], depth: [0], name: [index + 1], detail: [0] },
              summaries: { bucket: [], depth: [], count: [], busy: [], longest: [], name: [] },
              instants: { bucket: [], count: [], name: [] },
              strings: { [index + 1]: "name" + index },
            },
          }),
        );
      });
    },
    inflight: () => waiting.size,
    async release(key) {
      const r = waiting.get(key);
      waiting.delete(key);
      r();
      await new Promise((res) => setTimeout(res, 0));
    },
    async releaseAll() {
      for (const k of [...waiting.keys()]) await this.release(k);
    },
  };
}

test("tile cache: dedupe, bounded concurrency, visible tiles first", async () => {
  const srv = fakeServer();
  const cache = new TileCache({ fetchTile: (...a) => srv.fetchTile(...a), concurrency: 2 });
  cache.beginFrame();
  cache.want(0, 3, 9, 1); // padding
  cache.want(0, 3, 1, 0);
  cache.want(0, 3, 1, 0); // dup
  cache.want(0, 3, 2, 0);
  cache.endFrame();
  assert.deepEqual(srv.calls, ["0/3/1", "0/3/2"], "visible first, at most 2 at once, no duplicate");
  assert.equal(cache.stats().pending, 3);
  await srv.release("0/3/1");
  assert.deepEqual(srv.calls, ["0/3/1", "0/3/2", "0/3/9"]);
  assert.ok(cache.get(0, 3, 1));
  await srv.releaseAll();
  assert.equal(cache.stats().pending, 0);
  assert.equal(cache.stats().cached, 3);
});

test("tile cache: queued requests no frame wants are dropped, in-flight ones kept", async () => {
  const srv = fakeServer();
  const cache = new TileCache({ fetchTile: (...a) => srv.fetchTile(...a), concurrency: 1 });
  cache.beginFrame();
  cache.want(0, 3, 1);
  cache.want(0, 3, 2);
  cache.endFrame();
  cache.beginFrame(); // the view moved: now only tile 7
  cache.want(0, 3, 7);
  cache.endFrame();
  assert.equal(cache.stats().queued, 1);
  await srv.releaseAll();
  await srv.releaseAll();
  assert.deepEqual(srv.calls, ["0/3/1", "0/3/7"], "tile 2 was never fetched");
  assert.ok(cache.has(0, 3, 1), "the in-flight answer is still kept");
});

test("tile cache: byte budget evicts least recently used, never the current frame's tiles", async () => {
  const srv = fakeServer(1000);
  const cache = new TileCache({ fetchTile: (...a) => srv.fetchTile(...a), budgetBytes: 3500, concurrency: 8 });
  for (const i of [1, 2, 3]) {
    cache.beginFrame();
    cache.want(0, 0, i);
    cache.endFrame();
    await srv.releaseAll();
  }
  assert.equal(cache.stats().cached, 3);
  cache.beginFrame();
  cache.get(0, 0, 1); // touch 1: now 2 is the oldest
  cache.want(0, 0, 4);
  cache.endFrame();
  await srv.releaseAll();
  assert.ok(cache.stats().bytes <= 3500, `bytes ${cache.stats().bytes}`);
  assert.ok(!cache.has(0, 0, 2), "the least recently used tile went");
  assert.ok(cache.has(0, 0, 1) && cache.has(0, 0, 3) && cache.has(0, 0, 4));

  // A frame that needs more than the budget keeps all it draws.
  cache.beginFrame();
  for (const i of [1, 3, 4]) cache.get(0, 0, i);
  for (const i of [5, 6]) cache.want(0, 0, i);
  cache.endFrame();
  await srv.releaseAll();
  for (const i of [1, 3, 4]) assert.ok(cache.has(0, 0, i), `tile ${i} drawn this frame is kept`);
});

test("string table merges tile strings and rebuilds from the cache past its cap", () => {
  const t = new StringTable(3);
  const live = [{ 1: "a" }];
  t.rebuild = () => live;
  t.merge({ 1: "a", 2: "b" });
  assert.equal(t.get(2), "b");
  assert.equal(t.get(0), "");
  t.merge({ 3: "c", 4: "d" });
  assert.equal(t.size, 1, "cleared and rebuilt from the live tiles");
  assert.equal(t.get(1), "a");
  assert.equal(t.get(4), undefined);
});

test("query cache: one request per query, parameters in any order, byte budget", async () => {
  const { QueryCache } = await load("query_cache.js");
  const calls = [];
  const q = new QueryCache(async (endpoint, params) => {
    calls.push(endpoint + JSON.stringify(params));
    return { json: { endpoint, n: calls.length }, bytes: params.big ? 4000 : 100 };
  }, 10000);
  const [a, b] = await Promise.all([q.get("stats", { group_by: "name", start: 1 }), q.get("stats", { start: 1, group_by: "name", filter: "" })]);
  assert.equal(calls.length, 1, "same query (empty parameters ignored): one fetch");
  assert.equal(a, b);
  assert.equal(q.peek("stats", { start: 1, group_by: "name" }), a);
  await q.get("flamegraph", { big: 1 }); // 12000 "bytes" parsed: over half the budget, not kept
  assert.equal(q.peek("flamegraph", { big: 1 }), undefined);
  await q.get("flamegraph", { big: 1 });
  assert.equal(calls.length, 3);
  for (let i = 0; i < 40; i++) await q.get("search", { q: "x" + i });
  assert.ok(q.stats().bytes <= 10000 && q.stats().entries <= 24, JSON.stringify(q.stats()));
  assert.equal(q.peek("stats", { start: 1, group_by: "name" }), undefined, "the oldest answers go first");
  assert.ok(q.peek("search", { q: "x39" }));
  await assert.rejects(new QueryCache(async () => Promise.reject(new Error("400 bad regex"))).get("search", { q: "(" }), /bad regex/);
});
