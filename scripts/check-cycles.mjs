// Import-cycle and layering check, run with the tests.
// - No cycles between modules (files), found with Tarjan's strongly connected components.
// - Layers: @mfnas/core imports no other workspace package; adapters (packages/*) import only core;
//   services import packages but never another service; nobody imports another package's internals.
// - Callers outside the workspaces (tests/, bench/) import a package by its entry (`@mfnas/<name>`) only, never a
//   file inside packages/ or services/ by relative path; what they need is exported from the entry, and test
//   helpers shared across packages live in tests/support.
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SKIP = new Set(["node_modules", "generated", "dist"]);

function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (/\.(ts|tsx|mts)$/.test(name) && !name.endsWith(".d.ts")) out.push(full);
  }
  return out;
}

const workspaces = new Map(); // package name -> { dir, kind }
for (const kind of ["packages", "services"]) {
  const base = path.join(root, kind);
  if (!existsSync(base)) continue;
  for (const name of readdirSync(base)) {
    const pkgFile = path.join(base, name, "package.json");
    if (!existsSync(pkgFile)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
    workspaces.set(pkg.name, { dir: path.join(base, name), kind, entry: path.join(base, name, "src/index.ts") });
  }
}

const CALLERS = ["tests", "bench"]; // outside every workspace: entry points only
const files = [
  ...[...workspaces.values()].flatMap((w) => walk(path.join(w.dir, "src"))),
  ...CALLERS.flatMap((dir) => walk(path.join(root, dir))),
];
const owner = (file) => [...workspaces.entries()].find(([, w]) => file.startsWith(w.dir + path.sep));
const IMPORT =
  /(?:^|[^\w.])(?:import|export)\s+(?:type\s+)?(?:[^"'`;]*?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

const graph = new Map();
const problems = [];
for (const file of files) {
  const text = readFileSync(file, "utf8");
  const edges = [];
  const [fromName, from] = owner(file) ?? [];
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2];
    if (!spec) continue;
    const isTest = /\.test\.ts$/.test(file);
    if (spec.startsWith(".")) {
      const target = path.resolve(path.dirname(file), spec);
      const [toName] = owner(target) ?? [];
      if (toName && toName !== fromName) {
        problems.push(`${path.relative(root, file)} reaches into ${toName} by relative path (${spec})`);
      }
      if (existsSync(target) && !target.includes(`${path.sep}generated${path.sep}`)) edges.push(target);
      continue;
    }
    const pkgName = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
    const to = workspaces.get(pkgName);
    if (!to) continue;
    if (spec !== pkgName)
      problems.push(`${path.relative(root, file)} imports ${spec}: use the package entry ${pkgName}`);
    if (from && !isTest) {
      if (pkgName === fromName) problems.push(`${path.relative(root, file)} imports its own package by name`);
      else if (fromName === "@mfnas/core")
        problems.push(`${path.relative(root, file)}: core must not import ${pkgName}`);
      else if (from.kind === "packages" && pkgName !== "@mfnas/core")
        problems.push(`${path.relative(root, file)}: adapter imports adapter ${pkgName}`);
      else if (to.kind === "services") problems.push(`${path.relative(root, file)}: imports service ${pkgName}`);
    }
    edges.push(to.entry);
  }
  graph.set(file, edges);
}

// Tarjan's SCC over the file graph.
let index = 0;
const stack = [];
const meta = new Map();
const cycles = [];
function strongConnect(v) {
  meta.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!meta.has(w)) {
      strongConnect(w);
      meta.get(v).low = Math.min(meta.get(v).low, meta.get(w).low);
    } else if (meta.get(w).onStack) {
      meta.get(v).low = Math.min(meta.get(v).low, meta.get(w).index);
    }
  }
  if (meta.get(v).low === meta.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      meta.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component);
  }
}
for (const v of graph.keys()) if (!meta.has(v)) strongConnect(v);

for (const c of cycles) problems.push(`import cycle: ${c.map((f) => path.relative(root, f)).join(" -> ")}`);
if (problems.length > 0) {
  console.error(problems.join("\n"));
  console.error(`\n${problems.length} import problem(s)`);
  process.exit(1);
}
console.log(
  `import check: ${graph.size} modules in ${workspaces.size} workspaces and ${CALLERS.join(", ")}, no cycles, layers respected`,
);
