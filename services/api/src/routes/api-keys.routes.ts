import { DEVICE_CLASS_PATTERN, MfnasError } from "@mfnas/core";
import type { FastifyInstance } from "fastify";
import { arrayOf, dateTime, idParams, nullable, object, responses, uuid } from "../schemas.ts";
import type { RouteDeps } from "./deps.ts";

const scopes = ["read", "submit", "admin", "agent"] as const;

const keySchema = object({
  id: uuid,
  name: { type: "string" },
  prefix: { type: "string" },
  scopes: arrayOf({ type: "string", enum: [...scopes] }),
  deviceClass: nullable({ type: "string" }),
  createdAt: dateTime,
  lastUsedAt: nullable(dateTime),
  revokedAt: nullable(dateTime),
});

export function registerApiKeyRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.get(
    "/whoami",
    {
      config: { scope: "read-or-agent" },
      schema: {
        operationId: "whoami",
        summary: "The key this request authenticated with",
        tags: ["api keys"],
        response: responses({
          200: object({
            id: uuid,
            name: { type: "string" },
            prefix: { type: "string" },
            scopes: arrayOf({ type: "string" }),
            deviceClass: nullable({ type: "string" }),
          }),
        }),
      },
    },
    (request) => {
      if (!request.principal) throw new MfnasError("unauthenticated", "no key");
      return request.principal;
    },
  );

  app.post(
    "/api-keys",
    {
      config: { scope: "admin" },
      schema: {
        operationId: "createApiKey",
        summary: "Create an API key or a device-lab agent token; the token is shown only in this response",
        description:
          "People and scripts get read, submit or admin (each includes the ones before). An agent token has the " +
          "agent scope alone and names its device class.",
        tags: ["api keys"],
        body: object(
          {
            name: { type: "string", minLength: 1, maxLength: 200 },
            scopes: {
              type: "array",
              items: { type: "string", enum: [...scopes] },
              minItems: 1,
              maxItems: 4,
              uniqueItems: true,
            },
            deviceClass: { type: "string", pattern: DEVICE_CLASS_PATTERN.source },
          },
          ["deviceClass"],
        ),
        response: responses({
          201: object({ ...(keySchema["properties"] as Record<string, object>), token: { type: "string" } }),
        }),
      },
    },
    async (request, reply) => {
      const body = request.body as { name: string; scopes: (typeof scopes)[number][]; deviceClass?: string };
      const agent = body.scopes.includes("agent");
      if (agent && (body.scopes.length > 1 || body.deviceClass === undefined)) {
        const message = "scopes: an agent token has the agent scope alone and a deviceClass";
        throw new MfnasError("invalid_input", message, { fields: [message] });
      }
      if (!agent && body.deviceClass !== undefined) {
        const message = "deviceClass: only agent tokens name a device class";
        throw new MfnasError("invalid_input", message, { fields: [message] });
      }
      const issued = await deps.keys.issue({
        name: body.name,
        scopes: body.scopes,
        deviceClass: body.deviceClass ?? null,
      });
      const now = new Date();
      return reply.code(201).send({ ...issued, createdAt: now, lastUsedAt: null, revokedAt: null });
    },
  );

  app.get(
    "/api-keys",
    {
      config: { scope: "admin" },
      schema: {
        operationId: "listApiKeys",
        summary: "List keys (never their secrets)",
        tags: ["api keys"],
        response: responses({ 200: object({ items: arrayOf(keySchema) }) }),
      },
    },
    async () => ({ items: await deps.keys.list() }),
  );

  app.delete(
    "/api-keys/:id",
    {
      config: { scope: "admin" },
      schema: {
        operationId: "revokeApiKey",
        summary: "Revoke a key",
        tags: ["api keys"],
        params: idParams,
        response: responses({ 204: { type: "null", description: "revoked" } }),
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!(await deps.keys.revoke(id))) {
        if (await deps.keys.exists(id)) throw new MfnasError("conflict", `key ${id} is already revoked`, { id });
        throw new MfnasError("not_found", `key ${id} does not exist`, { id });
      }
      deps.forgetKey(id);
      return reply.code(204).send();
    },
  );
}
