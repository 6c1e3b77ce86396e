import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { deviceLabDashboard } from "./device-lab.ts";
import { operationsDashboard } from "./operations.ts";
import { searchesDashboard } from "./searches.ts";

/** Every mfnas dashboard by its file name under ops/grafana/dashboards/. */
export function allDashboards(): Record<string, dashboard.Dashboard> {
  return {
    "operations.json": numbered(operationsDashboard()),
    "device-lab.json": numbered(deviceLabDashboard()),
    "searches.json": numbered(searchesDashboard()),
  };
}

/** Panel ids unique within the dashboard, in layout order (the builder leaves rows at 0 and panels without). */
function numbered(d: dashboard.Dashboard): dashboard.Dashboard {
  (d.panels ?? []).forEach((panel, i) => (panel.id = i + 1));
  return d;
}

/** The JSON a dashboard is stored as (the SDK's marker methods on queries are not data). */
export function dashboardJson(d: dashboard.Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
