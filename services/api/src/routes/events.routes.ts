import { MfnasError, SEARCH_STATUSES_FINAL } from "@mfnas/core";
import { SearchQueryRepository, SupernetQueryRepository } from "@mfnas/store";
import type { FastifyInstance } from "fastify";
import { idParams, object, responses } from "../schemas.ts";
import { lastEventPosition, streamEvents, type SseEvent, type SseSource } from "../sse.ts";
import type { RouteDeps } from "./deps.ts";

const BATCH = 100;
const SEARCH_DONE = new Set<string>(SEARCH_STATUSES_FINAL);
const SUPERNET_DONE = new Set(["ready", "failed", "cancelled"]);

const eventStream = {
  200: {
    type: "string",
    description:
      "text/event-stream. Events: `status` (on connect and on every change), `generation` / `progress` with " +
      "`id` = generation index / training step (send it back as Last-Event-ID to resume), `checkpoint`, `end` " +
      "at a terminal state, `error` when the stream must be reopened. Comment lines are heartbeats.",
  },
};

const afterQuery = object(
  { after: { type: "integer", minimum: -1, maximum: 1_000_000_000, description: "like Last-Event-ID" } },
  ["after"],
);

/**
 * Live progress as server-sent events, polled from Postgres (the searcher and trainer write rows; nothing else
 * has to publish). A stream ends by itself when its search or supernet reaches a terminal state.
 */
export function registerEventRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const searches = new SearchQueryRepository(deps.db);
  const supernets = new SupernetQueryRepository(deps.db);

  app.get(
    "/searches/:id/events",
    {
      config: { scope: "read" },
      schema: {
        operationId: "streamSearchEvents",
        summary: "Stream a search's progress (server-sent events)",
        tags: ["events"],
        params: idParams,
        querystring: afterQuery,
        response: responses(eventStream),
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const first = await searches.status(id);
      if (!first) throw new MfnasError("not_found", `search ${id} does not exist`, { id });
      let last = lastEventPosition(request) ?? (request.query as { after?: number }).after ?? -1;
      let lastStatus: string | undefined;
      const source: SseSource = {
        async poll() {
          const events: SseEvent[] = [];
          const status = await searches.status(id);
          if (!status) return { events: [{ event: "status", data: { status: "deleted" } }], done: true };
          const generations = await searches.generationsAfter(id, last, BATCH);
          for (const g of generations) {
            last = g.index;
            events.push({
              event: "generation",
              id: String(g.index),
              data: {
                index: g.index,
                hypervolume: g.hypervolume,
                populationSize: Array.isArray(g.population) ? g.population.length : 0,
                front: g.front,
                createdAt: g.createdAt,
              },
            });
          }
          if (status.status !== lastStatus) {
            lastStatus = status.status;
            events.push({
              event: "status",
              data: { status: status.status, lastGeneration: status.lastGeneration, error: status.error },
            });
          }
          return { events, done: SEARCH_DONE.has(status.status) && generations.length < BATCH };
        },
      };
      streamEvents(request, reply, source, deps.options.sse, deps.hub);
      return reply;
    },
  );

  app.get(
    "/supernets/:id/events",
    {
      config: { scope: "read" },
      schema: {
        operationId: "streamSupernetEvents",
        summary: "Stream a supernet's training progress (server-sent events)",
        tags: ["events"],
        params: idParams,
        querystring: afterQuery,
        response: responses(eventStream),
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const first = await supernets.status(id);
      if (!first) throw new MfnasError("not_found", `supernet ${id} does not exist`, { id });
      let last = lastEventPosition(request) ?? (request.query as { after?: number }).after ?? -1;
      let lastCheckpoint = last;
      let lastStatus: string | undefined;
      const source: SseSource = {
        async poll() {
          const events: SseEvent[] = [];
          const status = await supernets.status(id);
          if (!status) return { events: [{ event: "status", data: { status: "deleted" } }], done: true };
          const progress = await supernets.progressAfter(id, last, BATCH);
          for (const p of progress) {
            last = p.step;
            events.push({
              event: "progress",
              id: String(p.step),
              data: { step: p.step, losses: p.losses, imagesPerSecond: p.imagesPerSecond, at: p.createdAt },
            });
          }
          for (const c of await supernets.checkpointsAfter(id, lastCheckpoint)) {
            lastCheckpoint = c.step;
            events.push({
              event: "checkpoint",
              data: { step: c.step, artifactSha256: c.artifactSha256, metrics: c.metrics, at: c.createdAt },
            });
          }
          if (status.status !== lastStatus) {
            lastStatus = status.status;
            events.push({ event: "status", data: { status: status.status, step: status.step, error: status.error } });
          }
          return { events, done: SUPERNET_DONE.has(status.status) && progress.length < BATCH };
        },
      };
      streamEvents(request, reply, source, deps.options.sse, deps.hub);
      return reply;
    },
  );
}
