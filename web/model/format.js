// format.js: numbers and times for people. No DOM.

const UNITS = [
  [1e9, "s"],
  [1e6, "ms"],
  [1e3, "µs"],
  [1, "ns"],
];

/** A duration with three significant digits: "845 ns", "12.3 ms", "1.20 s". */
export function formatDuration(ns) {
  if (!Number.isFinite(ns)) return "–";
  const a = Math.abs(ns);
  if (a >= 60e9) {
    const m = Math.floor(a / 60e9);
    const s = (a - m * 60e9) / 1e9;
    return (ns < 0 ? "-" : "") + m + " min " + s.toFixed(s < 10 ? 1 : 0) + " s";
  }
  for (const [scale, unit] of UNITS) {
    if (a >= scale || scale === 1) {
      const v = ns / scale;
      const av = Math.abs(v);
      const digits = scale === 1 ? 0 : av >= 100 ? 0 : av >= 10 ? 1 : 2;
      return v.toFixed(digits) + " " + unit;
    }
  }
  return ns + " ns";
}

/** A time after the origin with a precision that suits `stepNs` (a ruler step
 *  or about a pixel): "3.005 ms", "1.2 s", "120 µs". */
export function formatTime(ns, stepNs = 0) {
  const a = Math.abs(ns);
  const ref = Math.max(a, stepNs);
  let scale = 1;
  let unit = "ns";
  for (const [s, u] of UNITS) {
    if (ref >= s) {
      scale = s;
      unit = u;
      break;
    }
  }
  let digits = 0;
  if (stepNs > 0) {
    const rel = stepNs / scale;
    digits = rel >= 1 ? 0 : Math.min(9, Math.ceil(-Math.log10(rel) - 1e-9));
  } else {
    digits = scale === 1 ? 0 : 3;
  }
  if (ns === 0) return "0";
  return (ns / scale).toFixed(digits) + " " + unit;
}

/** 1234567 -> "1,234,567". */
export function formatCount(n) {
  if (!Number.isFinite(n)) return "–";
  return Math.round(n).toLocaleString("en-US");
}

/** Bytes for people: "1.4 GB". */
export function formatBytes(n) {
  if (!Number.isFinite(n)) return "–";
  const u = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < u.length - 1) {
    v /= 1000;
    i++;
  }
  return (i === 0 ? v.toFixed(0) : v.toFixed(v >= 100 ? 0 : 1)) + " " + u[i];
}

/** Samples in a time of a sampled profile (sample_ns: the width of one sample):
 *  "1,234 samples"; "" when the profile is not sampled. */
export function formatSamples(ns, sampleNs) {
  if (!(sampleNs > 0) || !Number.isFinite(ns)) return "";
  const n = Math.round(ns / sampleNs);
  return formatCount(n) + (n === 1 ? " sample" : " samples");
}
