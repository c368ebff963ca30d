// bench_heap.mjs: browser memory benchmark (not a test). Serves TRACE with
// $TRACEVIEW_BIN, opens it in the system Chromium, tours it (zoom in and out,
// pan, fit: the keys a user presses) and prints the JS heap after each step,
// measured through the DevTools protocol (Runtime.getHeapUsage, and again
// after a forced GC). The target (docs/performance.md): under 100 MB for any
// trace size.
//   TRACEVIEW_BIN=build/traceview node tests/browser/bench_heap.mjs TRACE [STEPS]
import { launchBrowser, startServer } from "./browser.mjs";

const trace = process.argv[2];
const steps = Number(process.argv[3] || 60);
if (!trace || !process.env.TRACEVIEW_BIN) {
  console.error("usage: TRACEVIEW_BIN=path/to/traceview node bench_heap.mjs TRACE [STEPS]");
  process.exit(2);
}

const t0 = Date.now();
const server = await startServer([trace], { timeoutMs: 600000 });
const readyMs = Date.now() - t0;
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  const cdp = await page.context().newCDPSession(page);
  const heap = async (gc) => {
    if (gc) await cdp.send("HeapProfiler.collectGarbage");
    const { usedSize } = await cdp.send("Runtime.getHeapUsage");
    return usedSize / 1048576;
  };
  const idle = () => page.evaluate(() => window.traceviewIdle());
  const t1 = Date.now();
  await page.goto(server.url);
  await page.waitForFunction(() => window.traceviewState && window.traceviewState().page === "timeline",
                             null, { timeout: 600000 });
  await idle();
  const firstPaintMs = Date.now() - t1;
  await page.mouse.move(900, 450);
  // A tour: deep zoom in around the middle, pans, then out again, repeated.
  const pattern = [..."wwwwwwwwwwwwwwwwwwww", "d", "d", "d", "a", ..."ssssssssss", "d", "d",
                   ..."ssssssssss", "0"];
  let peak = 0, peakGc = 0, tiles = 0, minLevel = 99;
  const rows = [];
  for (let i = 0; i < steps; i++) {
    const key = pattern[i % pattern.length];
    await page.keyboard.press(key);
    await idle();
    const st = await page.evaluate(() => window.traceviewState());
    const used = await heap(false);
    peak = Math.max(peak, used);
    if (i % 10 === 9 || i === steps - 1) {
      const afterGc = await heap(true);
      peakGc = Math.max(peakGc, afterGc);
      rows.push({ step: i + 1, level: st.level, cached_tiles: st.tiles.cached,
                  cache_mb: +(st.tiles.bytes / 1048576).toFixed(1), heap_mb: +used.toFixed(1),
                  heap_after_gc_mb: +afterGc.toFixed(1) });
    }
    tiles = Math.max(tiles, st.tiles.loaded || 0);
    minLevel = Math.min(minLevel, st.level);
  }
  console.table(rows);
  const result = { trace, ready_ms: readyMs, first_paint_ms: firstPaintMs, steps,
                   peak_heap_mb: +peak.toFixed(1), peak_heap_after_gc_mb: +peakGc.toFixed(1),
                   tiles_loaded: tiles, finest_level: minLevel, target_mb: 100, ratio: +(peak / 100).toFixed(2) };
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
  await server.stop();
}
