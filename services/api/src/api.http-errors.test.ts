import { randomInt } from "node:crypto";
import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../../../tests/support/api.ts";

// Real HTTP requests against a listening server: rate limits before and after authentication, and a problem
// document for every error, including those Node's HTTP parser and fastify's router produce.

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const LIMITS = { max: 5, submitMax: 2, addressMax: 8, windowMs: 60_000 };

describe("HTTP errors and rate limits over a real socket", () => {
  let t: TestApi;
  let port: number;
  beforeAll(async () => {
    // Client addresses come from X-Forwarded-For, so each test has addresses of its own (the counters live in
    // Redis and outlast a run).
    t = await startTestApi({ rateLimit: LIMITS, trustProxy: true, bodyLimitBytes: 1_024 });
    await t.app.listen({ host: "127.0.0.1", port: 0 });
    const address = t.app.server.address();
    if (typeof address !== "object" || address === null) throw new Error("no address");
    port = address.port;
  });
  afterAll(() => t.close());

  const freshAddress = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

  function request(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port, method, path, headers }, (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
      });
      req.on("error", reject);
      req.end(body);
    });
  }

  /** Sends raw bytes and reads the whole answer (the server closes the connection after a parser error). */
  function raw(bytes: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1");
      let text = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => (text += chunk));
      socket.on("error", (error: NodeJS.ErrnoException) => {
        // The server may reset the connection once it has answered.
        if (error.code !== "ECONNRESET" && error.code !== "EPIPE") reject(error);
      });
      socket.on("close", () => {
        const [head = "", body = ""] = text.split("\r\n\r\n");
        const [statusLine = "", ...lines] = head.split("\r\n");
        const headers = Object.fromEntries(
          lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]),
        );
        resolve({ status: Number(statusLine.split(" ")[1]), headers, body });
      });
      socket.write(bytes);
    });
  }

  function expectProblem(answer: Answer, status: number, code: string): void {
    expect(answer.status, answer.body).toBe(status);
    expect(answer.headers["content-type"]).toContain("application/problem+json");
    const problem = JSON.parse(answer.body) as { status: number; code: string; requestId: string };
    expect(problem).toMatchObject({ status, code });
    expect(problem.requestId).toBeTruthy();
  }

  it("limits requests with no key or a wrong key per client address, before authentication", async () => {
    for (const authorization of [undefined, "Bearer mfnas_000000000000_" + "A".repeat(43), "Basic Zm9vOmJhcg=="]) {
      const from = freshAddress();
      const headers = { "x-forwarded-for": from, ...(authorization ? { authorization } : {}) };
      for (let i = 0; i < LIMITS.addressMax; i++)
        expectProblem(await request("GET", "/v1/searches", headers), 401, "unauthenticated");
      const limited = await request("GET", "/v1/searches", headers);
      expectProblem(limited, 429, "rate_limited");
      expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
      // Another address is not affected.
      expectProblem(
        await request("GET", "/v1/searches", { ...headers, "x-forwarded-for": freshAddress() }),
        401,
        "unauthenticated",
      );
    }
  });

  it("limits unknown routes per client address too", async () => {
    const headers = { "x-forwarded-for": freshAddress() };
    for (let i = 0; i < LIMITS.addressMax; i++)
      expectProblem(await request("GET", "/nowhere", headers), 404, "not_found");
    expectProblem(await request("GET", "/nowhere", headers), 429, "rate_limited");
  });

  it("limits a key wherever its requests come from", async () => {
    const key = await t.app.inject({
      method: "POST",
      url: "/v1/api-keys",
      headers: { ...t.auth.admin, "x-forwarded-for": freshAddress() },
      payload: { name: "limited", scopes: ["read"] },
    });
    expect(key.statusCode, key.body).toBe(201);
    const authorization = `Bearer ${key.json<{ token: string }>().token}`;
    for (let i = 0; i < LIMITS.max; i++) {
      const answer = await request("GET", "/v1/searches", { authorization, "x-forwarded-for": freshAddress() });
      expect(answer.status, answer.body).toBe(200);
    }
    expectProblem(
      await request("GET", "/v1/searches", { authorization, "x-forwarded-for": freshAddress() }),
      429,
      "rate_limited",
    );
  });

  it("answers every error as application/problem+json", async () => {
    const auth = { ...t.auth.admin, "x-forwarded-for": freshAddress() };
    const fresh = () => ({ ...t.auth.admin, "x-forwarded-for": freshAddress() });
    expectProblem(await request("GET", "/v1/no-such-thing", auth), 404, "not_found");
    const wrongMethod = await request("DELETE", "/v1/searches", fresh());
    expectProblem(wrongMethod, 405, "method_not_allowed");
    expect(wrongMethod.headers["allow"]).toContain("GET");
    expect(wrongMethod.headers["allow"]).toContain("POST");
    expectProblem(
      await request(
        "POST",
        "/v1/api-keys",
        { ...fresh(), "content-type": "application/json" },
        JSON.stringify({ name: "x".repeat(2_000), scopes: ["read"] }),
      ),
      413,
      "payload_too_large",
    );
    expectProblem(await request("GET", `/v1/searches/${"a".repeat(500)}`, fresh()), 414, "uri_too_long");
    expectProblem(
      await request("POST", "/v1/api-keys", { ...fresh(), "content-type": "application/xml" }, "<key/>"),
      415,
      "unsupported_media_type",
    );
    expectProblem(await request("GET", "/v1/searches/%E0%A4%A", fresh()), 400, "invalid_input");

    // Refused by Node's HTTP parser before fastify sees the request.
    const huge = await raw(`GET /v1/searches HTTP/1.1\r\nHost: x\r\nx-padding: ${"p".repeat(40_000)}\r\n\r\n`);
    expectProblem(huge, 431, "headers_too_large");
    const malformed = await raw("GET /v1/searches HTTP/1.1\r\nHost: x\r\nbad header line\r\n\r\n");
    expectProblem(malformed, 400, "invalid_input");
  });
});
