// API latency and throughput on loopback (autocannon in a worker thread, the API in this process):
//   - reading the Pareto front of a 10,000-candidate search (GET /v1/searches/:id/fronts/:target);
//   - reading one page of its candidates;
//   - submitting searches (POST /v1/searches: validate, insert, enqueue search.run in Redis).
// Real Postgres and Redis (MFNAS_TEST_* URLs), a fresh schema and queue prefix. Run: npx tsx bench/api.ts
// Options: --candidates N (10000), --seconds S (10), --connections C (10).
import os from "node:os";
import autocannon from "autocannon";
import { buildApi } from "@mfnas/api";
import { JobProducer, createRedis } from "@mfnas/queue";
import { ApiKeyRepository, LocalArtifactStore } from "@mfnas/store";
import { createTestDatabase, uniqueName } from "../tests/support/database.ts";
import { seedSearchResults } from "../tests/support/api-seed.ts";
import { TEST_REDIS_URL } from "../tests/support/env.ts";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const candidates = arg("candidates", 10_000);
const seconds = arg("seconds", 10);
const connections = arg("connections", 10);

const database = await createTestDatabase();
const redis = createRedis(TEST_REDIS_URL, "bench-api");
const jobs = new JobProducer({ connection: redis, prefix: uniqueName("bench") });
const started = Date.now();
const seeded = await seedSearchResults(database.db, { candidates, generations: 50 });
console.log(`seeded ${seeded.candidates} candidates in ${((Date.now() - started) / 1000).toFixed(1)} s`);

const app = await buildApi({
  db: database.db,
  jobs,
  redis,
  artifacts: new LocalArtifactStore(os.tmpdir(), database.db),
  options: { rateLimit: false },
});
await app.listen({ host: "127.0.0.1", port: 0 });
const address = app.server.address();
if (typeof address !== "object" || address === null) throw new Error("no address");
const base = `http://127.0.0.1:${address.port}`;
const key = await new ApiKeyRepository(database.db).issue({ name: "bench", scopes: ["submit"] });
const headers = { authorization: `Bearer ${key.token}` };

async function run(
  label: string,
  options: { url: string; method?: string; body?: string; headers?: Record<string, string> },
) {
  const result = await autocannon({
    ...options,
    headers: { ...headers, ...options.headers },
    connections,
    duration: seconds,
    workers: 1,
  });
  const ok = result.requests.total - result.non2xx;
  console.log(
    `${label.padEnd(34)} p50 ${String(result.latency.p50).padStart(5)} ms  p99 ${String(result.latency.p99).padStart(5)} ms  ` +
      `${result.requests.average.toFixed(0).padStart(6)} req/s  (${ok} ok, ${result.non2xx} non-2xx, ${result.errors} errors)`,
  );
}

try {
  const front = await app.inject({ url: `/v1/searches/${seeded.id}/fronts/${seeded.target}`, headers });
  const points = front.json<{ points: unknown[]; rankedCandidates: number }>();
  console.log(`front: ${points.points.length} points of ${points.rankedCandidates} ranked candidates`);
  console.log(`load: ${connections} connections, ${seconds} s each, Node ${process.version}, ${os.cpus().length} cpus`);
  await run(`GET front (${candidates} candidates)`, {
    url: `${base}/v1/searches/${seeded.id}/fronts/${seeded.target}`,
  });
  await run("GET candidates page (limit 100)", { url: `${base}/v1/searches/${seeded.id}/candidates?limit=100` });
  await run("POST search (validate+insert+queue)", {
    url: `${base}/v1/searches`,
    method: "POST",
    body: JSON.stringify({
      name: "bench",
      targets: [{ deviceClass: "pixel-7" }],
      budget: { generations: 2, population: 8 },
    }),
    headers: { "content-type": "application/json" },
  });
  console.log(`searches stored: ${await database.db.search.count()}`);
} finally {
  await app.close();
  await jobs.close();
  await redis.quit();
  await database.drop();
}
