#!/usr/bin/env node
// check_imports.mjs: the layering of web/ (Perfetto's check_imports.py idea).
//   model/   imports model/ only, and touches no DOM
//   data/    never imports render/ or views/
//   render/  imports model/ and render/ only (never fetches)
//   views/   anything but app.js
// Also: no absolute http(s) URL anywhere (everything is served from /static/).
// Prints the violations and exits 1 when there are any.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "web");

const RULES = {
  model: { allow: ["model"], forbidText: [/\bdocument\./, /\bwindow\./, /\bfetch\(/] },
  data: { allow: ["data", "model"], forbidText: [/\bdocument\./] },
  render: { allow: ["render", "model"], forbidText: [/\bfetch\(/, /\bXMLHttpRequest\b/] },
  views: { allow: ["views", "render", "model", "data"], forbidText: [] },
};

function walk(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

export function checkImports(root = WEB) {
  const problems = [];
  for (const file of walk(root)) {
    const rel = path.relative(root, file);
    const text = fs.readFileSync(file, "utf8");
    if (/https?:\/\/(?!127\.0\.0\.1|localhost)[a-z0-9.-]+\.[a-z]{2,}/i.test(text.replace(/\/\/.*$/gm, "")))
      problems.push(`${rel}: external URL (everything must be served from /static/)`);
    if (!file.endsWith(".js")) continue;
    const layer = rel.split(path.sep)[0];
    const rule = RULES[layer];
    const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    for (const m of code.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm)) {
      const spec = m[1] || m[2];
      if (!spec.startsWith(".")) {
        problems.push(`${rel}: imports '${spec}' (only relative imports: no build step, no packages)`);
        continue;
      }
      const target = path.relative(root, path.resolve(path.dirname(file), spec));
      if (!fs.existsSync(path.join(root, target))) problems.push(`${rel}: imports '${spec}', which does not exist`);
      if (!rule) continue;
      const tLayer = target.split(path.sep)[0];
      if (target === "app.js" || !rule.allow.includes(tLayer))
        problems.push(`${rel}: ${layer}/ may not import ${target} (allowed: ${rule.allow.join(", ")})`);
    }
    if (rule) for (const re of rule.forbidText) if (re.test(code)) problems.push(`${rel}: ${layer}/ must not use ${re.source}`);
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problems = checkImports();
  for (const p of problems) console.error(p);
  console.log(problems.length ? `${problems.length} layering problem(s)` : "web/ layering ok");
  process.exit(problems.length ? 1 : 0);
}
