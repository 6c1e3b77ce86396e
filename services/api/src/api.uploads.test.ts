import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../../tests/support/database.ts";
import { startTestApi, type TestApi } from "../../../tests/support/api.ts";

// Uploads through POST /v1/artifacts with real files: the trainer's fixture teacher (safetensors), the installed
// ESRGAN TF.js model and its shards, a tar.gz of the project's photographs and this host's own ELF binaries.

const TEACHER = path.join(ROOT, "services/trainer/fixtures/tiny-teacher-x4.safetensors");
const TFJS_MODEL = path.join(ROOT, "node_modules/@upscalerjs/esrgan-thick/models/x4");
const PHOTOS = path.join(ROOT, "packages/model/assets/photos/val");
const LIMITS = {
  "teacher-weights": 8 * 1024 ** 2,
  "tfjs-model": 1024 ** 2,
  "tfjs-shard": 8 * 1024 ** 2,
  dataset: 64 * 1024 ** 2,
  runner: 8 * 1024 ** 2,
};

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("artifact uploads", () => {
  let t: TestApi;
  let workDir: string;
  beforeAll(async () => {
    t = await startTestApi({ rateLimit: false, uploadLimits: LIMITS });
    workDir = await mkdtemp(path.join(os.tmpdir(), "mfnas-upload-"));
  });
  afterAll(async () => {
    await t.close();
    await rm(workDir, { recursive: true, force: true });
  });

  function upload(query: string, bytes: Uint8Array, key: keyof TestApi["auth"] = "submit", type?: string) {
    return t.app.inject({
      method: "POST",
      url: `/v1/artifacts?${query}`,
      headers: { ...t.auth[key], "content-type": type ?? "application/octet-stream" },
      payload: Buffer.from(bytes),
    });
  }

  it("stores a teacher once, checked against the sender's digest, and serves the same bytes back", async () => {
    const bytes = new Uint8Array(await readFile(TEACHER));
    const first = await upload(`kind=teacher-weights&name=tiny-teacher.safetensors&sha256=${sha(bytes)}`, bytes);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({
      sha256: sha(bytes),
      kind: "weights",
      sizeBytes: bytes.byteLength,
      created: true,
      metadata: { upload: "teacher-weights", name: "tiny-teacher.safetensors" },
    });
    const again = await upload("kind=teacher-weights", bytes);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ sha256: sha(bytes), created: false });
    const download = await t.app.inject({ url: `/v1/artifacts/${sha(bytes)}/download`, headers: t.auth.read });
    expect(sha(download.rawPayload)).toBe(sha(bytes));

    const mismatch = await upload(`kind=teacher-weights&sha256=${"0".repeat(64)}`, bytes);
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json<{ detail: string }>().detail).toContain(`hash to sha256 ${sha(bytes)}`);
  });

  it("refuses bytes that are not what the kind says, naming why", async () => {
    const photo = new Uint8Array(await readFile(path.join(PHOTOS, (await readdir(PHOTOS))[0] ?? "")));
    const cases: Array<[string, Uint8Array, string]> = [
      ["kind=teacher-weights", photo, "not a teacher-weights upload"],
      ["kind=tfjs-model", photo, "model.json is not JSON"],
      ["kind=tfjs-shard", photo.subarray(0, 7), "not a whole number of 32-bit values"],
      ["kind=dataset", photo, "not a tar or tar.gz archive"],
      ["kind=runner&abi=arm64-v8a", photo, "not an ELF executable"],
      ["kind=runner", new Uint8Array(await readFile("/bin/true")), "give the ABI"],
      ["kind=dataset", new Uint8Array(0), "the body is empty"],
    ];
    for (const [query, bytes, why] of cases) {
      const answer = await upload(query, bytes, "admin");
      expect(answer.statusCode, query).toBe(400);
      expect(answer.headers["content-type"]).toContain("application/problem+json");
      expect(answer.json<{ detail: string }>().detail, query).toContain(why);
    }
    const unknownKind = await upload("kind=checkpoint", photo);
    expect(unknownKind.statusCode).toBe(400);
    expect(unknownKind.json<{ fields: string[] }>().fields.join()).toContain("querystring.kind");
    const json = await upload("kind=dataset", photo, "submit", "application/json");
    expect(json.statusCode).toBe(415);
  });

  it("refuses an upload past its kind's limit with a 413 that names the limit", async () => {
    const big = new Uint8Array(LIMITS["tfjs-model"] + 1);
    const answer = await upload("kind=tfjs-model", big);
    expect(answer.statusCode).toBe(413);
    expect(answer.json<{ detail: string }>().detail).toContain(`limit of ${LIMITS["tfjs-model"]} bytes for tfjs-model`);
  });

  it("takes a TF.js model only once every shard it names is uploaded", async () => {
    const model = JSON.parse(await readFile(path.join(TFJS_MODEL, "model.json"), "utf8")) as {
      weightsManifest: Array<{ paths: string[] }>;
    };
    const shards = model.weightsManifest.flatMap((group) => group.paths);
    const digests = new Map<string, string>();
    for (const shard of shards) digests.set(shard, sha(new Uint8Array(await readFile(path.join(TFJS_MODEL, shard)))));
    for (const group of model.weightsManifest) group.paths = group.paths.map((p) => digests.get(p) ?? p);
    const modelBytes = new TextEncoder().encode(JSON.stringify(model));

    const early = await upload("kind=tfjs-model", modelBytes);
    expect(early.statusCode).toBe(400);
    expect(early.json<{ detail: string }>().detail).toContain("shards that are not uploaded");

    for (const shard of shards) {
      const answer = await upload("kind=tfjs-shard", new Uint8Array(await readFile(path.join(TFJS_MODEL, shard))));
      expect(answer.statusCode, shard).toBe(201);
    }
    const stored = await upload("kind=tfjs-model&name=esrgan-thick-x4", modelBytes);
    expect(stored.statusCode, stored.body).toBe(201);
    expect(stored.json()).toMatchObject({ kind: "tfjs", mediaType: "application/json" });

    const unconverted = await readFile(path.join(TFJS_MODEL, "model.json"));
    const refused = await upload("kind=tfjs-model", new Uint8Array(unconverted));
    expect(refused.json<{ detail: string }>().detail).toContain("not the sha256 of an uploaded shard");
  });

  it("takes a tar.gz of photographs as a dataset and refuses one without images", async () => {
    const archive = path.join(workDir, "photos.tar.gz");
    execFileSync("tar", ["-czf", archive, "-C", PHOTOS, "."]);
    const images = (await readdir(PHOTOS)).filter((f) => /\.(png|jpe?g)$/i.test(f)).length;
    const answer = await upload("kind=dataset&name=photos-val", new Uint8Array(await readFile(archive)));
    expect(answer.statusCode, answer.body).toBe(201);
    expect(answer.json()).toMatchObject({ kind: "dataset", mediaType: "application/gzip", metadata: { images } });

    const textOnly = path.join(workDir, "notes.tar");
    execFileSync("tar", ["-cf", textOnly, "-C", path.join(ROOT, "packages/model/assets/photos"), "LICENSES.md"]);
    const refused = await upload("kind=dataset", new Uint8Array(await readFile(textOnly)));
    expect(refused.statusCode).toBe(400);
    expect(refused.json<{ detail: string }>().detail).toContain("no PNG or JPEG image");
  });

  it("takes a runner binary of the ABI it is built for, from an admin only", async () => {
    const binary = new Uint8Array(await readFile("/bin/true"));
    const host = process.arch === "arm64" ? "arm64-v8a" : "x86_64";
    const other = host === "x86_64" ? "arm64-v8a" : "x86_64";
    const submitter = await upload(`kind=runner&abi=${host}`, binary, "submit");
    expect(submitter.statusCode).toBe(403);
    const wrongAbi = await upload(`kind=runner&abi=${other}`, binary, "admin");
    expect(wrongAbi.statusCode).toBe(400);
    expect(wrongAbi.json<{ detail: string }>().detail).toContain(`built for ${host}, not ${other}`);
    const stored = await upload(`kind=runner&abi=${host}&name=benchmark_model`, binary, "admin");
    expect(stored.statusCode, stored.body).toBe(201);
    expect(stored.json()).toMatchObject({ kind: "runner", metadata: { upload: "runner", abi: host } });
    const listed = await t.app.inject({ url: "/v1/artifacts?kind=runner", headers: t.auth.read });
    expect(listed.json<{ items: Array<{ sha256: string }> }>().items.map((i) => i.sha256)).toEqual([sha(binary)]);
  });
});
