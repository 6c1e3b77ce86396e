import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { errorMessage } from "@mfnas/core";
import type { ServiceMetrics } from "./metrics.ts";
import type { WorkerLog } from "./worker.ts";

export interface MetricsServerOptions {
  readonly registry: Registry;
  /** TCP port; 0 picks a free one (see `port` on the result). */
  readonly port: number;
  /** Listen address. Default 0.0.0.0: Prometheus scrapes from another host or container. */
  readonly host?: string;
  /**
   * Readiness: what /readyz runs (e.g. a Redis ping); it fails with 503 when this throws or returns false. A
   * `DependencyReport` (checkDependencies) is served as it is: `{"status":"ready","checks":{"postgres":"ok",…}}`.
   * Default: always ready. /healthz only says the process answers (a liveness probe must not depend on Redis).
   */
  readonly ready?: () => Promise<unknown>;
  /** Extra fields of every /readyz answer, e.g. `{ compute: { tfjs: "wasm", accelerator: "cpu" } }`. */
  readonly readyInfo?: () => Readonly<Record<string, unknown>>;
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A small HTTP server for a worker service: GET /metrics (Prometheus text format), /healthz (liveness) and
 * /readyz (readiness). Anything else is 404. It keeps no connection open across requests.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const url = (request.url ?? "/").split("?")[0];
    const send = (status: number, type: string, body: string) => {
      response.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      response.end(request.method === "HEAD" ? undefined : body);
    };
    if (request.method !== "GET" && request.method !== "HEAD") {
      send(405, "text/plain; charset=utf-8", "method not allowed\n");
      return;
    }
    if (url === "/metrics") {
      options.registry.metrics().then(
        (text) => send(200, options.registry.contentType, text),
        (error: unknown) =>
          send(500, "text/plain; charset=utf-8", `collecting metrics failed: ${errorMessage(error)}\n`),
      );
    } else if (url === "/healthz") {
      send(200, "application/json", '{"status":"ok"}');
    } else if (url === "/readyz") {
      (options.ready ? options.ready() : Promise.resolve(true)).then(
        (answer) => {
          // A dependency report (checkDependencies) says what each dependency answered.
          const report = typeof answer === "object" && answer !== null && "ready" in answer ? answer : undefined;
          const ok = report ? report.ready === true : answer !== false;
          const checks = report && "checks" in report ? { checks: (report as { checks: unknown }).checks } : {};
          const body = { status: ok ? "ready" : "not ready", ...checks, ...options.readyInfo?.() };
          send(ok ? 200 : 503, "application/json", JSON.stringify(body));
        },
        () => send(503, "application/json", JSON.stringify({ status: "not ready", ...options.readyInfo?.() })),
      );
    } else {
      send(404, "text/plain; charset=utf-8", "not found\n");
    }
  });
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * What each worker service's main.ts runs: serves `metrics` on the port from its env (with /readyz saying the
 * compute backend reported to `metrics`), logs `metrics listening {port}`, and on close stops the server and the
 * metrics' queue handles.
 */
export async function serveMetrics(
  metrics: ServiceMetrics,
  options: { port: number; host: string; ready?: () => Promise<unknown>; log: WorkerLog },
): Promise<MetricsServer> {
  // /readyz says which compute backend loaded, once the service has reported it (ServiceMetrics.reportCompute).
  const readyInfo = () => (metrics.compute ? { compute: metrics.compute } : {});
  const server = await startMetricsServer({ registry: metrics.registry, readyInfo, ...options });
  options.log.info("metrics listening", { port: server.port, host: options.host });
  return {
    port: server.port,
    async close() {
      await server.close();
      await metrics.close();
    },
  };
}
