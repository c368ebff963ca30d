// colors.js: a stable colour per name, and a readable text colour on it.
//
// The hue comes from a hash of the name (FNV-1a), so "RunPass" has the same
// colour in every view and every session; saturation and lightness are
// fixed for a calm, pastel palette on which dark text is always readable.
// Hues are snapped to 36 steps so that neighbours differ visibly, and the
// muddy yellow-green band is nudged away.

const cache = new Map();
const SHADES = 8; // alpha steps for summaries ("faketangles")

function fnv1a(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function hslToRgb(h, s, l) {
  const a = s * Math.min(l, 1 - l);
  const f = (n) => {
    const k = (n + h / 30) % 12;
    return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return [Math.round(f(0) * 255), Math.round(f(8) * 255), Math.round(f(4) * 255)];
}

function luminance([r, g, b]) {
  const c = (v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * c(r) + 0.7152 * c(g) + 0.0722 * c(b);
}

/** Text colour with enough contrast on an [r, g, b] fill. */
export function textColorOn(rgb) {
  return luminance(rgb) > 0.33 ? "#1b1f24" : "#ffffff";
}

/**
 * The colour set of a name: {fill, text, rgb, shade(alpha 0..1), dim}.
 * `shade` gives the fill at a quantized opacity, for summaries.
 */
export function colorFor(name) {
  const key = name || "";
  let c = cache.get(key);
  if (c) return c;
  const h0 = fnv1a(key);
  let hue = (h0 % 36) * 10;
  if (hue >= 50 && hue <= 80) hue += 40; // avoid olive
  const sat = 0.5 + ((h0 >>> 8) % 3) * 0.06;
  const light = 0.7 + ((h0 >>> 12) % 3) * 0.03;
  const rgb = hslToRgb(hue, sat, light);
  const [r, g, b] = rgb;
  const shades = [];
  for (let i = 0; i <= SHADES; i++) {
    const a = 0.18 + (0.82 * i) / SHADES;
    shades.push(`rgba(${r},${g},${b},${a.toFixed(3)})`);
  }
  const dark = hslToRgb(hue, sat, 0.35);
  c = {
    rgb,
    fill: `rgb(${r},${g},${b})`,
    text: textColorOn(rgb),
    stroke: `rgb(${dark[0]},${dark[1]},${dark[2]})`,
    shade: (alpha) => shades[Math.max(0, Math.min(SHADES, Math.round(alpha * SHADES)))],
  };
  if (cache.size > 20000) cache.clear();
  cache.set(key, c);
  return c;
}

export const UI = {
  background: "#ffffff",
  trackAlt: "#fafbfc",
  grid: "rgba(20, 30, 45, 0.07)",
  gridStrong: "rgba(20, 30, 45, 0.16)",
  text: "#1b1f24",
  textMuted: "#6a737d",
  header: "#f3f4f6",
  headerText: "#24292f",
  separator: "#e1e4e8",
  selection: "#0b5cd5",
  hover: "rgba(11, 92, 213, 0.55)",
  placeholderA: "#f1f2f4",
  placeholderB: "#e6e8eb",
  instant: "#3b4350",
  sample: "#4a5568", // sample marks (alpha grows with the count per bucket)
  flow: "rgba(52, 62, 80, 0.62)",
  flowHighlight: "#e0620b",
  laneAsync: ["#e3edfb", "#2a5fa8"], // badge fill, text
  laneSpans: ["#eee6f9", "#6a3fa0"],
  counterFill: "rgba(46, 125, 200, 0.28)",
  counterLine: "#2e7dc8",
  window: "rgba(11, 92, 213, 0.12)",
  rangeOutside: "rgba(20, 30, 45, 0.10)",
  rangeEdge: "rgba(11, 92, 213, 0.85)",
  rangeFill: "rgba(11, 92, 213, 0.16)",
  windowEdge: "#0b5cd5",
};
