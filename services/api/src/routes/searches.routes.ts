import { JOBS, MfnasError, SEARCH_STATUSES, searchSpecSchema, type SearchStatus } from "@mfnas/core";
import { SearchQueryRepository, submitSearch } from "@mfnas/store";
import type { FastifyInstance } from "fastify";
import { bodyObject, documented, requireName, searchSummary } from "../dto.ts";
import { enqueueAgain } from "../jobs.ts";
import {
  anyJson,
  arrayOf,
  dateTime,
  idParams,
  nullable,
  object,
  pageOf,
  pageQuery,
  responses,
  uuid,
} from "../schemas.ts";
import { domainValidated } from "../validation.ts";
import { submitLimit, type RouteDeps } from "./deps.ts";

const searchDetail = object({
  ...(searchSummary["properties"] as Record<string, object>),
  spec: anyJson,
  supernet: nullable(object({ id: uuid, name: { type: "string" }, status: { type: "string" } })),
  progress: object({
    generationsDone: { type: "integer" },
    generations: nullable({ type: "integer" }),
    fraction: nullable({ type: "number" }),
  }),
  counts: object({ candidates: { type: "integer" }, generations: { type: "integer" } }),
  waitingForPhones: {
    ...arrayOf({ type: "string" }),
    description:
      "device classes of the search's targets that no online phone serves while it is queued or running: its " +
      "measurements wait in measure.<class> until a phone of the class attaches",
  },
});

/** A submitted search, with what may keep it from running as asked (resources that may still appear). */
const submitted = object({
  ...(searchDetail["properties"] as Record<string, object>),
  warnings: arrayOf({ type: "string" }),
});

export function registerSearchRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const searches = new SearchQueryRepository(deps.db);

  async function detail(id: string) {
    const row = await searches.detail(id);
    if (!row) throw new MfnasError("not_found", `search ${id} does not exist`, { id });
    const { _count, ...rest } = row;
    const budget = (row.spec as { budget?: { generations?: unknown } } | null)?.budget?.generations;
    const generations = typeof budget === "number" ? budget : null;
    const done = (row.lastGeneration ?? -1) + 1;
    const [waiting] = await searches.waitingForPhones([id]);
    return {
      ...rest,
      progress: {
        generationsDone: done,
        generations,
        fraction: generations ? Math.min(1, done / generations) : null,
      },
      counts: { candidates: _count.candidates, generations: _count.generations },
      waitingForPhones: waiting?.deviceClasses ?? [],
    };
  }

  /** Checks, stores and queues a spec through the one submission path (see submitSearch in the store). */
  const submit = (value: unknown) =>
    submitSearch(deps.db, value, { enqueue: (searchId) => deps.jobs.enqueue(JOBS.searchRun.name, { searchId }) });

  app.post(
    "/searches",
    {
      config: { scope: "submit", ...submitLimit(deps) },
      schema: {
        operationId: "submitSearch",
        summary: "Submit a search",
        description:
          "The body is a search spec, as JSON or YAML (Content-Type application/yaml). It is validated " +
          "(errors name each field), stored with its defaults filled in, and search.run is queued.",
        tags: ["searches"],
        body: domainValidated(documented(searchSpecSchema), "parseSearchSpec"),
        response: responses({ 201: submitted }),
      },
    },
    async (request, reply) => {
      const { id, warnings } = await submit(request.body);
      return reply
        .code(201)
        .header("location", `/v1/searches/${id}`)
        .send({ ...(await detail(id)), warnings });
    },
  );

  app.get(
    "/searches",
    {
      config: { scope: "read" },
      schema: {
        operationId: "listSearches",
        summary: "List searches, newest first",
        tags: ["searches"],
        querystring: object(
          {
            status: { type: "array", items: { type: "string", enum: [...SEARCH_STATUSES] } },
            name: { type: "string", minLength: 1, maxLength: 200, description: "case-insensitive substring" },
            supernetId: uuid,
            scheduleId: uuid,
            createdAfter: dateTime,
            createdBefore: dateTime,
            ...pageQuery(),
          },
          ["status", "name", "supernetId", "scheduleId", "createdAfter", "createdBefore", "cursor", "limit"],
        ),
        response: responses({ 200: pageOf(searchSummary) }),
      },
    },
    async (request) => {
      const q = request.query as {
        status?: SearchStatus[];
        name?: string;
        supernetId?: string;
        scheduleId?: string;
        createdAfter?: string;
        createdBefore?: string;
        cursor?: string;
        limit: number;
      };
      return searches.list(
        {
          status: q.status,
          name: q.name,
          supernetId: q.supernetId,
          scheduleId: q.scheduleId,
          createdAfter: q.createdAfter !== undefined ? new Date(q.createdAfter) : undefined,
          createdBefore: q.createdBefore !== undefined ? new Date(q.createdBefore) : undefined,
        },
        { cursor: q.cursor, limit: q.limit },
      );
    },
  );

  app.get(
    "/searches/:id",
    {
      config: { scope: "read" },
      schema: {
        operationId: "getSearch",
        summary: "A search with its spec and progress",
        tags: ["searches"],
        params: idParams,
        response: responses({ 200: searchDetail }),
      },
    },
    async (request) => detail((request.params as { id: string }).id),
  );

  app.post(
    "/searches/:id/cancel",
    {
      config: { scope: "submit" },
      schema: {
        operationId: "cancelSearch",
        summary: "Cancel a queued or running search",
        description: "The searcher stops before its next generation; generations written so far stay. 409 if finished.",
        tags: ["searches"],
        params: idParams,
        response: responses({ 200: searchDetail }),
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      if (!(await searches.cancel(id))) {
        const current = await searches.status(id);
        if (!current) throw new MfnasError("not_found", `search ${id} does not exist`, { id });
        throw new MfnasError("conflict", `search ${id} is ${current.status}; only queued or running searches cancel`, {
          status: current.status,
        });
      }
      return detail(id);
    },
  );

  app.post(
    "/searches/:id/resume",
    {
      config: { scope: "submit", ...submitLimit(deps) },
      schema: {
        operationId: "resumeSearch",
        summary: "Resume a failed or cancelled search",
        description: "Queues search.run again; the search continues after its last stored generation.",
        tags: ["searches"],
        params: idParams,
        response: responses({ 200: searchDetail }),
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const before = await searches.status(id);
      if (!before) throw new MfnasError("not_found", `search ${id} does not exist`, { id });
      if (!(await searches.requeue(id))) {
        throw new MfnasError("conflict", `search ${id} is ${before.status}; only failed or cancelled searches resume`, {
          status: before.status,
        });
      }
      try {
        await enqueueAgain(deps.jobs, JOBS.searchRun.name, { searchId: id });
      } catch (error) {
        await searches.undoRequeue(id, { status: before.status, error: before.error, finishedAt: before.finishedAt });
        if (error instanceof MfnasError) throw error;
        throw new MfnasError("transient", "could not queue the search; it was left as it was", {}, { cause: error });
      }
      return detail(id);
    },
  );

  app.post(
    "/searches/:id/clone",
    {
      config: { scope: "submit", ...submitLimit(deps) },
      schema: {
        operationId: "cloneSearch",
        summary: "Submit a new search with the spec of an existing one",
        description: "Optionally with a new name or seed. The spec is validated again by the current rules.",
        tags: ["searches"],
        params: idParams,
        body: {
          anyOf: [
            object(
              {
                name: { type: "string", minLength: 1, maxLength: 200 },
                seed: { type: "integer", minimum: 0, maximum: 2147483647 },
              },
              ["name", "seed"],
            ),
            { type: "null" },
          ],
        },
        response: responses({ 201: submitted }),
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const source = await searches.spec(id);
      if (!source) throw new MfnasError("not_found", `search ${id} does not exist`, { id });
      const change = (request.body ?? {}) as { name?: string; seed?: number };
      const { id: newId, warnings } = await submit({
        ...bodyObject(source.spec),
        ...(change.name !== undefined ? { name: requireName(change.name) } : {}),
        ...(change.seed !== undefined ? { seed: change.seed } : {}),
      });
      return reply
        .code(201)
        .header("location", `/v1/searches/${newId}`)
        .send({ ...(await detail(newId)), warnings });
    },
  );
}
