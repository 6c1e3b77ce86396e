import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../../../tests/support/api.ts";

interface Event {
  event: string;
  id?: string;
  data: Record<string, unknown>;
}

/** Reads a text/event-stream over a real socket, parsing events as they arrive. */
async function openStream(url: string, headers: Record<string, string>) {
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get(url, { headers }, resolve).on("error", reject);
  });
  const events: Event[] = [];
  let buffer = "";
  let heartbeats = 0;
  let closed = false;
  response.setEncoding("utf8");
  response.on("data", (text: string) => {
    buffer += text;
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      if (block.startsWith(": ping")) heartbeats++;
      const fields = Object.fromEntries(
        block
          .split("\n")
          .filter((l) => !l.startsWith(":"))
          .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 2)]),
      );
      if (fields["event"]) {
        events.push({
          event: fields["event"],
          ...(fields["id"] !== undefined ? { id: fields["id"] } : {}),
          data: JSON.parse(fields["data"] ?? "{}") as Record<string, unknown>,
        });
      }
    }
  });
  response.on("end", () => (closed = true));
  response.on("close", () => (closed = true));
  const until = async (predicate: () => boolean, what: string) => {
    const deadline = Date.now() + 45_000; // generous: the machine may be busy
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(events)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { response, events, heartbeats: () => heartbeats, closed: () => closed, until };
}

describe("server-sent events over a real socket", () => {
  let t: TestApi;
  let base: string;
  beforeAll(async () => {
    t = await startTestApi();
    await t.app.listen({ host: "127.0.0.1", port: 0 });
    const address = t.app.server.address();
    if (typeof address !== "object" || address === null) throw new Error("no address");
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => t.close());

  it("streams a search's generations and status, resumes after Last-Event-ID and ends at a terminal state", async () => {
    const db = t.database.db;
    const search = await db.search.create({ data: { name: "live", spec: {}, seed: 0, status: "running" } });
    const generation = (index: number) =>
      db.generation.create({ data: { searchId: search.id, index, population: [{ hash: "h" }], front: [] } });
    await generation(0);
    const stream = await openStream(`${base}/v1/searches/${search.id}/events`, t.auth.read);
    expect(stream.response.headers["content-type"]).toContain("text/event-stream");
    expect(stream.response.headers["x-request-id"]).toBeTruthy();
    await stream.until(() => stream.events.some((e) => e.event === "status"), "status");
    expect(stream.events[0]).toMatchObject({ event: "generation", id: "0", data: { index: 0, populationSize: 1 } });
    expect(stream.events[1]).toMatchObject({ event: "status", data: { status: "running" } });
    await generation(1);
    await stream.until(() => stream.events.some((e) => e.id === "1"), "generation 1");
    await stream.until(() => stream.heartbeats() > 0, "a heartbeat");

    const resumed = await openStream(`${base}/v1/searches/${search.id}/events`, {
      ...t.auth.read,
      "last-event-id": "0",
    });
    await resumed.until(() => resumed.events.some((e) => e.event === "status"), "status on resume");
    expect(resumed.events.filter((e) => e.event === "generation").map((e) => e.id)).toEqual(["1"]);

    await generation(2);
    await db.search.update({ where: { id: search.id }, data: { status: "succeeded", lastGeneration: 2 } });
    await stream.until(() => stream.closed(), "the stream to end");
    expect(stream.events.filter((e) => e.event === "generation").map((e) => e.id)).toEqual(["0", "1", "2"]);
    expect(stream.events.at(-2)).toMatchObject({ event: "status", data: { status: "succeeded" } });
    expect(stream.events.at(-1)?.event).toBe("end");
    await resumed.until(() => resumed.closed(), "the resumed stream to end");
  });

  it("streams a supernet's training progress and checkpoints", async () => {
    const db = t.database.db;
    const supernet = await db.supernet.create({
      data: { name: "s", searchSpace: {}, trainingConfig: { steps: 20 }, status: "training" },
    });
    const stream = await openStream(`${base}/v1/supernets/${supernet.id}/events?after=-1`, t.auth.read);
    await stream.until(() => stream.events.some((e) => e.event === "status"), "status");
    await db.supernetProgress.create({
      data: { supernetId: supernet.id, step: 10, losses: { pixel: 0.2 }, imagesPerSecond: 4 },
    });
    await db.artifact.create({ data: { sha256: "d".repeat(64), kind: "checkpoint", uri: "file:///x", sizeBytes: 1n } });
    await db.supernetCheckpoint.create({ data: { supernetId: supernet.id, step: 10, artifactSha256: "d".repeat(64) } });
    await stream.until(() => stream.events.some((e) => e.event === "checkpoint"), "checkpoint");
    expect(stream.events.find((e) => e.event === "progress")).toMatchObject({ id: "10", data: { step: 10 } });
    await db.supernet.update({ where: { id: supernet.id }, data: { status: "ready", step: 20 } });
    await stream.until(() => stream.closed(), "the stream to end");
    expect(stream.events.at(-1)?.event).toBe("end");
  });

  it("answers 401 and 404 as problem documents before any stream opens", async () => {
    const anonymous = await fetch(`${base}/v1/searches/00000000-0000-4000-8000-000000000000/events`);
    expect(anonymous.status).toBe(401);
    const missing = await fetch(`${base}/v1/searches/00000000-0000-4000-8000-000000000000/events`, {
      headers: t.auth.read,
    });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toContain("application/problem+json");
  });

  it("ends open streams when the server closes", async () => {
    const search = await t.database.db.search.create({ data: { name: "open", spec: {}, seed: 0 } });
    const stream = await openStream(`${base}/v1/searches/${search.id}/events`, t.auth.read);
    await stream.until(() => stream.events.length > 0, "first event");
    const closing = t.app.close();
    await stream.until(() => stream.closed(), "the stream to end on shutdown");
    await closing;
  });
});
