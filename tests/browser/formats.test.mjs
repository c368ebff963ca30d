// formats.test.mjs: one trace of each input format, opened in a real browser
// against the real server (`$TRACEVIEW_BIN serve FILE`), checking that the
// right views render: flow arrows and async lanes (Chrome JSON), sample marks
// and sample counts (perf script, cpuprofile), no timeline but a flame graph
// (folded stacks), spans lanes (Jaeger). Assertions go through the test hooks
// (window.traceviewState()), not pixels.
//
// A format whose reader is not in this binary yet (`traceview info FILE`
// fails) skips with the reader's message; the test passes once it is merged.
// Without TRACEVIEW_BIN the whole file skips (the mock has no /flows,
// /flamegraph or /stats).
//
// The sampled-profile and no-timeline front end is also checked on a Chrome
// trace whose /meta and tiles are rewritten in the browser (page.route), so
// those views are covered before any sampled reader lands.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { startServer, launchBrowser, idle, viewState, HERE, CORPUS } from "./browser.mjs";

const ARTIFACTS = path.join(HERE, "artifacts");
const VIEWPORT = { width: 1280, height: 800 };
const BIN = process.env.TRACEVIEW_BIN;

const FILES = {
  flows: path.join(CORPUS, "catapult", "flow_simple.json"),
  async: path.join(CORPUS, "catapult", "nestable_async.json"),
  perf: path.join(CORPUS, "perf", "xz-fp.perf.txt"),
  folded: path.join(CORPUS, "perf", "xz-fp.folded"),
  cpuprofile: path.join(CORPUS, "node", "terser-lodash.cpuprofile"),
  jaeger: path.join(CORPUS, "jaeger", "jaeger-ui-TraceFlamegraph-testTrace.json"),
};

/** false when FILE can be served, else why the test skips. */
function skipFor(file, what) {
  if (!BIN) return "needs the real server (TRACEVIEW_BIN)";
  if (!fs.existsSync(file)) return "corpus file not found: " + file;
  const r = spawnSync(BIN, ["info", file], { encoding: "utf8", timeout: 60000 });
  if (r.status !== 0) {
    const msg = (r.stderr || r.stdout || "").trim().split("\n")[0];
    return `this binary cannot read ${what} yet (traceview info: ${msg}); passes once that reader is merged`;
  }
  return false;
}

let browser;

before(async () => {
  if (!BIN) return;
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
});

/** Serves `file`, opens it in a fresh page; returns {page, server, meta, done()}. */
async function open(file, { route } = {}) {
  const server = await startServer([file]);
  const page = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  if (route) await route(page);
  await page.goto(server.url);
  await idle(page, 60000);
  const st = await viewState(page);
  assert.equal(st.page, "timeline", "the trace opens (one trace: no list page)");
  const meta = await page.evaluate(async (id) => (await fetch(`/api/traces/${id}/meta`)).json(), st.trace);
  return {
    page,
    server,
    meta,
    errors,
    done: async () => {
      await page.close();
      await server.stop();
      assert.deepEqual(errors, [], "no page errors");
    },
  };
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, name) });
}

async function key(page, k) {
  await page.keyboard.press(k);
  await idle(page);
}

test("Chrome JSON with flows: arrows drawn, L hides them, the selected slice's arrows highlighted", { skip: skipFor(FILES.flows, "Chrome JSON") }, async () => {
  const { page, meta, done } = await open(FILES.flows);
  assert.ok(meta.counts.flows > 0, "the server reports flows");
  let st = await viewState(page);
  assert.equal(st.view, "timeline");
  assert.ok(st.drawn.slices > 0, "slices drawn");
  assert.equal(st.flows.loaded, meta.counts.flows, "every flow of this small trace loaded");
  assert.equal(st.flows.truncated, false);
  assert.equal(st.drawn.flows, meta.counts.flows, "every flow drawn at the full view");
  assert.match(await page.locator("#tl-status").textContent(), /flow arrow/);
  await shot(page, "flows.png");

  // L hides and shows them again
  await page.mouse.move(700, 400);
  await key(page, "l");
  st = await viewState(page);
  assert.equal(st.flows.on, false);
  assert.equal(st.drawn.flows, 0);
  assert.match(await page.locator("#tl-status").textContent(), /hidden/);
  await key(page, "l");
  st = await viewState(page);
  assert.equal(st.drawn.flows, meta.counts.flows);

  // select the slice a flow starts from: its arrows are highlighted
  const j = await page.evaluate(async (id) => (await fetch(`/api/traces/${id}/flows`)).json(), st.trace);
  const end = j.flows.find((f) => f.from.depth >= 0).from;
  const found = await page.evaluate(
    async ([id, e]) => {
      const t = await (await fetch(`/api/traces/${id}/tile?track=${e.track}&level=0&index=${Math.floor(e.ts / 256)}`)).json();
      const s = t.slices;
      for (let k = 0; k < s.id.length; k++) if (s.start[k] <= e.ts && e.ts <= s.start[k] + s.dur[k] && s.depth[k] <= e.depth) return { track: e.track, id: s.id[k] };
      return null;
    },
    [st.trace, end],
  );
  assert.ok(found, "the slice under a flow's start");
  await page.evaluate(([tr, ref]) => {
    location.hash = `#t=${tr}&s=${ref.track}:${ref.id}`;
  }, [st.trace, found]);
  await idle(page);
  await page.waitForFunction(() => window.traceviewState().selected && window.traceviewState().selected.start != null);
  await idle(page);
  st = await viewState(page);
  assert.ok(st.drawn.flowsHighlighted >= 1, "an arrow of the selected slice is highlighted");
  await shot(page, "flows-selected.png");
  await done();
});

test("Chrome JSON with nestable async events: async lanes under their process", { skip: skipFor(FILES.async, "Chrome JSON") }, async () => {
  const { page, meta, done } = await open(FILES.async);
  const lanes = meta.processes.flatMap((p) => p.tracks).filter((t) => t.lane === "async");
  assert.ok(lanes.length > 0, "the server reports async lanes");
  const st = await viewState(page);
  assert.equal(st.lanes.async, lanes.length, "every lane has a row");
  assert.ok(st.drawn.slices > 0, "async slices drawn");
  // the track tooltip names the lane
  const box = await page.locator("#cv-tracks").boundingBox();
  await page.mouse.move(box.x + 120, box.y + 26 + 10);
  await idle(page);
  assert.match(await page.locator("#tooltip").textContent(), /async slices of this process/);
  await shot(page, "async-lanes.png");
  await done();
});

test("perf script: timeline with sample marks, sample counts in flame graph and statistics", { skip: skipFor(FILES.perf, "perf script") }, async () => {
  const { page, meta, done } = await open(FILES.perf);
  assert.ok(meta.sample_ns > 0, "a sampled profile");
  let st = await viewState(page);
  assert.equal(st.view, "timeline");
  assert.ok(st.drawn.slices + st.drawn.summaries > 0, "stacks drawn");
  assert.ok(st.drawn.samples > 0, "sample marks drawn");
  await shot(page, "perf-timeline.png");
  await key(page, "2");
  st = await viewState(page);
  assert.equal(st.view, "flame");
  assert.ok(st.flame.loaded && st.flame.samples > 0, "the flame graph counts samples");
  assert.match(st.flame.info, /samples/);
  await key(page, "3");
  st = await viewState(page);
  assert.ok(st.stats.loaded && st.stats.rows > 0);
  assert.match(st.stats.info, /samples/);
  assert.ok((await page.locator("#st-table .st-samples").count()) > 0, "sample counts next to times");
  await shot(page, "perf-stats.png");
  await done();
});

test("folded stacks: no timeline, a note, the flame graph by default; statistics and search work", { skip: skipFor(FILES.folded, "folded stacks") }, async () => {
  const { page, meta, done } = await open(FILES.folded);
  assert.equal(meta.has_timeline, false);
  await checkNoTimeline(page, meta);
  await done();
});

test("cpuprofile: timeline of the V8 samples, sample counts", { skip: skipFor(FILES.cpuprofile, "V8 .cpuprofile") }, async () => {
  const { page, meta, done } = await open(FILES.cpuprofile);
  let st = await viewState(page);
  assert.equal(st.view, "timeline");
  assert.ok(st.drawn.slices + st.drawn.summaries > 0, "stacks drawn");
  if (meta.counts.samples > 0) assert.ok(st.drawn.samples > 0, "sample marks drawn");
  await shot(page, "cpuprofile.png");
  await key(page, "2");
  st = await viewState(page);
  assert.ok(st.flame.loaded && st.flame.totalNs > 0);
  if (meta.sample_ns > 0) assert.match(st.flame.info, /samples/);
  await done();
});

test("Jaeger JSON: spans on lanes under their service", { skip: skipFor(FILES.jaeger, "Jaeger JSON") }, async () => {
  const { page, meta, done } = await open(FILES.jaeger);
  const lanes = meta.processes.flatMap((p) => p.tracks).filter((t) => t.lane === "spans");
  assert.ok(lanes.length > 0, "the server reports spans lanes");
  const st = await viewState(page);
  assert.equal(st.lanes.spans, lanes.length);
  assert.ok(st.drawn.slices + st.drawn.summaries > 0, "spans drawn");
  await shot(page, "jaeger.png");
  await done();
});

// ---------------------------------------------------------------- the front end of sampled profiles, before their readers

/** Rewrites /meta (fields) and thread tiles (a sample mark every 16 buckets) in the page. */
function fakeSampled(fields) {
  return async (page) => {
    await page.route(/\/api\/traces\/[^/]+\/(meta|tile)\?*/, async (route) => {
      const res = await route.fetch();
      const j = await res.json();
      const url = route.request().url();
      if (/\/meta/.test(url)) {
        Object.assign(j, fields);
        j.counts.samples = 1000;
        for (const p of j.processes) for (const t of p.tracks) if (t.kind === "thread") t.samples = 50;
      } else if (j.slices) {
        const b = [];
        for (let k = 0; k < 256; k += 16) b.push(k);
        const name = j.slices.name.length ? j.slices.name[0] : 0;
        j.samples = { bucket: b, count: b.map((k) => 1 + (k % 5)), name: b.map(() => name) };
      }
      await route.fulfill({ response: res, json: j });
    });
  };
}

test("sampled profile (rewritten Chrome trace): sample marks with a tooltip, sample counts next to times", { skip: skipFor(FILES.flows, "Chrome JSON") }, async () => {
  const { page, meta, done } = await open(FILES.flows, { route: fakeSampled({ sample_ns: 1000, sample_weight: 3000 }) });
  assert.equal(meta.sample_ns, 1000);
  let st = await viewState(page);
  assert.ok(st.drawn.samples > 0, "sample marks drawn");
  // hover the strip at the bottom of the first thread row: a sample tooltip
  const found = await page.evaluate(() => {
    const s = window.traceviewState();
    return s.sample;
  });
  assert.ok(found, "a slice to find the row by");
  const box = await page.locator("#cv-tracks").boundingBox();
  // the first thread row: 26 px process header, then 3 + 18 + 5 px; the strip is its last 4 px
  let shown = false;
  for (let x = 240; x < 1270 && !shown; x += 8) {
    await page.mouse.move(box.x + x, box.y + 26 + 26 - 3);
    await idle(page);
    shown = /Samples/.test(await page.locator("#tooltip").textContent()) && (await viewState(page)).tooltipVisible;
  }
  assert.ok(shown, "a sample mark shows its tooltip");
  await shot(page, "samples-tooltip.png");
  await key(page, "2");
  st = await viewState(page);
  assert.equal(st.flame.samples, Math.round(st.flame.totalNs / 1000));
  assert.match(st.flame.info, /samples/);
  await key(page, "3");
  st = await viewState(page);
  assert.match(st.stats.info, /samples/);
  assert.ok((await page.locator("#st-table .st-samples").count()) > 0);
  await shot(page, "samples-stats.png");
  await done();
});

test("no timeline (rewritten Chrome trace): the note, the flame graph by default", { skip: skipFor(FILES.flows, "Chrome JSON") }, async () => {
  const { page, meta, done } = await open(FILES.flows, { route: fakeSampled({ sample_ns: 1000, sample_weight: 3000, has_timeline: false, format: "folded" }) });
  await checkNoTimeline(page, meta);
  await done();
});

async function checkNoTimeline(page, meta) {
  let st = await viewState(page);
  assert.equal(st.view, "flame", "the flame graph opens by default");
  assert.equal(st.hasTimeline, false);
  assert.match(st.noTimelineNote || "", /no timestamps/);
  assert.equal(await page.locator("#tl-main").isVisible(), false, "no empty timeline");
  assert.equal(await page.locator("#tl-note").isVisible(), true);
  assert.ok(st.flame.loaded && st.flame.totalNs > 0, "the flame graph is drawn");
  if (meta.sample_ns > 0) assert.match(st.flame.info, /samples/);
  assert.equal(st.tiles.loaded, 0, "no tiles asked for");
  await shot(page, "no-timeline.png");
  // "1" does not open an empty timeline; statistics and search work
  await key(page, "1");
  assert.equal((await viewState(page)).view, "flame");
  await key(page, "3");
  st = await viewState(page);
  assert.equal(st.view, "stats");
  assert.ok(st.stats.loaded && st.stats.rows > 0, "statistics rows");
  const first = st.stats.firstKeys[0];
  await page.keyboard.press("/");
  await page.keyboard.type(first.slice(0, 4));
  await page.keyboard.press("Enter");
  await idle(page);
  st = await viewState(page);
  assert.ok(st.search.count > 0, "search finds frames");
  await shot(page, "no-timeline-stats.png");
}
