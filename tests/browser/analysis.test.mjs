// analysis.test.mjs: the analysis views (range selection, flame graph,
// statistics, search, shared links, history) in a real browser against the
// real server: `$TRACEVIEW_BIN serve` (the mock implements none of
// /flamegraph, /stats, /search, so without TRACEVIEW_BIN this file skips).
// Every number the page shows is checked against a direct API call with the
// same selection. Screenshots for people go to artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startServer, launchBrowser, idle, viewState, HERE, CORPUS } from "./browser.mjs";

const TRACE = path.join(CORPUS, "rustc", "memchr-2.5.0.O0.llvm_timings.json");
const ARTIFACTS = path.join(HERE, "artifacts");
const VIEWPORT = { width: 1280, height: 800 };

const skip = !process.env.TRACEVIEW_BIN ? "needs the real server (TRACEVIEW_BIN)" : !fs.existsSync(TRACE) ? "corpus not found" : false;

let server;
let browser;
let context;
let page;
let traceId;

before(async () => {
  if (skip) return;
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  [server, browser] = await Promise.all([startServer([TRACE]), launchBrowser()]);
  context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.origin });
  page = await context.newPage();
  page.on("pageerror", (e) => console.error("pageerror:", e.message));
  await page.goto(server.url);
  await idle(page);
  traceId = (await viewState(page)).trace;
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

/** A direct API call from the page (same origin). */
async function apiGet(endpoint, params) {
  const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null)).toString();
  return page.evaluate(async (u) => (await fetch(u)).json(), `/api/traces/${traceId}/${endpoint}${qs ? "?" + qs : ""}`);
}

function sel(st) {
  return st.range ? { start: st.range[0], end: st.range[1] } : {};
}

async function shot(name, p = page) {
  await p.screenshot({ path: path.join(ARTIFACTS, name) });
}

async function shiftDrag(fromX, toX, y) {
  const box = await page.locator("#cv-tracks").boundingBox();
  await page.keyboard.down("Shift");
  await page.mouse.move(box.x + fromX, box.y + y);
  await page.mouse.down();
  await page.mouse.move(box.x + (fromX + toX) / 2, box.y + y, { steps: 4 });
  await page.mouse.move(box.x + toX, box.y + y, { steps: 4 });
  await page.mouse.up();
  await page.keyboard.up("Shift");
  await idle(page);
}

test("the flame graph follows a range selected with Shift+drag and with the ruler", { skip }, async () => {
  await page.click('.tab[data-view="flame"]');
  await idle(page);
  const s0 = await viewState(page);
  assert.equal(s0.view, "flame");
  assert.match(page.url(), /[#&]v=flame/);
  assert.ok(s0.flame.loaded && s0.flame.drawn.frames > 10, `frames drawn: ${s0.flame.drawn.frames}`);
  const whole = await apiGet("flamegraph", {});
  assert.equal(s0.flame.totalNs, whole.nodes.total[0], "whole-trace total as the API gives it");

  // Shift+drag over the second half of the time area
  const x0 = s0.nameColumn;
  await shiftDrag(x0 + 520, x0 + 900, 100);
  const s1 = await viewState(page);
  assert.ok(s1.range, "a range is selected");
  assert.ok(s1.range[1] - s1.range[0] > 0.2 * s1.duration, `range ${s1.range}`);
  assert.match(page.url(), new RegExp(`sel=${s1.range[0]},${s1.range[1]}`));
  assert.deepEqual([s1.flame.start, s1.flame.end], s1.range, "the flame graph covers the range");
  const api1 = await apiGet("flamegraph", sel(s1));
  assert.equal(s1.flame.totalNs, api1.nodes.total[0], "flame total equals the API's for the range");
  assert.ok(s1.flame.totalNs < s0.flame.totalNs, `the total follows the range: ${s0.flame.totalNs} -> ${s1.flame.totalNs}`);
  assert.match(await page.locator(".range-chip").textContent(), /ms/, "the range's duration is shown");

  // a drag on the time ruler selects another range
  const rb = await page.locator("#cv-ruler").boundingBox();
  await page.mouse.move(rb.x + x0 + 100, rb.y + 12);
  await page.mouse.down();
  await page.mouse.move(rb.x + x0 + 300, rb.y + 12, { steps: 5 });
  await page.mouse.move(rb.x + x0 + 560, rb.y + 12, { steps: 5 });
  await page.mouse.up();
  await idle(page);
  const s2 = await viewState(page);
  assert.ok(s2.range && s2.range[0] < s1.range[0], `ruler drag: ${s2.range}`);
  const api2 = await apiGet("flamegraph", sel(s2));
  assert.equal(s2.flame.totalNs, api2.nodes.total[0]);
  assert.notEqual(s2.flame.totalNs, s1.flame.totalNs);
  // back to the first range for the rest (Shift+drag again)
  await shiftDrag(x0 + 520, x0 + 900, 100);
  assert.deepEqual((await viewState(page)).range, s1.range);
});

test("clicking a frame zooms into it: it fills the width, a breadcrumb leads back", { skip }, async () => {
  const s0 = await viewState(page);
  const sample = s0.flame.sample;
  assert.ok(sample, "a frame to click");
  const box = await page.locator("#cv-flame").boundingBox();
  // hover: total, self, % of all, % of parent
  await page.mouse.move(box.x + sample.x, box.y + sample.y);
  await idle(page);
  const tip = await page.locator("#tooltip").textContent();
  assert.match(tip, /Total.*% of all/s);
  assert.match(tip, /Self/);
  assert.match(tip, /Of parent/);
  await page.mouse.click(box.x + sample.x, box.y + sample.y);
  await idle(page);
  const s1 = await viewState(page);
  assert.equal(s1.flame.zoom.label, sample.label);
  assert.equal(s1.flame.zoom.depth, sample.depth);
  assert.ok(s1.flame.breadcrumb.length >= 2, `breadcrumb: ${s1.flame.breadcrumb}`);
  assert.equal(s1.flame.breadcrumb[0], "all");
  assert.equal(s1.flame.breadcrumb.at(-1), sample.label);
  assert.ok(Math.abs(s1.flame.zoomRect.x) < 1 && Math.abs(s1.flame.zoomRect.w - s1.flame.width) < 1, `zoomed frame rect ${JSON.stringify(s1.flame.zoomRect)} of ${s1.flame.width}`);
  assert.match(page.url(), /fz=\d+\.\d+/);
  await page.mouse.move(box.x + 5, box.y + 5);
  await shot("flamegraph.png");
  // the breadcrumb's "all" zooms back out; Back returns to the zoomed frame
  await page.locator("#fg-crumbs button.crumb", { hasText: "all" }).click();
  await idle(page);
  assert.equal((await viewState(page)).flame.zoom.node, 0);
  await page.goBack();
  await idle(page);
  const s2 = await viewState(page);
  assert.equal(s2.flame.zoom.label, sample.label, "Back restores the zoom");
});

test("inverted view and the sandwich of one frame", { skip }, async () => {
  await page.click('#fg-toolbar .seg-btn[data-value="inverted"]');
  await idle(page);
  const s1 = await viewState(page);
  assert.equal(s1.flame.view, "inverted");
  const inv = await apiGet("flamegraph", { ...sel(s1), view: "inverted" });
  assert.equal(s1.flame.totalNs, inv.nodes.total[0]);
  await page.click('#fg-toolbar .seg-btn[data-value="normal"]');
  await idle(page);
  // right-click the zoomed frame's sample -> callers and callees
  const s2 = await viewState(page);
  const box = await page.locator("#cv-flame").boundingBox();
  const z = s2.flame.zoomRect;
  await page.mouse.click(box.x + z.x + z.w / 2, box.y + z.y + z.h / 2, { button: "right" });
  await page.locator("#fg-menu .menu-item", { hasText: "Callers and callees" }).click();
  await idle(page);
  const s3 = await viewState(page);
  assert.equal(s3.flame.view, "sandwich");
  assert.equal(s3.flame.func, s2.flame.zoom.label);
  assert.ok(s3.flame.callers.nodes > 1 && s3.flame.callees.nodes > 1);
  await shot("sandwich.png");
  await page.click('#fg-toolbar .seg-btn[data-value="normal"]');
  await idle(page);
  assert.equal((await viewState(page)).flame.view, "normal");
});

test("statistics follow the range; grouping, sorting and a row click", { skip }, async () => {
  await page.keyboard.press("3");
  await idle(page);
  const s0 = await viewState(page);
  assert.equal(s0.view, "stats");
  const api0 = await apiGet("stats", { ...sel(s0), group_by: "name", top: 500 });
  assert.equal(s0.stats.events, api0.events);
  assert.equal(s0.stats.totalNs, api0.total_ns);
  assert.deepEqual(s0.stats.firstKeys, api0.rows.slice(0, 5).map((r) => r.key));
  const whole = await apiGet("stats", { group_by: "name" });
  assert.ok(s0.stats.events < whole.events, "statistics cover the range only");

  await page.click('#st-toolbar .seg-btn[data-value="detail"]');
  await idle(page);
  const s1 = await viewState(page);
  assert.equal(s1.stats.group, "detail");
  assert.match(page.url(), /[#&]g=detail/);
  const api1 = await apiGet("stats", { ...sel(s1), group_by: "detail", top: 500 });
  assert.deepEqual(s1.stats.firstKeys, api1.rows.slice(0, 5).map((r) => r.key));
  assert.equal(await page.locator("table.stats tbody tr").count(), api1.rows.length);

  // sort by count (server), then flip the direction (client)
  await page.click('table.stats th[data-sort="count"]');
  await idle(page);
  const counts = async () => (await page.locator("table.stats tbody tr td:nth-child(2)").allTextContents()).map((t) => +t.replace(/,/g, ""));
  const c1 = await counts();
  assert.deepEqual(c1, [...c1].sort((a, b) => b - a), "descending by count");
  await page.click('table.stats th[data-sort="count"]');
  await idle(page);
  const c2 = await counts();
  assert.deepEqual(c2, [...c2].sort((a, b) => a - b), "ascending after a second click");
  await page.click('table.stats th[data-sort="total"]');
  await idle(page);

  // client-side key filter
  await page.selectOption("#st-toolbar select", "key");
  await page.fill("#st-toolbar .filter-input", "memchr");
  await idle(page);
  const keys = await page.locator("table.stats tbody td.key").allTextContents();
  assert.ok(keys.length > 0 && keys.every((k) => k.toLowerCase().includes("memchr")), `filtered keys: ${keys.length}`);
  await shot("stats.png");
  await page.fill("#st-toolbar .filter-input", "");
  await page.selectOption("#st-toolbar select", "name");
  await idle(page);

  // a row: highlight its slices on the timeline, jump to its longest one
  const row = api1.rows[0];
  await page.locator(`table.stats tbody tr[data-key="${row.key.replace(/"/g, '\\"')}"]`).click();
  await idle(page);
  const s2 = await viewState(page);
  assert.equal(s2.highlight.source, "stats");
  assert.equal(s2.highlight.field, row.match.field);
  assert.deepEqual([s2.selected.track, s2.selected.id], [row.longest.track, row.longest.id], "jumps to the longest");
  assert.ok(s2.highlighted > 0, `highlighted slices drawn: ${s2.highlighted}`);
  const ev = await apiGet("event", { track: row.longest.track, id: row.longest.id });
  assert.ok(s2.t0 <= ev.start && s2.t1 >= ev.start + ev.dur, "zoomed to it");
  // clicking the row again removes the highlight
  await page.locator("table.stats tbody tr.active").click();
  await idle(page);
  assert.equal((await viewState(page)).highlight, null);
});

test("search: the count, the list, highlights, next and previous", { skip }, async () => {
  await page.click("#details .dp-close");
  await page.fill(".search-input", "drop_in_place");
  await page.keyboard.press("Enter");
  await idle(page);
  const s0 = await viewState(page);
  const api0 = await apiGet("search", { ...sel(s0), q: "drop_in_place", limit: 200 });
  assert.ok(api0.count > 0);
  assert.equal(s0.search.count, api0.count);
  assert.match(await page.locator(".search-count").textContent(), new RegExp(`${api0.count.toLocaleString("en-US")} match`));
  assert.equal(s0.search.index, 0, "Enter goes to the first match");
  assert.deepEqual([s0.selected.track, s0.selected.id], [api0.results[0].track, api0.results[0].id]);
  assert.equal(s0.highlight.source, "search");
  assert.equal(s0.highlight.ids, api0.ids.length);
  assert.ok(s0.highlighted > 0, "matching slices are highlighted on the timeline");
  assert.ok(s0.search.listOpen);
  assert.equal(await page.locator("#search-results .sr-item").count(), api0.results.length);
  await shot("search.png");
  // flame graph: the matching frames are marked
  await page.keyboard.press("Escape"); // closes the list, keeps the focus
  await page.locator(".search-input").blur();
  await page.keyboard.press("2");
  await idle(page);
  const s1 = await viewState(page);
  assert.ok(s1.flame.marked && s1.flame.marked.nodes > 0, `marked frames: ${JSON.stringify(s1.flame.marked)}`);
  // n / N move through the results
  await page.keyboard.press("n");
  await idle(page);
  const s2 = await viewState(page);
  assert.equal(s2.search.index, 1);
  assert.deepEqual([s2.selected.track, s2.selected.id], [api0.results[1].track, api0.results[1].id]);
  await page.keyboard.press("Shift+N");
  await idle(page);
  assert.equal((await viewState(page)).search.index, 0);
  await shot("search-flame.png");
});

test("copy link: a fresh page opens the same view", { skip }, async () => {
  await page.click("#btn-copy");
  await idle(page);
  const s0 = await viewState(page);
  assert.ok(s0.copied && s0.copied.url === page.url(), "the link is the current URL");
  assert.match(await page.locator("#btn-copy").textContent(), /Copied/);
  const clip = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(clip, s0.copied.url);
  for (const k of ["v=flame", "sel=", "q=drop_in_place", "g=detail", "fz=", "s="]) assert.ok(clip.includes(k), `${k} in ${clip}`);

  const other = await context.newPage();
  try {
    await other.goto(clip);
    await idle(other);
    const s1 = await viewState(other);
    const pick = (s) => ({
      view: s.view, range: s.range, threads: s.threads, selected: s.selected && [s.selected.track, s.selected.id],
      group: s.stats.group, q: s.search.q, count: s.search.count, flameView: s.flame.view,
      zoom: s.flame.zoom && s.flame.zoom.label, flameTotal: s.flame.totalNs, marked: s.flame.marked,
    });
    assert.deepEqual(pick(s1), pick(s0));
    assert.ok(Math.abs(s1.t0 - s0.t0) <= 1 && Math.abs(s1.t1 - s0.t1) <= 1, "the visible range");
    await shot("shared-link.png", other);
    // Without a clipboard (plain http on a LAN address): a selected text field.
    await other.evaluate(() => Object.defineProperty(navigator, "clipboard", { value: undefined, configurable: true }));
    await other.click("#btn-copy");
    await idle(other);
    assert.equal(await other.locator("#copy-box").isVisible(), true);
    assert.equal(await other.locator("#copy-box input").inputValue(), other.url());
    assert.equal((await viewState(other)).copied.via, "field");
    assert.equal(await other.evaluate(() => document.activeElement && document.activeElement.closest("#copy-box") !== null), true, "the field has the focus");
  } finally {
    await other.close();
  }
});

test("Back and Forward move between views", { skip }, async () => {
  await page.click('.tab[data-view="stats"]');
  await idle(page);
  await page.click('.tab[data-view="timeline"]');
  await idle(page);
  assert.equal((await viewState(page)).view, "timeline");
  await page.goBack();
  await idle(page);
  assert.equal((await viewState(page)).view, "stats");
  await page.goBack();
  await idle(page);
  assert.equal((await viewState(page)).view, "flame");
  await page.goForward();
  await idle(page);
  const s = await viewState(page);
  assert.equal(s.view, "stats");
  assert.equal(s.stats.group, "detail", "the grouping comes back with the view");
  // Esc clears the selection, then the range
  await page.keyboard.press("Escape");
  await page.keyboard.press("Escape");
  await idle(page);
  const s2 = await viewState(page);
  assert.equal(s2.range, null);
  const whole = await apiGet("stats", { group_by: "detail", top: 500 });
  assert.equal(s2.stats.events, whole.events, "statistics of the whole trace again");
});
