// timeline.test.mjs: the web viewer in a real browser against a real server.
//
//   TRACEVIEW_BIN=build/traceview node --test tests/browser/
//
// Starts `$TRACEVIEW_BIN serve A B --port 0 --quiet` (or, with TRACEVIEW_BIN
// unset, the dev mock server) on two corpus traces, drives the system
// Chromium with playwright-core, waits for window.traceviewIdle() before
// every assertion (Perfetto's idle idea) and checks pixels on the canvas
// rather than comparing screenshots. Screenshots go to artifacts/ for people.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startServer, launchBrowser, idle, viewState, HERE, CORPUS } from "./browser.mjs";
import { checkImports } from "./check_imports.mjs";

const TRACE_A = path.join(CORPUS, "rustc", "memchr-2.5.0.O0.llvm_timings.json");
const TRACE_B = path.join(CORPUS, "clang", "sqlite3-3.6.11.O2.time-trace.json");
const ARTIFACTS = path.join(HERE, "artifacts");
const VIEWPORT = { width: 1280, height: 800 };

let server;
let browser;
let page;

const have = fs.existsSync(TRACE_A) && fs.existsSync(TRACE_B);

before(async () => {
  if (!have) return;
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  [server, browser] = await Promise.all([startServer([TRACE_A, TRACE_B]), launchBrowser()]);
  page = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  page.on("pageerror", (e) => console.error("pageerror:", e.message));
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

/** Coloured (slice) pixels in the time area of the tracks canvas, and a hash of them. */
async function probe() {
  return page.evaluate(() => {
    const c = document.getElementById("cv-tracks");
    const g = c.getContext("2d");
    const st = window.traceviewState();
    const dpr = c.width / c.clientWidth;
    const x0 = Math.ceil(st.nameColumn * dpr) + 1;
    const w = c.width - x0;
    const data = g.getImageData(x0, 0, w, c.height).data;
    let colored = 0;
    let hash = 0;
    for (let i = 0; i < data.length; i += 4) {
      const r = data[i];
      const gg = data[i + 1];
      const b = data[i + 2];
      // slices are saturated pastels; background, grid and text are grey
      if (Math.max(r, gg, b) - Math.min(r, gg, b) > 24) {
        colored++;
        hash = (Math.imul(hash, 31) + ((i >> 2) % 9973) * 7 + r * 3 + gg * 5 + b) | 0;
      }
    }
    return { colored, hash, total: data.length / 4 };
  });
}

async function traceIds() {
  return page.evaluate(async () => (await (await fetch("/api/traces")).json()).traces);
}

async function shot(name) {
  await page.screenshot({ path: path.join(ARTIFACTS, name) });
}

test("web/ layering: render never fetches, data never imports views", () => {
  assert.deepEqual(checkImports(), []);
});

test("the trace list shows both served traces", { skip: !have && "corpus not found" }, async () => {
  await page.goto(server.url);
  await idle(page);
  const st = await viewState(page);
  assert.equal(st.page, "list");
  const names = await page.locator("a.trace-link .tl-name").allTextContents();
  assert.deepEqual(names.sort(), [path.basename(TRACE_A), path.basename(TRACE_B)].sort());
  await shot("list.png");
});

test("opening a trace draws slices", { skip: !have && "corpus not found" }, async () => {
  const a = (await traceIds()).find((t) => t.name === path.basename(TRACE_A));
  await page.click(`a.trace-link[data-id="${a.id}"]`);
  await idle(page);
  const st = await viewState(page);
  assert.equal(st.page, "timeline");
  assert.equal(st.trace, a.id);
  assert.ok(st.slicesDrawn > 10, `slices drawn: ${st.slicesDrawn}`);
  assert.equal(st.tiles.pending, 0);
  assert.equal(st.drawn.placeholders, 0, "no placeholder left once idle");
  const p = await probe();
  assert.ok(p.colored > 2000, `coloured pixels in the track area: ${p.colored}`);
  assert.match(await page.locator("#trace-info").textContent(), /memchr/);
  await shot("timeline.png");
});

test("W zooms and D pans, and what is drawn changes", { skip: !have && "corpus not found" }, async () => {
  const box = await page.locator("#cv-tracks").boundingBox();
  await page.mouse.move(box.x + box.width * 0.6, box.y + 60);
  await idle(page);
  const s0 = await viewState(page);
  const p0 = await probe();

  await page.keyboard.press("w");
  await idle(page);
  const s1 = await viewState(page);
  const p1 = await probe();
  const span0 = s0.t1 - s0.t0;
  const span1 = s1.t1 - s1.t0;
  assert.ok(span1 < span0 * 0.9, `W zooms in: span ${span0} -> ${span1}`);
  assert.ok(s1.nsPerPx < s0.nsPerPx);
  assert.notEqual(p1.hash, p0.hash, "the picture changes after zooming");
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press("w");
    await idle(page);
  }
  const s2 = await viewState(page);
  assert.ok(s2.level < s0.level, `finer tiles after zooming: level ${s0.level} -> ${s2.level}`);
  assert.ok(s2.slicesDrawn > 0);
  const p2 = await probe();

  await page.keyboard.press("d");
  await idle(page);
  const s3 = await viewState(page);
  const p3 = await probe();
  assert.ok(s3.t0 > s2.t0, `D pans right: t0 ${s2.t0} -> ${s3.t0}`);
  assert.ok(Math.abs(s3.t1 - s3.t0 - (s2.t1 - s2.t0)) < 1, "panning keeps the span");
  assert.notEqual(p3.hash, p2.hash, "the picture changes after panning");
  assert.ok(p3.colored > 500, `still drawing slices after pan: ${p3.colored}`);
  assert.equal(s3.drawn.placeholders, 0);
  await shot("zoomed.png");
});

test("clicking a slice selects it and shows its args", { skip: !have && "corpus not found" }, async () => {
  const st = await viewState(page);
  assert.ok(st.sample, "a slice to click");
  const box = await page.locator("#cv-tracks").boundingBox();
  await page.mouse.click(box.x + st.sample.x, box.y + st.sample.y);
  await idle(page);
  const s1 = await viewState(page);
  assert.ok(s1.selected, "selected");
  assert.equal(s1.selected.track, st.sample.track);
  assert.equal(s1.selected.id, st.sample.id);
  assert.equal(s1.detailsOpen, true);
  const details = page.locator("#details");
  await details.locator("h3", { hasText: /^Args/ }).waitFor();
  const keys = await details.locator("table.args th").allTextContents();
  assert.ok(keys.includes("detail"), `args keys: ${keys}`);
  assert.ok((await details.locator(".dp-title").textContent()).length > 0);
  assert.match(page.url(), new RegExp(`s=${st.sample.track}:${st.sample.id}`), "selection is in the URL");
  await shot("details.png");

  // The parent chain is clickable: the first parent becomes the selection.
  assert.ok(st.sample.depth > 0, "the sample is a nested slice");
  const parents = details.locator(".dp-parents button");
  assert.equal(await parents.count(), st.sample.depth);
  await parents.first().click();
  await idle(page);
  const sp = await viewState(page);
  assert.equal(sp.selected.depth, st.sample.depth - 1, "the parent is one level up");
  assert.notEqual(sp.selected.id, st.sample.id);
  // Click again (the panel narrowed the canvas: use the latest frame's sample).
  const again = (await viewState(page)).sample;
  await page.mouse.click(box.x + again.x, box.y + again.y);
  await idle(page);
  const s1b = await viewState(page);
  assert.deepEqual([s1b.selected.track, s1b.selected.id], [again.track, again.id]);

  // The URL restores the same view in a fresh page.
  const url = page.url();
  const other = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  try {
    await other.goto(url);
    await idle(other);
    const s2 = await viewState(other);
    assert.ok(Math.abs(s2.t0 - s1b.t0) <= 1 && Math.abs(s2.t1 - s1b.t1) <= 1, `range restored: ${s2.t0},${s2.t1} vs ${s1b.t0},${s1b.t1}`);
    assert.deepEqual([s2.selected.track, s2.selected.id], [s1b.selected.track, s1b.selected.id]);
    assert.equal(s2.detailsOpen, true);
  } finally {
    await other.close();
  }

  await page.keyboard.press("Escape");
  await idle(page);
  const s3 = await viewState(page);
  assert.equal(s3.detailsOpen, false);
  assert.equal(s3.selected, null);
});

test("the second trace appears in the list and loads", { skip: !have && "corpus not found" }, async () => {
  await page.goto(server.url);
  await idle(page);
  const b = (await traceIds()).find((t) => t.name === path.basename(TRACE_B));
  await page.click(`a.trace-link[data-id="${b.id}"]`);
  await idle(page);
  const st = await viewState(page);
  assert.equal(st.page, "timeline");
  assert.equal(st.trace, b.id);
  assert.ok(st.slicesDrawn > 10);
  assert.ok((await probe()).colored > 2000);
  assert.match(await page.locator("#trace-info").textContent(), /sqlite3/);
  await shot("second.png");
});

test("drag pans, ctrl+wheel zooms at the mouse, 0 fits, a process collapses", { skip: !have && "corpus not found" }, async () => {
  const box = await page.locator("#cv-tracks").boundingBox();
  const mx = box.x + box.width * 0.7;
  const my = box.y + 40;
  await page.mouse.move(mx, my);
  const s0 = await viewState(page);
  // ctrl + wheel: zoom in, keeping the time under the mouse in place
  const tMouse = s0.t0 + (mx - box.x - s0.nameColumn) * s0.nsPerPx;
  await page.keyboard.down("Control");
  await page.mouse.wheel(0, -300);
  await page.keyboard.up("Control");
  await idle(page);
  const s1 = await viewState(page);
  assert.ok(s1.t1 - s1.t0 < (s0.t1 - s0.t0) * 0.8, "zoomed in");
  const tMouse1 = s1.t0 + (mx - box.x - s1.nameColumn) * s1.nsPerPx;
  assert.ok(Math.abs(tMouse1 - tMouse) < s0.nsPerPx * 2, `the time under the mouse stays: ${tMouse} vs ${tMouse1}`);
  // drag right by 200 px: earlier times come into view
  await page.mouse.down();
  await page.mouse.move(mx + 100, my, { steps: 4 });
  await page.mouse.move(mx + 200, my, { steps: 4 });
  await page.mouse.up();
  await idle(page);
  const s2 = await viewState(page);
  assert.ok(Math.abs(s1.t0 - s2.t0 - 200 * s1.nsPerPx) < s1.nsPerPx * 2, `dragged by 200 px: ${s1.t0} -> ${s2.t0}`);
  assert.equal(s2.selected, null, "a drag is not a click");
  // 0: zoom to fit
  await page.keyboard.press("0");
  await idle(page);
  const s3 = await viewState(page);
  assert.ok(s3.t0 <= 0 && s3.t1 >= s3.duration, `fit: ${s3.t0}..${s3.t1} of ${s3.duration}`);
  assert.ok(Math.abs(s3.t1 - s3.t0 - (s0.t1 - s0.t0)) < 1, "fit shows the whole trace again");
  // click the process header in the name column: its threads collapse
  const rowsBefore = s3.drawn.rows;
  await page.mouse.click(box.x + 40, box.y + 10);
  await idle(page);
  const s4 = await viewState(page);
  assert.ok(s4.drawn.rows < rowsBefore, `collapsed: ${rowsBefore} -> ${s4.drawn.rows} rows`);
  assert.equal(s4.slicesDrawn, 0);
  await page.mouse.click(box.x + 40, box.y + 10);
  await idle(page);
  assert.ok((await viewState(page)).slicesDrawn > 0, "expanded again");
});
