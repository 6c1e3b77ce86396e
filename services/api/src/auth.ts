import { MfnasError } from "@mfnas/core";
import { hashApiToken, type ApiKeyPrincipal, type ApiKeyRepository } from "@mfnas/store";
import type { FastifyInstance, FastifyRequest } from "fastify";

/**
 * What a route requires:
 * - `public`: nothing (health, metrics, docs, the OpenAPI document);
 * - `read` < `submit` < `admin`: a person's or a script's API key; each scope includes the ones before it;
 * - `agent`: a device-lab agent token, which acts only for its own device class;
 * - `read-or-agent`: a read key, or an agent token (the route narrows what the agent sees to its class).
 */
export type RouteScope = "public" | "read" | "submit" | "admin" | "agent" | "read-or-agent";

declare module "fastify" {
  interface FastifyContextConfig {
    scope?: RouteScope;
  }
  interface FastifyRequest {
    principal: ApiKeyPrincipal | null;
  }
}

/** What each scope means, in the words the OpenAPI document uses. */
export const SCOPE_MEANING: Record<RouteScope, string> = {
  public: "no key needed",
  read: "any API key: read, submit or admin",
  submit: "a key with the submit or admin scope",
  admin: "a key with the admin scope",
  agent: "a device-lab agent token of its device class",
  "read-or-agent": "a key with the read scope or above, or a device-lab agent token",
};

const RANK = { read: 1, submit: 2, admin: 3 } as const;

function personRank(principal: ApiKeyPrincipal): number {
  let rank = 0;
  for (const scope of principal.scopes) {
    switch (scope) {
      case "read":
      case "submit":
      case "admin":
        rank = Math.max(rank, RANK[scope]);
        break;
      case "agent":
        break;
    }
  }
  return rank;
}

export function isAgent(principal: ApiKeyPrincipal): boolean {
  return personRank(principal) === 0 && principal.scopes.includes("agent");
}

/** Throws 403 unless the principal may use a route of this scope. */
export function authorize(principal: ApiKeyPrincipal, scope: Exclude<RouteScope, "public">): void {
  const rank = personRank(principal);
  const allowed = (() => {
    switch (scope) {
      case "read":
      case "submit":
      case "admin":
        return rank >= RANK[scope];
      case "agent":
        return principal.scopes.includes("agent") && principal.deviceClass !== null;
      case "read-or-agent":
        return rank >= RANK.read || (principal.scopes.includes("agent") && principal.deviceClass !== null);
    }
  })();
  if (!allowed) {
    throw new MfnasError("forbidden", `this key (${principal.prefix}) lacks the ${scope} scope`, {
      required: scope,
      scopes: principal.scopes,
    });
  }
}

/** An agent acting for another device class than its token's. */
export function assertAgentClass(principal: ApiKeyPrincipal, deviceClass: string): void {
  if (isAgent(principal) && principal.deviceClass !== deviceClass) {
    throw new MfnasError(
      "forbidden",
      `this agent token acts for device class ${String(principal.deviceClass)}, not ${deviceClass}`,
      { deviceClass },
    );
  }
}

export interface AuthOptions {
  /** How long a verified key is trusted before the store is asked again (revocations take this long). */
  readonly cacheMs: number;
  /** How often a key's lastUsedAt is written at most. */
  readonly touchEveryMs: number;
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header === undefined || header === "") {
    throw new MfnasError("unauthenticated", "missing Authorization: Bearer <api key>");
  }
  const match = /^Bearer ([!-~]{1,512})$/.exec(header);
  if (!match?.[1]) throw new MfnasError("unauthenticated", "Authorization must be 'Bearer <api key>'");
  return match[1];
}

/**
 * Checks every request against its route's declared scope (in onRequest, before the body is read). Every route
 * must declare one: a route without a scope fails at registration, so nothing is public by accident.
 */
export function registerAuth(
  app: FastifyInstance,
  keys: ApiKeyRepository,
  options: AuthOptions,
): { forget(keyId: string): void } {
  const verified = new Map<string, { principal: ApiKeyPrincipal; until: number }>();
  const touched = new Map<string, number>();
  app.decorateRequest("principal", null);

  app.addHook("onRoute", (route) => {
    if (route.config?.scope === undefined && !route.url.startsWith("/docs")) {
      throw new Error(`route ${String(route.method)} ${route.url} declares no scope`);
    }
  });

  app.addHook("onRequest", async (request, reply) => {
    const scope = request.routeOptions.config.scope;
    // Unmatched routes (404) and the docs pages carry no scope.
    if (scope === undefined || scope === "public") return;
    let principal: ApiKeyPrincipal | null;
    try {
      const token = bearerToken(request);
      const key = hashApiToken(token);
      const cached = verified.get(key);
      const now = Date.now();
      if (cached && cached.until > now) {
        principal = cached.principal;
      } else {
        principal = await keys.authenticate(token);
        if (principal) verified.set(key, { principal, until: now + options.cacheMs });
        else verified.delete(key);
      }
      if (!principal) throw new MfnasError("unauthenticated", "unknown or revoked API key");
    } catch (error) {
      void reply.header("www-authenticate", 'Bearer realm="mfnas"');
      throw error;
    }
    request.principal = principal;
    authorize(principal, scope);
    const now = Date.now();
    if ((touched.get(principal.id) ?? 0) + options.touchEveryMs <= now) {
      touched.set(principal.id, now);
      keys.touch(principal.id).catch((error: unknown) => request.log.warn({ err: error }, "could not record key use"));
    }
  });
  return {
    forget(keyId) {
      for (const [hash, entry] of verified) if (entry.principal.id === keyId) verified.delete(hash);
    },
  };
}
