// watch.test.mjs: `traceview serve --watch`: when the served file is
// replaced by another trace, an open page reloads by itself into the same
// view (range kept from the URL) and shows the new index.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { startServer, launchBrowser, idle, viewState } from "./browser.mjs";

const BIN = process.env.TRACEVIEW_BIN;
const GEN = BIN && path.join(path.dirname(BIN), "gen_trace");
const have = BIN && fs.existsSync(GEN);
const skip = !have && "needs TRACEVIEW_BIN (the mock server has no --watch)";

let dir, file, server, browser, page;

function gen(out, ...args) {
  execFileSync(GEN, ["-o", out, "--quiet", ...args]);
}

before(async () => {
  if (!have) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tv_watch_"));
  file = path.join(dir, "live.json");
  gen(file, "--size", "2M", "--threads", "3", "--seed", "1");
  [server, browser] = await Promise.all([startServer([file], { extraArgs: ["--watch"] }), launchBrowser()]);
  page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
  page.on("pageerror", (e) => console.error("pageerror:", e.message));
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test("a rewritten trace reloads the page into the same view", { skip }, async () => {
  await page.goto(server.url);
  await idle(page);
  const box = await page.locator("#cv-tracks").boundingBox();
  await page.mouse.move(box.x + box.width * 0.4, box.y + 40);
  for (let i = 0; i < 2; i++) {
    await page.keyboard.press("w");
    await idle(page);
  }
  const s0 = await viewState(page);
  assert.equal(s0.generation, 1);
  const before = await page.evaluate(() => location.hash);
  assert.match(before, /r=\d+,\d+/, "the URL holds the range");

  // a longer trace (so the zoomed range lies inside it), written aside and renamed over
  gen(file + ".tmp", "--size", "4M", "--threads", "5", "--seed", "2");
  fs.renameSync(file + ".tmp", file);
  await page.waitForFunction(() => window.traceviewState && window.traceviewState().generation === 2, null, {
    timeout: 20000,
  });
  await idle(page);
  const s1 = await viewState(page);
  const span = s0.t1 - s0.t0;
  assert.ok(Math.abs(s1.t0 - s0.t0) <= span * 0.01 && Math.abs(s1.t1 - s0.t1) <= span * 0.01,
    `same range after the reload: ${s0.t0}..${s0.t1} -> ${s1.t0}..${s1.t1}`);
  const meta = await page.evaluate(async (id) => (await fetch(`/api/traces/${id}/meta`)).json(), s1.trace);
  assert.equal(meta.generation, 2);
  assert.ok(s1.slicesDrawn > 0, "the new index is drawn");
});
