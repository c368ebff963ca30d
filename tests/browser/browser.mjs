// browser.mjs: shared helpers for the browser test and the screenshot
// script: launch the system Chromium (never a downloaded one) with pinned
// flags, start a traceview server (or the mock), wait for the idle hook.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { chromium } from "playwright-core";

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, "..", "..");
export const CORPUS = process.env.TRACEVIEW_CORPUS || path.resolve(REPO, "..", "shared", "corpus");

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--force-device-scale-factor=1",
  "--font-render-hinting=none",
];

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
  });
}

/**
 * Starts `$TRACEVIEW_BIN serve FILES --port 0 --quiet`, or the mock server
 * when TRACEVIEW_BIN is unset; resolves to {url, proc, stop(), kind} once a
 * line with http://127.0.0.1:PORT/ appears on stdout or stderr.
 */
export function startServer(files, { extraArgs = [], timeoutMs = 30000 } = {}) {
  const bin = process.env.TRACEVIEW_BIN;
  const [cmd, args, kind] = bin
    ? [bin, ["serve", ...files, "--port", "0", "--quiet", ...extraArgs], "traceview"]
    : ["python3", [path.join(HERE, "mock_server.py"), ...files, "--port", "0", ...extraArgs], "mock"];
  const proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill();
      reject(new Error(`${kind} server printed no URL in ${timeoutMs} ms; output:\n${out}`));
    }, timeoutMs);
    const onData = (buf) => {
      out += buf.toString();
      const m = /(http:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):\d+\/[^\s]*)/.exec(out);
      if (m) {
        clearTimeout(timer);
        proc.stdout.off("data", onData);
        proc.stderr.off("data", onData);
        // keep draining so the child never blocks on a full pipe
        proc.stdout.on("data", () => {});
        proc.stderr.on("data", () => {});
        resolve({
          url: m[1],
          origin: new URL(m[1]).origin,
          proc,
          kind,
          stop: () =>
            new Promise((res) => {
              if (proc.exitCode !== null) return res();
              proc.once("exit", () => res());
              proc.kill("SIGTERM");
              setTimeout(() => proc.exitCode === null && proc.kill("SIGKILL"), 2000);
            }),
        });
      }
    };
    proc.stdout.on("data", onData);
    proc.stderr.on("data", onData);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} server exited with ${code} before printing a URL; output:\n${out}`));
    });
  });
}

/** Waits for window.traceviewIdle() (installed by app.js). */
export async function idle(page, timeout = 15000) {
  await page.waitForFunction(() => typeof window.traceviewIdle === "function", null, { timeout });
  await page.evaluate(() => window.traceviewIdle());
}

export async function viewState(page) {
  return page.evaluate(() => window.traceviewState());
}
