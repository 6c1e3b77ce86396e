// `npm run build`: compiles the TypeScript the services run (tsconfig.build.json) and lays it out as the images
// run it: <workspace>/src/x.ts -> <workspace>/dist/x.js (with the files under src that are not TypeScript, e.g.
// JSON read at run time), scripts/migrate.ts -> dist/scripts/migrate.js, bench/gpu-smoke.ts ->
// dist/bench/gpu-smoke.js. Each workspace's package.json points its "mfnas-dist" export condition at dist/index.js;
// `node --conditions=mfnas-dist` (NODE_OPTIONS in the images) resolves the @mfnas packages to it. Without that
// condition every import still resolves to src/, which is what tsx and the tests use.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const staging = path.join(root, ".build");
rmSync(staging, { recursive: true, force: true });
const tsc = spawnSync(
  process.execPath,
  [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
  {
    cwd: root,
    stdio: "inherit",
  },
);
if (tsc.status !== 0) {
  console.error(`build: tsc exited ${tsc.status}`);
  process.exit(1);
}

const workspaces = ["packages", "services"].flatMap((group) =>
  readdirSync(path.join(root, group)).map((name) => path.join(group, name)),
);
for (const workspace of workspaces) {
  const compiled = path.join(staging, workspace, "src");
  if (!existsSync(compiled)) continue;
  const dist = path.join(root, workspace, "dist");
  rmSync(dist, { recursive: true, force: true });
  renameSync(compiled, dist);
  copyAssets(path.join(root, workspace, "src"), dist);
}
const rootDist = path.join(root, "dist");
rmSync(rootDist, { recursive: true, force: true });
mkdirSync(rootDist);
for (const folder of ["scripts", "bench"]) renameSync(path.join(staging, folder), path.join(rootDist, folder));
rmSync(staging, { recursive: true, force: true });
console.log(
  `build: ${workspaces.filter((w) => existsSync(path.join(root, w, "dist"))).length} workspaces -> <workspace>/dist, dist/scripts, dist/bench`,
);

/**
 * Copies the files under `from` that are not TypeScript to the same places in `to`: JSON and text read at run
 * time, e.g. the real thermal dump the emulated SM8250 profile reads (packages/devices/src/fixtures). Test data
 * (`__fixtures__`) stays out.
 */
function copyAssets(from, to) {
  for (const name of readdirSync(from)) {
    const source = path.join(from, name);
    if (statSync(source).isDirectory()) {
      if (name === "__fixtures__") continue;
      copyAssets(source, path.join(to, name));
    } else if (!/\.(ts|md)$/.test(name)) {
      mkdirSync(to, { recursive: true });
      cpSync(source, path.join(to, name));
    }
  }
}
