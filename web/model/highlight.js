// highlight.js: which slices of the timeline to emphasise (the others are
// dimmed): the matches of a search, or the slices of a statistics row. Tiles
// carry the name and detail string ids of every slice (docs/api.md), and a
// summary box the name of its longest slice, so a matcher works on ids. No DOM.
//
//   field "any":      name or detail id in ids (search: ids of matching strings)
//   field "name":     name id in ids
//   field "detail":   detail id in ids
//   field "symbol":   the detail when the slice has one, else the name
//   field "track":    every slice of the tracks in ids
//   field "category": not in tiles; nothing can be matched (see `exact`)
//   field "frame":    one flame graph frame, spec.frame = {name, detail, label}:
//                     the slices that make that frame

/**
 * Builds a matcher. spec: {source, field, ids (array), label, truncated}.
 * Returns {source, field, label, ids: Set, exact, slice(name, detail, track),
 * summary(name, track)}: summary() answers for a box of narrow slices from
 * the name of its longest one (true: draw it normally).
 */
export function makeHighlight(spec) {
  if (!spec) return null;
  const ids = spec.ids instanceof Set ? spec.ids : new Set(spec.ids || []);
  const field = spec.field || "any";
  let slice;
  let summary;
  switch (field) {
    case "name":
      slice = (n) => ids.has(n);
      summary = (n) => ids.has(n);
      break;
    case "detail":
      slice = (n, d) => d !== 0 && ids.has(d);
      summary = () => false;
      break;
    case "symbol":
      slice = (n, d) => (d !== 0 ? ids.has(d) : ids.has(n));
      summary = (n) => ids.has(n);
      break;
    case "track":
      slice = (n, d, t) => ids.has(t);
      summary = (n, t) => ids.has(t);
      break;
    case "category":
      slice = () => false;
      summary = () => false;
      break;
    case "frame": {
      // spec.frame.label: how the flame graph made frames (docs/api.md `label`):
      // "both" (name and detail ids), "name" (name id, any detail), "detail"
      // (`name` holds the detail's id, or the name's when the slice has none)
      const fn = spec.frame.name;
      const fd = spec.frame.detail || 0;
      const mode = spec.frame.label || "both";
      if (mode === "detail") slice = (n, d) => (d !== 0 ? d === fn : n === fn);
      else if (mode === "name") slice = (n) => n === fn;
      else slice = (n, d) => n === fn && d === fd;
      summary = (n) => n === fn;
      break;
    }
    default:
      slice = (n, d) => ids.has(n) || (d !== 0 && ids.has(d));
      summary = (n) => ids.has(n);
  }
  return {
    source: spec.source || "search",
    field,
    label: spec.label || "",
    ids,
    truncated: !!spec.truncated,
    exact: field !== "category",
    slice,
    summary,
  };
}
