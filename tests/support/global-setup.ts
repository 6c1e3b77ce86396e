import net from "node:net";
import { TEST_DATABASE_URL, TEST_REDIS_URL } from "./env.ts";

/** Fails the run early, with a clear message, when Postgres or Redis is not listening. */
async function reachable(url: string, defaultPort: number): Promise<void> {
  const { hostname, port } = new URL(url);
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port || defaultPort) });
    socket.setTimeout(3_000);
    socket.once("connect", () => {
      socket.end();
      resolve();
    });
    const fail = (why: string) => {
      socket.destroy();
      reject(
        new Error(
          `cannot reach ${hostname}:${port || defaultPort} (${url}): ${why}; start it or set MFNAS_TEST_* URLs`,
        ),
      );
    };
    socket.once("timeout", () => fail("timeout"));
    socket.once("error", (e) => fail(e.message));
  });
}

export default async function setup(): Promise<void> {
  await reachable(TEST_DATABASE_URL, 5432);
  await reachable(TEST_REDIS_URL, 6379);
}
