// `npm run dashboards`: writes every dashboard as JSON under ops/grafana/dashboards/, where Grafana's file
// provisioning (ops/grafana/provisioning/dashboards/mfnas.yaml) reads them. `--check` fails instead when a
// committed file differs from what the code generates.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { allDashboards, dashboardJson } from "./index.ts";

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../ops/grafana/dashboards");
const check = process.argv.includes("--check");
await mkdir(dir, { recursive: true });
let stale = 0;
for (const [file, d] of Object.entries(allDashboards())) {
  const target = path.join(dir, file);
  const json = dashboardJson(d);
  if (check) {
    const current = await readFile(target, "utf8").catch(() => "");
    if (current !== json) {
      stale += 1;
      process.stderr.write(`${file} is out of date: run npm run dashboards\n`);
    }
  } else {
    await writeFile(target, json);
    process.stdout.write(`${path.relative(process.cwd(), target)} (${d.panels?.length ?? 0} panels)\n`);
  }
}
if (stale > 0) process.exit(1);
