#!/usr/bin/env node
// screenshot.mjs: open the viewer and save a PNG once it is idle.
//   node screenshot.mjs BASE_URL OUT.png [--size 1440x900] [--dpr 2]
//        [--hash '#t=..'] [--keys WWD] [--click-sample] [--hover-sample]
//        [--help]
// --keys presses keys one by one (mouse over the middle of the tracks);
// --click-sample clicks the widest visible slice; --hover-sample hovers it.
import { launchBrowser, idle, viewState } from "./browser.mjs";

const argv = process.argv.slice(2);
if (argv.length < 2) {
  console.error("usage: node screenshot.mjs BASE_URL OUT.png [--size WxH] [--dpr N] [--hash H] [--keys K] [--click-sample] [--hover-sample] [--help]");
  process.exit(2);
}
const [base, out] = argv;
const opt = (name, def) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : def;
};
const [w, h] = opt("--size", "1440x900").split("x").map(Number);
const dpr = Number(opt("--dpr", "1"));
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: w, height: h }, deviceScaleFactor: dpr });
  page.on("console", (m) => (m.type() === "error" || m.type() === "warning") && console.error("console:", m.text()));
  page.on("pageerror", (e) => console.error("pageerror:", e.message));
  await page.goto(base.replace(/#.*$/, "") + (opt("--hash", "") || (base.includes("#") ? base.slice(base.indexOf("#")) : "")));
  await idle(page);
  const box = await page.locator("#cv-tracks").boundingBox().catch(() => null);
  if (box) await page.mouse.move(box.x + box.width * 0.55, box.y + Math.min(120, box.height / 2));
  for (const k of opt("--keys", "")) {
    await page.keyboard.press(k === "?" ? "Shift+Slash" : k);
    await idle(page);
  }
  if (argv.includes("--click-sample") || argv.includes("--hover-sample")) {
    const st = await viewState(page);
    if (st.sample && box) {
      await page.mouse.move(box.x + st.sample.x, box.y + st.sample.y);
      if (argv.includes("--click-sample")) await page.mouse.click(box.x + st.sample.x, box.y + st.sample.y);
      await page.waitForTimeout(250);
      await idle(page);
    }
  }
  if (argv.includes("--help")) {
    await page.keyboard.press("Shift+Slash");
    await idle(page);
  }
  await page.screenshot({ path: out });
  const st = await viewState(page);
  console.log(JSON.stringify({ out, page: st.page, url: page.url(), level: st.level, drawn: st.drawn, tiles: st.tiles, selected: st.selected }));
} finally {
  await browser.close();
}
