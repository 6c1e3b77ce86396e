import { Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { FastifyInstance } from "fastify";
import type { SseHub, SseStats } from "./sse.ts";

declare module "fastify" {
  interface FastifyInstance {
    /** The API's Prometheus registry; main.ts serves it on its own port (API_METRICS_PORT), not the API's. */
    metricsRegistry: Registry;
  }
}

/**
 * Prometheus metrics of one API instance: request latency by route template (never the raw URL, so the label
 * set stays small), method and status, what open event streams hold (streams, timers, polls), plus the process's
 * default metrics under the same names as every other service's, all with `service="api"`. Not a route of the
 * API: main.ts serves `app.metricsRegistry` on a separate port (API_METRICS_PORT), which stays inside the cluster.
 */
export function registerMetrics(app: FastifyInstance, hub: SseHub): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: "api" });
  collectDefaultMetrics({ register: registry });
  const sse: Array<[keyof SseStats, string, string]> = [
    ["streams", "mfnas_api_sse_streams", "Server-sent event streams open."],
    ["timers", "mfnas_api_sse_timers", "Heartbeat and poll timers armed by open event streams."],
    ["pollsInFlight", "mfnas_api_sse_polls_in_flight", "Event-stream polls of PostgreSQL running now."],
    ["polls", "mfnas_api_sse_polls", "Event-stream polls of PostgreSQL started since the process started."],
  ];
  for (const [field, name, help] of sse) {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(hub.stats()[field]);
      },
    });
  }
  const latency = new Histogram({
    name: "mfnas_api_request_duration_seconds",
    help: "HTTP request latency by route template, method and status code.",
    labelNames: ["method", "route", "status_code"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    latency.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1_000,
    );
  });
  app.decorate("metricsRegistry", registry);
  return registry;
}
