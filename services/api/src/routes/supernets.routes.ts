import {
  DEFAULT_SEARCH_SPACE,
  JOBS,
  MfnasError,
  narrowSpace,
  parseTrainingConfig,
  underField,
  trainingConfigSchema,
} from "@mfnas/core";
import { SupernetQueryRepository, SupernetRepository } from "@mfnas/store";
import type { FastifyInstance } from "fastify";
import { bodyObject, documented, requireName, supernetSummary } from "../dto.ts";
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
  sha256,
} from "../schemas.ts";
import { domainValidated } from "../validation.ts";
import { submitLimit, type RouteDeps } from "./deps.ts";

const supernetDetail = object({
  ...(supernetSummary["properties"] as Record<string, object>),
  searchSpace: anyJson,
  trainingConfig: anyJson,
  progress: object({
    step: { type: "integer" },
    steps: nullable({ type: "integer" }),
    fraction: nullable({ type: "number" }),
    latest: nullable(
      object({ step: { type: "integer" }, losses: anyJson, imagesPerSecond: { type: "number" }, at: dateTime }),
    ),
  }),
  checkpoints: arrayOf(
    object({ step: { type: "integer" }, artifactSha256: sha256, metrics: anyJson, createdAt: dateTime }),
  ),
});

const statusEnum = ["queued", "training", "ready", "failed", "cancelled"] as const;

export function registerSupernetRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const supernets = new SupernetQueryRepository(deps.db);
  const writer = new SupernetRepository(deps.db);

  async function detail(id: string) {
    const row = await supernets.detail(id);
    if (!row) throw new MfnasError("not_found", `supernet ${id} does not exist`, { id });
    const { progress, checkpoints, ...rest } = row;
    const steps = (row.trainingConfig as { steps?: unknown } | null)?.steps;
    const total = typeof steps === "number" ? steps : null;
    const latest = progress[0];
    return {
      ...rest,
      progress: {
        step: row.step,
        steps: total,
        fraction: total ? Math.min(1, row.step / total) : null,
        latest: latest
          ? { step: latest.step, losses: latest.losses, imagesPerSecond: latest.imagesPerSecond, at: latest.createdAt }
          : null,
      },
      checkpoints: checkpoints.map((c) => ({ ...c, metrics: c.metrics ?? null })),
    };
  }

  app.post(
    "/supernets",
    {
      config: { scope: "submit", ...submitLimit(deps) },
      schema: {
        operationId: "trainSupernet",
        summary: "Start training a supernet",
        description:
          "Creates a Supernet from a validated training config and queues trainer.train-supernet. The space " +
          "trained is the default space narrowed by trainingConfig.space.",
        tags: ["supernets"],
        body: domainValidated(
          object({
            name: { type: "string", minLength: 1, maxLength: 200 },
            trainingConfig: documented(trainingConfigSchema),
          }),
          "parseTrainingConfig",
        ),
        response: responses({ 201: supernetDetail }),
      },
    },
    async (request, reply) => {
      const body = bodyObject(request.body);
      const unknown = Object.keys(body).filter((k) => k !== "name" && k !== "trainingConfig");
      if (unknown.length > 0) {
        const fields = unknown.map((k) => `${k}: is not allowed`);
        throw new MfnasError("invalid_input", fields.join("; "), { fields });
      }
      const name = requireName(body["name"]);
      const config = underField("trainingConfig", () => parseTrainingConfig(body["trainingConfig"]));
      const space = underField("trainingConfig.space", () => narrowSpace(DEFAULT_SEARCH_SPACE, config.space ?? {}));
      const { id } = await writer.create({ name, searchSpace: space, trainingConfig: config });
      try {
        await deps.jobs.enqueue(JOBS.trainSupernet.name, { supernetId: id });
      } catch (error) {
        await supernets.discard(id);
        throw new MfnasError(
          "transient",
          "could not queue the training job; nothing was created",
          {},
          { cause: error },
        );
      }
      return reply
        .code(201)
        .header("location", `/v1/supernets/${id}`)
        .send(await detail(id));
    },
  );

  app.get(
    "/supernets",
    {
      config: { scope: "read" },
      schema: {
        operationId: "listSupernets",
        summary: "List supernets, newest first",
        tags: ["supernets"],
        querystring: object({ status: arrayOf({ type: "string", enum: [...statusEnum] }), ...pageQuery() }, [
          "status",
          "cursor",
          "limit",
        ]),
        response: responses({ 200: pageOf(supernetSummary) }),
      },
    },
    async (request) => {
      const q = request.query as { status?: (typeof statusEnum)[number][]; cursor?: string; limit: number };
      return supernets.list({ status: q.status }, { cursor: q.cursor, limit: q.limit });
    },
  );

  app.get(
    "/supernets/:id",
    {
      config: { scope: "read" },
      schema: {
        operationId: "getSupernet",
        summary: "A supernet with its training progress and checkpoints",
        tags: ["supernets"],
        params: idParams,
        response: responses({ 200: supernetDetail }),
      },
    },
    async (request) => detail((request.params as { id: string }).id),
  );

  app.post(
    "/supernets/:id/cancel",
    {
      config: { scope: "submit" },
      schema: {
        operationId: "cancelSupernet",
        summary: "Cancel training",
        description: "The trainer stops within one step and keeps its checkpoints. 409 if training has finished.",
        tags: ["supernets"],
        params: idParams,
        response: responses({ 200: supernetDetail }),
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const status = await writer.getStatus(id);
      if (status === null) throw new MfnasError("not_found", `supernet ${id} does not exist`, { id });
      if (status !== "queued" && status !== "training") {
        throw new MfnasError("conflict", `supernet ${id} is ${status}; only queued or training supernets cancel`, {
          status,
        });
      }
      await writer.cancel(id);
      return detail(id);
    },
  );
}
