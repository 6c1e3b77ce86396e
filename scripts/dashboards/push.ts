// `npm run dashboards:push`: uploads every mfnas dashboard to a running Grafana through its HTTP API
// (POST /api/dashboards/db, overwriting the same uid), for Grafanas that are not provisioned from files.
//   GRAFANA_URL    e.g. https://grafana.example.com (required)
//   GRAFANA_TOKEN  a service-account token with dashboard write rights (required)
//   GRAFANA_FOLDER_UID  folder to put them in (optional; default the General folder)
import { allDashboards } from "./index.ts";
import { pushDashboards } from "./grafana-api.ts";

const url = process.env["GRAFANA_URL"];
const token = process.env["GRAFANA_TOKEN"];
if (!url || !token) {
  process.stderr.write("dashboards:push: set GRAFANA_URL and GRAFANA_TOKEN (a service-account token)\n");
  process.exit(78);
}
try {
  const results = await pushDashboards(Object.values(allDashboards()), {
    url,
    token,
    ...(process.env["GRAFANA_FOLDER_UID"] ? { folderUid: process.env["GRAFANA_FOLDER_UID"] } : {}),
  });
  for (const r of results) process.stdout.write(`${r.uid}: ${r.status} version ${r.version} ${r.url}\n`);
} catch (error) {
  process.stderr.write(`dashboards:push: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
