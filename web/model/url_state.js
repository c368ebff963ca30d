// url_state.js: the view state in location.hash, so a copied URL opens the
// same view (speedscope's hash-params). No DOM: callers pass the hash string.
//
//   #t=3f9a1c0d2e&r=786000,1572000&s=0:812
//   t  trace id
//   r  visible range, integer ns after the origin: t0,t1
//   s  selected slice: track:id
// Keys this module does not know are kept as they are (in `extra`) and
// written back, so other views (analysis, search) can add their own
// without this file knowing about them.

const KNOWN = ["t", "r", "s"];

/** Parses "#a=1&b=2" (or "a=1&b=2") into a state object; never throws. */
export function decodeHash(hash) {
  const state = { trace: null, range: null, selected: null, extra: {} };
  const body = (hash || "").replace(/^#/, "");
  if (!body) return state;
  for (const part of body.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const key = safeDecode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? "" : safeDecode(part.slice(eq + 1));
    if (key === "t") {
      if (/^[A-Za-z0-9_-]{1,64}$/.test(value)) state.trace = value;
    } else if (key === "r") {
      const m = /^(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)$/.exec(value);
      if (m) {
        const t0 = Number(m[1]);
        const t1 = Number(m[2]);
        if (t1 > t0) state.range = [t0, t1];
      }
    } else if (key === "s") {
      const m = /^(\d+):(\d+)$/.exec(value);
      if (m) state.selected = { track: Number(m[1]), id: Number(m[2]) };
    } else if (key) {
      state.extra[key] = value;
    }
  }
  return state;
}

/** The inverse of decodeHash: returns "#..." (or "" when empty). */
export function encodeHash(state) {
  const parts = [];
  if (state.trace) parts.push("t=" + enc(state.trace));
  if (state.range) parts.push("r=" + Math.round(state.range[0]) + "," + Math.round(state.range[1]));
  if (state.selected) parts.push("s=" + state.selected.track + ":" + state.selected.id);
  for (const [k, v] of Object.entries(state.extra || {})) {
    if (KNOWN.includes(k) || v === undefined || v === null) continue;
    parts.push(enc(k) + "=" + enc(String(v)));
  }
  return parts.length ? "#" + parts.join("&") : "";
}

function enc(s) {
  // Keep the separators people read (, : /) readable in the address bar.
  return encodeURIComponent(s).replace(/%2C/gi, ",").replace(/%3A/gi, ":").replace(/%2F/gi, "/");
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return "";
  }
}
