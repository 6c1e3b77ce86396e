import { randomUUID } from "node:crypto";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { checkDependencies, type Dependency } from "@mfnas/queue";
import { ApiKeyRepository } from "@mfnas/store";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifySchema } from "fastify";
import { registerAuth, SCOPE_MEANING, type RouteScope } from "./auth.ts";
import { registerDashboard } from "./dashboard.ts";
import { registerInputGuard } from "./input-guard.ts";
import { registerMetrics } from "./metrics.ts";
import { clientErrorResponse, toProblem } from "./problem.ts";
import { DEFAULT_API_OPTIONS, type ApiOptions, type ApiResources } from "./resources.ts";
import { registerRoutes } from "./routes/index.ts";
import { SseHub } from "./sse.ts";
import { BODY_MEDIA_TYPES, registerValidation } from "./validation.ts";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Builds the API (not listening): /v1 routes, OpenAPI at /v1/openapi.json, docs at /docs, /healthz, /readyz; its
 * Prometheus registry is `app.metricsRegistry` (served by main.ts on its own port). Tests call it with real
 * resources and use `inject` or `listen`; main.ts adds the sockets and signals.
 */
export async function buildApi(resources: ApiResources): Promise<FastifyInstance> {
  const options: ApiOptions = { ...DEFAULT_API_OPTIONS, ...resources.options };
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimitBytes,
    trustProxy: options.trustProxy,
    // A caller's x-request-id is kept when it is a plain token, so logs on both sides share it.
    genReqId: (request) => {
      const given = request.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    // Errors found before routing (a path that is not UTF-8, a path parameter too long) are problems too.
    frameworkErrors: (error, request, reply) => {
      const problem = toProblem(error, request);
      // Typed for the route it has not found; its reply is an ordinary one.
      void (reply as FastifyReply).code(problem.status).type("application/problem+json").send(problem);
    },
    // Requests Node's HTTP parser refuses (431, 408, malformed) never reach fastify: answered on the socket.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket) => {
      if (error.code === "ECONNRESET" || socket.destroyed) return;
      if (socket.writable) socket.write(clientErrorResponse(error, randomUUID()));
      socket.destroy(error);
    },
  });
  app.addHook("onRequest", (request, reply, done) => {
    void reply.header("x-request-id", request.id);
    done();
  });

  registerValidation(app);
  registerInputGuard(app);
  app.setErrorHandler(async (error, request, reply) => {
    const problem = toProblem(error, request);
    if (problem.status >= 500) request.log.error({ err: error, problem }, "request failed");
    return reply.code(problem.status).type("application/problem+json").send(problem);
  });
  const routes = registeredRoutes(app);
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split("?")[0] ?? "";
    const allowed = routes.methodsOf(path);
    const status = allowed.length > 0 ? 405 : 404;
    if (status === 405) void reply.header("allow", allowed.join(", "));
    const message = status === 405 ? `${path} does not answer ${request.method}` : `no route ${request.method} ${path}`;
    const problem = toProblem(Object.assign(new Error(message), { statusCode: status }), request);
    return reply.code(status).type("application/problem+json").send(problem);
  });

  if (options.rateLimit !== false) {
    const { max, addressMax, windowMs } = options.rateLimit;
    await app.register(rateLimit, {
      global: true,
      max,
      timeWindow: windowMs,
      // After authentication, so a key's requests count against the key wherever they come from.
      hook: "preHandler",
      keyGenerator: (request) => (request.principal ? `key:${request.principal.id}` : `ip:${request.ip}`),
      ...(resources.redis ? { redis: resources.redis, nameSpace: options.rateLimitNamespace } : {}),
      skipOnError: true,
    });
    // Before authentication, every request also counts against its client address: requests with no key or a
    // wrong key never reach the per-key limit, and guessing keys must not be free.
    const perAddress = app.createRateLimit({
      max: addressMax,
      timeWindow: windowMs,
      keyGenerator: (request) => `address:${request.ip}`,
    });
    app.addHook("onRequest", async (request, reply) => {
      const limit = await perAddress(request);
      if (limit.isAllowed || !limit.isExceeded) return;
      void reply.header("retry-after", limit.ttlInSeconds);
      throw Object.assign(new Error(`too many requests from this address; retry in ${limit.ttlInSeconds} s`), {
        statusCode: 429,
      });
    });
  }
  const keys = new ApiKeyRepository(resources.db);
  const auth = registerAuth(app, keys, options.auth);

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "mfnas API",
        version: "1",
        description:
          "Hardware-aware NAS of super-resolution GAN generators: supernets, searches, fronts, devices, " +
          "measurements, artifacts, schedules. Errors are application/problem+json (RFC 9457).",
      },
      components: {
        securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "mfnas_<prefix>_<secret>" } },
      },
      security: [{ bearer: [] }],
    },
    transform: ({ schema, url, route }) => ({ schema: documented(schema, route.config?.scope), url }),
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });

  const hub = new SseHub();
  registerMetrics(app, hub);
  app.addHook("preClose", (done) => {
    hub.closeAll();
    done();
  });

  app.get("/healthz", { config: { scope: "public" }, schema: { hide: true, response: { 200: statusSchema } } }, () => ({
    status: "ok",
  }));
  const redis = resources.redis;
  const dependencies: Dependency[] = [
    { name: "postgres", at: "DATABASE_URL", check: () => resources.db.$queryRaw`SELECT 1` },
    ...(redis ? [{ name: "redis", at: "REDIS_URL", check: () => redis.ping() }] : []),
  ];
  app.get(
    "/readyz",
    { config: { scope: "public" }, schema: { hide: true, response: { 200: statusSchema, 503: statusSchema } } },
    async (_request, reply) => {
      const report = await checkDependencies(dependencies);
      return reply
        .code(report.ready ? 200 : 503)
        .send({ status: report.ready ? "ready" : "not ready", checks: report.checks });
    },
  );
  app.get(
    "/v1/openapi.json",
    {
      config: { scope: "public" },
      schema: { hide: true, response: { 200: { type: "object", additionalProperties: true } } },
    },
    () => app.swagger(),
  );

  await app.register(
    (v1, _options, done) => {
      registerRoutes(v1, {
        db: resources.db,
        jobs: resources.jobs,
        artifacts: resources.artifacts,
        keys,
        forgetKey: (id) => auth.forget(id),
        options,
        hub,
      });
      done();
    },
    { prefix: "/v1" },
  );
  await registerDashboard(app);
  await app.ready();
  return app;
}

/** The methods each registered path answers, so that a known path asked with another method is a 405. */
function registeredRoutes(app: FastifyInstance): { methodsOf(path: string): string[] } {
  const routes: Array<{ pattern: RegExp; methods: string[] }> = [];
  app.addHook("onRoute", (route) => {
    const source = route.url
      .split("/")
      .map((segment) =>
        segment.startsWith(":") ? "[^/]+" : segment === "*" ? ".*" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
      )
      .join("/");
    routes.push({ pattern: new RegExp(`^${source}$`), methods: [route.method].flat() });
  });
  return {
    methodsOf(path) {
      const methods = new Set<string>();
      for (const route of routes) if (route.pattern.test(path)) for (const m of route.methods) methods.add(m);
      return [...methods].sort();
    },
  };
}

const statusSchema = {
  type: "object",
  properties: {
    status: { type: "string" },
    checks: {
      type: "object",
      additionalProperties: { type: "string" },
      description: "each dependency: ok, or why not",
    },
  },
  required: ["status"],
} as const;

/**
 * A route's schema as the OpenAPI document shows it: the scope it requires (as `x-required-scope`, as the
 * security requirement and in its description), every media type its body may be sent as, and without the
 * validator's marker keyword.
 */
function documented(schema: FastifySchema, scope: RouteScope | undefined): FastifySchema {
  const required = scope ?? "public";
  const own = schema as Record<string, unknown>;
  const description = typeof own["description"] === "string" ? `${own["description"]}\n\n` : "";
  return {
    ...(stripMarkers(schema) as Record<string, unknown>),
    description: `${description}Requires scope: ${required} (${SCOPE_MEANING[required]}).`,
    "x-required-scope": required,
    ...(required === "public" ? { security: [] } : {}),
    ...(own["body"] !== undefined && own["consumes"] === undefined ? { consumes: [...BODY_MEDIA_TYPES] } : {}),
  } as FastifySchema;
}

function stripMarkers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripMarkers);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== "x-mfnas-validated-by")
      .map(([key, v]) => [key, stripMarkers(v)]),
  );
}
