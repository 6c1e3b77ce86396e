// The mfnas CLI as a real process against a real API process (Postgres, Redis, a local artifact store).
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QUEUES } from "@mfnas/core";
import { JobProducer } from "@mfnas/queue";
import { LocalArtifactStore } from "@mfnas/store";
import { seedSearchResults, type SeededSearch } from "./support/api-seed.ts";
import { ROOT } from "./support/database.ts";
import { freePort } from "./support/processes.ts";
import { useServiceTestbed } from "./support/service-testbed.ts";

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const CLI = path.join(ROOT, "services/cli/bin/mfnas.mjs");

/** A token in the API's format: mfnas_<12 hex>_<43 base64url>. */
function newToken(): string {
  return `mfnas_${randomBytes(6).toString("hex")}_${randomBytes(32).toString("base64url")}`;
}

describe("mfnas CLI against a running API", () => {
  const testbed = useServiceTestbed({ shared: true });
  let apiUrl: string;
  let apiKey: string;
  let workDir: string;
  let artifactDir: string;
  let seeded: SeededSearch;

  function mfnas(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        cwd: workDir,
        env: {
          PATH: process.env["PATH"] ?? "",
          HOME: process.env["HOME"] ?? "/tmp",
          MFNAS_API_URL: apiUrl,
          MFNAS_API_KEY: apiKey,
          ...env,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      child.once("exit", (code) => resolve({ code, stdout, stderr }));
    });
  }

  async function json<T>(args: string[]): Promise<T> {
    const run = await mfnas([...args, "--json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout) as T;
  }

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), "mfnas-cli-"));
    artifactDir = path.join(workDir, "artifacts");
    apiKey = newToken();
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    const api = testbed().start("api", {
      API_HOST: "127.0.0.1",
      API_PORT: String(port),
      ARTIFACT_DIR: artifactDir,
      API_BOOTSTRAP_ADMIN_KEY: apiKey,
      API_SSE_POLL_MS: "100",
      LOG_LEVEL: "info",
    });
    await api.waitFor(/api ready/);
    seeded = await seedSearchResults(testbed().database.db, { candidates: 60, generations: 4, name: "seeded-front" });
  });
  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it("submits a YAML spec and queues its search", async () => {
    await writeFile(
      path.join(workDir, "spec.yaml"),
      "name: cli-submitted\nseed: 4\ntargets:\n  - deviceClass: pixel-7\nbudget:\n  generations: 3\n  population: 8\n",
    );
    const created = await json<{ id: string; name: string; status: string; seed: number }>([
      "search",
      "submit",
      "spec.yaml",
    ]);
    expect(created).toMatchObject({ name: "cli-submitted", status: "queued", seed: 4 });
    const producer = new JobProducer({ connection: testbed().redis, prefix: testbed().prefix });
    expect(await producer.queue(QUEUES.search.name).getJob(`search.run-${created.id}`)).toBeDefined();
    await producer.close();

    const human = await mfnas(["search", "submit", "spec.yaml"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^search [0-9a-f-]{36} "cli-submitted" queued \[\.+\] 0\/3/);
    // No phone of the class has registered in this database: accepted, with a warning.
    expect(human.stdout).toContain(
      "warning: targets: no phone of device class pixel-7 has registered yet; its measurements wait in measure.pixel-7",
    );
  });

  it("refuses a bad spec with one line naming the field, and exit code 1", async () => {
    await writeFile(
      path.join(workDir, "bad.json"),
      JSON.stringify({ name: "bad", budget: { generations: 0, population: 8 } }),
    );
    const run = await mfnas(["search", "submit", "bad.json"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/^mfnas: 400 invalid_input: .*budget\.generations: .*\(request [^)]+\)\n$/);

    await writeFile(path.join(workDir, "broken.yaml"), "name: [unclosed\n");
    const broken = await mfnas(["search", "submit", "broken.yaml"]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^mfnas: broken\.yaml: not valid YAML \(line \d+\)/);
  });

  it("answers a wrong key with 401 and exit code 1", async () => {
    const run = await mfnas(["search", "list"], { MFNAS_API_KEY: newToken() });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^mfnas: 401 unauthenticated: unknown or revoked API key/);
    const asJson = await mfnas(["search", "list", "--json"], { MFNAS_API_KEY: "not-a-key" });
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stderr)).toMatchObject({ problem: { status: 401, code: "unauthenticated" } });
  });

  it("lists searches with filters and pagination", async () => {
    const first = await json<{ items: { id: string; name: string }[]; nextCursor: string | null }>([
      "search",
      "list",
      "--limit",
      "1",
    ]);
    expect(first.items).toHaveLength(1);
    expect(first.nextCursor).not.toBeNull();
    const all = await json<{ items: { id: string }[]; nextCursor: null }>(["search", "list", "--all", "--limit", "1"]);
    const total = await testbed().database.db.search.count();
    expect(all.items).toHaveLength(total);
    expect(new Set(all.items.map((s) => s.id)).size).toBe(total);
    const filtered = await json<{ items: { name: string; status: string }[] }>([
      "search",
      "list",
      "--name",
      "seeded",
      "--status",
      "succeeded",
    ]);
    expect(filtered.items.map((s) => [s.name, s.status])).toEqual([["seeded-front", "succeeded"]]);
    const table = await mfnas(["search", "list", "--name", "seeded"]);
    expect(table.stdout.split("\n")[0]).toMatch(/^id\s+name\s+status\s+generations/);
    expect(table.stdout).toContain(seeded.id);
  });

  it("prints the front of a seeded search, as a table, as JSON and as an SVG plot", async () => {
    const db = testbed().database.db;
    await db.search.update({ where: { id: seeded.id }, data: { result: { front: [], reference: null } } });
    const front = await json<{
      target: string;
      points: { genomeHash: string; quality: number; latencyMs: number }[];
    }>(["search", "front", seeded.id]);
    expect(front.target).toBe("pixel-7");
    // The front computed here from the stored rows: PSNR up, measured-else-predicted latency down.
    const rows = await db.candidate.findMany({
      where: { searchId: seeded.id },
      select: { genomeHash: true, psnr: true, latencies: { select: { measuredMs: true, predictedMs: true } } },
    });
    const points = rows.map((r) => ({
      hash: r.genomeHash,
      q: r.psnr ?? -Infinity,
      l: r.latencies[0]?.measuredMs ?? r.latencies[0]?.predictedMs ?? Infinity,
    }));
    const dominated = (p: (typeof points)[number]) =>
      points.some((o) => o.q >= p.q && o.l <= p.l && (o.q > p.q || o.l < p.l));
    const expected = points.filter((p) => !dominated(p)).map((p) => p.hash);
    expect(front.points.map((p) => p.genomeHash).sort()).toEqual(expected.sort());
    expect(front.points.length).toBeGreaterThan(1);

    const table = await mfnas(["search", "front", seeded.id, "--target", "pixel-7", "--svg", "front.svg"]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(`front of ${seeded.id} on pixel-7: ${front.points.length} of 60 ranked candidates`);
    expect(lines.filter((l) => /^\s*\d+\s+[0-9a-f]{12}\s/.test(l))).toHaveLength(front.points.length);
    const svg = await readFile(path.join(workDir, "front.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("latency on pixel-7");

    // Against memory traffic (the memory access cost): the API's front on that axis, with the figure as a column.
    const byTraffic = await json<{ axis: string; points: { x: number; cost: { memoryTrafficBytes: number } }[] }>([
      ...["search", "front", seeded.id, "--axis", "traffic"],
    ]);
    expect(byTraffic.axis).toBe("traffic");
    const trafficTable = await mfnas(["search", "front", seeded.id, "--axis", "traffic"]);
    expect(trafficTable.code).toBe(0);
    const [header, columns, ...trafficRows] = trafficTable.stdout.trimEnd().split("\n");
    expect(header).toBe(
      `front of ${seeded.id} on pixel-7 against memory traffic (memory access cost) (MB): ` +
        `${byTraffic.points.length} of 60 ranked candidates`,
    );
    expect(columns).toMatch(/peak act\. MB\s+mem\. traffic MB\s+gen/);
    const shown = trafficRows
      .filter((l) => /^\s*\d+\s+[0-9a-f]{12}\s/.test(l))
      .map((l) => Number(l.trim().split(/\s+/).at(-2)));
    expect(shown).toEqual(byTraffic.points.map((p) => Number((p.cost.memoryTrafficBytes / 1e6).toFixed(2))));
    const badAxis = await mfnas(["search", "front", seeded.id, "--axis", "bandwidth"]);
    expect(badAxis.code).not.toBe(0);
    expect(badAxis.stderr).toMatch(/--axis/);

    const unknownTarget = await mfnas(["search", "front", seeded.id, "--target", "nokia-3310"]);
    expect(unknownTarget.code).toBe(1);
    expect(unknownTarget.stderr).toMatch(/^mfnas: 404 not_found: search .* has no target nokia-3310/);
  });

  it("exports a candidate's TFLite model, checked against its digest", async () => {
    const front = await json<{ points: { genomeHash: string; quality: number }[] }>(["search", "front", seeded.id]);
    const best = [...front.points].sort((a, b) => b.quality - a.quality)[0]!;
    const other = front.points.find((p) => p.genomeHash !== best.genomeHash)!;
    const store = new LocalArtifactStore(artifactDir, testbed().database.db);
    const modelBytes = (hash: string) => new TextEncoder().encode(`TFL3 model of ${hash}`);
    for (const hash of [best.genomeHash, other.genomeHash]) {
      await store.put({
        bytes: modelBytes(hash),
        kind: "tflite",
        mediaType: "application/octet-stream",
        metadata: { genomeHash: hash },
      });
    }

    const byPrefix = await json<{ genomeHash: string; sha256: string; out: string }>([
      "search",
      "export",
      seeded.id,
      "--candidate",
      other.genomeHash.slice(0, 12),
      "--format",
      "tflite",
      "--out",
      "other.tflite",
    ]);
    expect(byPrefix.genomeHash).toBe(other.genomeHash);
    expect(await readFile(path.join(workDir, "other.tflite"))).toEqual(Buffer.from(modelBytes(other.genomeHash)));

    const byDefault = await mfnas(["search", "export", seeded.id, "--out", "best.tflite"]);
    expect(byDefault.code).toBe(0);
    expect(byDefault.stdout).toMatch(new RegExp(`candidate ${best.genomeHash.slice(0, 12)}`));
    expect(await readFile(path.join(workDir, "best.tflite"))).toEqual(Buffer.from(modelBytes(best.genomeHash)));

    const missing = await mfnas(["search", "export", seeded.id, "--format", "onnx", "--out", "x.onnx"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^mfnas: no onnx export of candidate [0-9a-f]{12}/);
  });

  it("watches a search to its end: a bar per generation with the hypervolume", async () => {
    const db = testbed().database.db;
    const search = await db.search.create({
      data: { name: "watched", seed: 0, spec: { name: "watched", budget: { generations: 2, population: 4 } } },
    });
    const watching = mfnas(["search", "watch", search.id]);
    for (const index of [0, 1]) {
      await db.generation.create({
        data: { searchId: search.id, index, population: [], front: ["a", "b"], hypervolume: 0.25 + index / 10 },
      });
      await db.search.update({ where: { id: search.id }, data: { lastGeneration: index, status: "running" } });
    }
    await db.search.update({ where: { id: search.id }, data: { status: "succeeded", finishedAt: new Date() } });
    const run = await watching;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("generation [########################] 2/2  hypervolume 0.35000  front 2");
    expect(run.stdout.trimEnd().split("\n").at(-1)).toBe(`search ${search.id} succeeded`);
  });

  it("stops watching a search that failed, saying why, with exit code 1", async () => {
    const db = testbed().database.db;
    const search = await db.search.create({
      data: { name: "doomed", seed: 0, status: "running", spec: { budget: { generations: 2, population: 4 } } },
    });
    const watching = mfnas(["search", "watch", search.id]);
    const error = "4 of 4 candidates of generation 0 failed for good: validation set Set14 is not known (x4)";
    await db.search.update({ where: { id: search.id }, data: { status: "failed", error, finishedAt: new Date() } });
    const run = await watching;
    expect(run.code).toBe(1);
    expect(run.stdout.trimEnd().split("\n").at(-1)).toBe(`search ${search.id} failed: ${error}`);
    expect(run.stderr).toContain(error);
  });

  it("lists devices and refuses a bad training config naming the field", async () => {
    expect(await json<{ items: unknown[] }>(["devices"])).toEqual({ items: [] });
    await writeFile(path.join(workDir, "train.yaml"), "name: tiny\ntrainingConfig:\n  steps: -5\n");
    const run = await mfnas(["supernet", "train", "train.yaml"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^mfnas: 400 invalid_input: .*trainingConfig\.steps/);
  });

  it("starts a device-lab agent as a child with the given environment (it names a missing variable)", async () => {
    const run = await mfnas(["lab", "start", "--redis-url", "redis://127.0.0.1:1"]);
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/DATABASE_URL: .*missing/);
  });

  it("prints its version, and PSNR to 3 decimals and SSIM to 4 on a front", async () => {
    const version = await mfnas(["--version"]);
    expect(version.code).toBe(0);
    const { version: expected } = JSON.parse(await readFile(path.join(ROOT, "services/cli/package.json"), "utf8")) as {
      version: string;
    };
    expect(version.stdout.trim()).toBe(`mfnas ${expected}`);

    for (const [quality, decimals] of [
      ["psnr", 3],
      ["ssim", 4],
    ] as const) {
      const front = await json<{ points: { genomeHash: string; quality: number }[] }>([
        "search",
        "front",
        seeded.id,
        "--quality",
        quality,
      ]);
      const table = await mfnas(["search", "front", seeded.id, "--quality", quality]);
      const rows = table.stdout.split("\n").filter((l) => /^\s*\d+\s+[0-9a-f]{12}\s/.test(l));
      expect(rows).toHaveLength(front.points.length);
      for (const [i, point] of front.points.entries()) {
        expect(rows[i]?.split(/\s+/).filter(Boolean)[2], quality).toBe(point.quality.toFixed(decimals));
      }
    }
  });

  it("cancels, resumes and clones a search submitted from examples/, with a supernet given on the command line", async () => {
    const example = path.join(ROOT, "examples/searches/host-cpu.yaml");
    const supernet = await json<{ id: string; status: string }>([
      "supernet",
      "train",
      path.join(ROOT, "examples/training/small-supernet.yaml"),
    ]);
    expect(supernet.status).toBe("queued");
    const search = await json<{ id: string; status: string; spec: { supernet?: { id: string } } }>([
      "search",
      "submit",
      example,
      "--supernet",
      supernet.id,
    ]);
    expect(search.spec.supernet?.id).toBe(supernet.id);
    expect((await json<{ status: string }>(["search", "cancel", search.id])).status).toBe("cancelled");
    const again = await mfnas(["search", "cancel", search.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^mfnas: 409 conflict: /);
    expect((await json<{ status: string }>(["search", "resume", search.id])).status).toBe("queued");
    const clone = await json<{ id: string; name: string; seed: number }>([
      "search",
      "clone",
      search.id,
      "--name",
      "cloned",
      "--seed",
      "9",
    ]);
    expect(clone).toMatchObject({ name: "cloned", seed: 9 });
    expect(clone.id).not.toBe(search.id);

    const listed = await json<{ items: { id: string }[] }>(["supernet", "list"]);
    expect(listed.items.map((s) => s.id)).toContain(supernet.id);
    const status = await mfnas(["supernet", "status", supernet.id]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`supernet ${supernet.id} "small-supernet" queued [`);
    expect((await json<{ status: string }>(["supernet", "cancel", supernet.id])).status).toBe("cancelled");
  });

  it("creates, pauses, resumes, edits and deletes a schedule", async () => {
    const created = await json<{ id: string; enabled: boolean; cron: string }>([
      "schedule",
      "create",
      path.join(ROOT, "examples/schedules/nightly.yaml"),
    ]);
    expect(created).toMatchObject({ enabled: true, cron: "0 2 * * *" });
    const id = created.id;
    expect((await json<{ enabled: boolean; nextRuns: string[] }>(["schedule", "pause", id])).nextRuns).toEqual([]);
    expect((await json<{ items: { id: string }[] }>(["schedule", "list", "--paused"])).items.map((s) => s.id)).toEqual([
      id,
    ]);
    expect((await json<{ enabled: boolean }>(["schedule", "resume", id])).enabled).toBe(true);
    const edited = await json<{ cron: string; timezone: string; name: string }>([
      "schedule",
      "edit",
      id,
      "--cron",
      "30 3 * * 1-5",
      "--timezone",
      "Europe/Paris",
      "--name",
      "weekday-nights",
    ]);
    expect(edited).toMatchObject({ cron: "30 3 * * 1-5", timezone: "Europe/Paris", name: "weekday-nights" });
    const badCron = await mfnas(["schedule", "edit", id, "--cron", "every night"]);
    expect(badCron.code).toBe(1);
    expect(badCron.stderr).toMatch(/^mfnas: 400 invalid_input: .*cron/);
    const shown = await mfnas(["schedule", "show", id]);
    expect(shown.stdout).toContain(`schedule ${id} "weekday-nights" 30 3 * * 1-5 (Europe/Paris) next `);
    expect(shown.stdout).toContain("no runs yet");
    expect(await json(["schedule", "delete", id])).toEqual({ id, deleted: true });
    expect((await mfnas(["schedule", "show", id])).stderr).toMatch(/^mfnas: 404 not_found/);
  });

  it("creates, lists and revokes keys; a revoked key is refused", async () => {
    const created = await json<{ id: string; token: string; scopes: string[] }>([
      "keys",
      "create",
      "--name",
      "ci-reader",
      "--scope",
      "read",
    ]);
    expect(created.scopes).toEqual(["read"]);
    const asReader = (args: string[]) => mfnas(args, { MFNAS_API_KEY: created.token });
    expect((await asReader(["keys", "whoami"])).stdout).toContain(`key ${created.id} "ci-reader" (read)`);
    const forbidden = await asReader(["keys", "list"]);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toMatch(/^mfnas: 403 forbidden: .*lacks the admin scope/);
    const listed = await json<{ items: { id: string; revokedAt: string | null }[] }>(["keys", "list"]);
    expect(listed.items.find((k) => k.id === created.id)?.revokedAt).toBeNull();
    expect(await json(["keys", "revoke", created.id])).toEqual({ id: created.id, revoked: true });
    expect((await asReader(["keys", "whoami"])).stderr).toMatch(/^mfnas: 401 unauthenticated/);
  });

  it("quarantines and releases a phone by its serial", async () => {
    const device = await testbed().database.db.device.create({
      data: { serial: "cli-phone-1", model: "Pixel 7", deviceClass: "pixel-7", state: "online" },
    });
    const quarantined = await json<{ id: string; state: string; quarantineReason: string }>([
      "devices",
      "quarantine",
      "cli-phone-1",
      "--reason",
      "battery swelling",
    ]);
    expect(quarantined).toMatchObject({ id: device.id, state: "quarantined", quarantineReason: "battery swelling" });
    const table = await mfnas(["devices", "--state", "quarantined"]);
    expect(table.stdout).toContain("battery swelling");
    const released = await mfnas(["devices", "release", device.id]);
    expect(released.code).toBe(0);
    expect(released.stdout.trim()).toMatch(/^device cli-phone-1 \(pixel-7\) (online|offline)$/);
    const unknown = await mfnas(["devices", "release", "no-such-phone"]);
    expect(unknown.stderr.trim()).toBe("mfnas: no device has the id or serial no-such-phone");
  });

  it("uploads a teacher, a TF.js model folder and a runner, and names what is wrong with a bad file", async () => {
    const teacher = path.join(ROOT, "services/trainer/fixtures/tiny-teacher-x4.safetensors");
    const first = await mfnas(["upload", "teacher-weights", teacher]);
    expect(first.code, first.stderr).toBe(0);
    const digest = createHash("sha256")
      .update(await readFile(teacher))
      .digest("hex");
    expect(first.stdout).toContain(`uploaded teacher-weights ${digest}`);
    expect(first.stdout).toContain(`teacher: {kind: rrdbnet, weights: ${digest}}`);
    expect((await mfnas(["upload", "teacher-weights", teacher])).stdout).toContain(
      `already stored teacher-weights ${digest}`,
    );
    const stored = await new LocalArtifactStore(artifactDir, testbed().database.db).get(digest);
    expect(Buffer.from(stored).equals(await readFile(teacher))).toBe(true);

    const model = await json<{ sha256: string; kind: string; shards: { sha256: string }[] }>([
      "upload",
      "tfjs-model",
      path.join(ROOT, "node_modules/@upscalerjs/esrgan-thick/models/x4"),
    ]);
    expect(model.kind).toBe("tfjs");
    expect(model.shards).toHaveLength(7);
    const manifest = JSON.parse(
      Buffer.from(await new LocalArtifactStore(artifactDir, testbed().database.db).get(model.sha256)).toString("utf8"),
    ) as { weightsManifest: { paths: string[] }[] };
    expect(manifest.weightsManifest.flatMap((g) => g.paths)).toEqual(model.shards.map((s) => s.sha256));

    const abi = process.arch === "arm64" ? "arm64-v8a" : "x86_64";
    const runner = await json<{ kind: string; metadata: { abi: string } }>([
      "upload",
      "runner",
      "/bin/true",
      "--abi",
      abi,
    ]);
    expect(runner).toMatchObject({ kind: "runner", metadata: { abi } });

    const bad = await mfnas(["upload", "dataset", teacher]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^mfnas: 400 invalid_input: body: not a dataset upload: not a tar or tar.gz archive/);
    const unknownKind = await mfnas(["upload", "checkpoint", teacher]);
    expect(unknownKind.code).toBe(2);
  });
});
