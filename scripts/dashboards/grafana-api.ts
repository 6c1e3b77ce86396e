import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";

export interface GrafanaTarget {
  /** Grafana's base URL (a sub-path such as https://host/grafana is kept). */
  readonly url: string;
  /** Service-account token, sent as a Bearer token. */
  readonly token: string;
  readonly folderUid?: string;
  readonly message?: string;
  readonly fetch?: typeof fetch;
}

/** What Grafana answers to POST /api/dashboards/db. */
export interface PushResult {
  readonly uid: string;
  readonly status: string;
  readonly version: number;
  readonly url: string;
}

/**
 * Creates or updates dashboards through Grafana's HTTP API, one POST /api/dashboards/db each, matched by uid
 * (`overwrite: true`; the id is left out so the uid decides). Stops at the first refusal, naming the dashboard
 * and Grafana's message.
 */
export async function pushDashboards(
  dashboards: readonly dashboard.Dashboard[],
  target: GrafanaTarget,
): Promise<PushResult[]> {
  const doFetch = target.fetch ?? fetch;
  const endpoint = new URL("api/dashboards/db", target.url.endsWith("/") ? target.url : `${target.url}/`);
  const results: PushResult[] = [];
  for (const d of dashboards) {
    const { id: _id, ...body } = JSON.parse(JSON.stringify(d)) as dashboard.Dashboard;
    const response = await doFetch(endpoint, {
      method: "POST",
      headers: {
        authorization: `Bearer ${target.token}`,
        "content-type": "application/json",
        accept: "application/json",
      },
      body: JSON.stringify({
        dashboard: body,
        overwrite: true,
        message: target.message ?? "mfnas dashboards as code",
        ...(target.folderUid !== undefined ? { folderUid: target.folderUid } : {}),
      }),
    });
    const text = await response.text();
    if (!response.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // not JSON: keep the text
      }
      throw new Error(`Grafana refused dashboard ${d.uid ?? d.title}: HTTP ${response.status} ${message}`);
    }
    const answer = JSON.parse(text) as PushResult;
    results.push({ uid: answer.uid, status: answer.status, version: answer.version, url: answer.url });
  }
  return results;
}
