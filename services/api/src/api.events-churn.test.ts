import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../../../tests/support/api.ts";

// Thousands of event streams dropped at random moments over real sockets, against a listening server: once the
// clients are gone, the streams' timers and polls must be gone too (read from the API's own /metrics) and the
// process's timers back to where they were.

const STREAMS = 2_000;
const AT_ONCE = 40;
const POLL_MS = 20;

type Moment = "mid-request" | "at-once" | "soon" | "first-byte" | "first-event";
const MOMENTS: readonly Moment[] = ["mid-request", "at-once", "soon", "first-byte", "first-event"];

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const liveTimeouts = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;

describe("event streams dropped at random moments", () => {
  let t: TestApi;
  let port: number;
  let searchId: string;
  beforeAll(async () => {
    t = await startTestApi({ rateLimit: false, sse: { pollMs: POLL_MS, heartbeatMs: 2 * POLL_MS } });
    await t.app.listen({ host: "127.0.0.1", port: 0 });
    const address = t.app.server.address();
    if (typeof address !== "object" || address === null) throw new Error("no address");
    port = address.port;
    // Never finishes: its streams only end when their clients go.
    searchId = (await t.database.db.search.create({ data: { name: "forever", spec: {}, seed: 0, status: "running" } }))
      .id;
  });
  afterAll(() => t.close());

  async function sse(): Promise<{ streams: number; timers: number; pollsInFlight: number; polls: number }> {
    const text = await t.app.metricsRegistry.metrics();
    const read = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
    return {
      streams: read("mfnas_api_sse_streams"),
      timers: read("mfnas_api_sse_timers"),
      pollsInFlight: read("mfnas_api_sse_polls_in_flight"),
      polls: read("mfnas_api_sse_polls"),
    };
  }

  /** Opens one stream over a raw socket and drops it at `moment`; resolves when the socket is closed. */
  function openAndDrop(moment: Moment): Promise<void> {
    return new Promise((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      const request =
        `GET /v1/searches/${searchId}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Authorization: ${t.auth.read.authorization}\r\nAccept: text/event-stream\r\n\r\n`;
      let received = "";
      socket.on("error", () => undefined);
      socket.on("close", () => resolve());
      socket.on("connect", () => {
        switch (moment) {
          case "mid-request":
            socket.write(request.slice(0, Math.floor(Math.random() * request.length)));
            socket.destroy();
            break;
          case "at-once":
            socket.write(request);
            socket.destroy();
            break;
          case "soon":
            socket.write(request);
            setTimeout(() => socket.destroy(), Math.random() * 5 * POLL_MS);
            break;
          case "first-byte":
          case "first-event":
            socket.write(request);
            break;
        }
      });
      socket.on("data", (chunk: Buffer) => {
        received += chunk.toString("utf8");
        if (moment === "first-byte" || (moment === "first-event" && received.includes("event: "))) socket.destroy();
      });
    });
  }

  it("leaves no timer, poll or stream behind", async () => {
    // Warm up (a stream opened and closed), then note what the process holds at rest.
    await openAndDrop("first-event");
    await until(sse, (s) => s.streams === 0 && s.timers === 0, "the warm-up stream to end");
    const timeoutsBefore = liveTimeouts();

    const moments = Array.from(
      { length: STREAMS },
      () => MOMENTS[Math.floor(Math.random() * MOMENTS.length)] as Moment,
    );
    const counts = Object.fromEntries(MOMENTS.map((m) => [m, moments.filter((x) => x === m).length]));
    const pollsBefore = (await sse()).polls;
    let next = 0;
    const worker = async () => {
      while (next < moments.length) await openAndDrop(moments[next++] as Moment);
    };
    await Promise.all(Array.from({ length: AT_ONCE }, worker));
    const pollsDuring = (await sse()).polls - pollsBefore;

    const idle = await until(
      sse,
      (s) => s.streams === 0 && s.timers === 0 && s.pollsInFlight === 0,
      "streams, timers and polls to end",
    );
    const timeoutsAfter = await until(
      () => Promise.resolve(liveTimeouts()),
      (n) => n <= timeoutsBefore,
      `live timers back to ${timeoutsBefore}`,
    );
    // Leaked streams would poll every POLL_MS: give them many chances, then count again.
    await new Promise((resolve) => setTimeout(resolve, 10 * POLL_MS));
    const after = await sse();
    console.log(
      `stream churn: ${STREAMS} streams dropped (${JSON.stringify(counts)}), ${pollsDuring} polls while open; ` +
        `afterwards ${after.streams} streams, ${after.timers} stream timers, ${after.polls - idle.polls} polls; ` +
        `process timers ${timeoutsBefore} before, ${timeoutsAfter} after`,
    );
    expect(pollsDuring).toBeGreaterThan(0);
    expect(after).toMatchObject({ streams: 0, timers: 0, pollsInFlight: 0, polls: idle.polls });
    expect(liveTimeouts()).toBeLessThanOrEqual(timeoutsBefore);
  }, 300_000);
});
