import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinDatasetDir } from "@mfnas/model";
import { unpackedDataset } from "./dataset-cache.ts";
import { prepareRun } from "./prepare.ts";
import { createTrainSupernetHandler } from "./train-supernet.job.ts";
import { teacherBytes, tinyConfig } from "../../../tests/support/tiny-teacher.ts";
import { MemoryArtifacts, MemoryStore, jobContext, quiet, sha256, trainingTf } from "./test-support.ts";

const PHOTOS = ["brick.png", "camera.png", "coins.png"];
let work: string;
/** A tar.gz of three shipped photographs under one top folder, as `tar czf photos.tgz photos/` writes it. */
let archive: Uint8Array;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "mfnas-dataset-cache-"));
  const file = path.join(work, "photos.tgz");
  const root = path.dirname(builtinDatasetDir("photos-train"));
  await promisify(execFile)("tar", [
    "czf",
    file,
    "-C",
    root,
    "--transform=s,^train,photos,",
    ...PHOTOS.map((p) => `train/${p}`),
  ]);
  archive = new Uint8Array(await readFile(file));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function withTeacher(artifacts: MemoryArtifacts): Promise<string> {
  return (await artifacts.put({ bytes: await teacherBytes() })).sha256;
}

describe("uploaded dataset archives", () => {
  it("trains from an uploaded tar.gz of photographs, unpacked once into the cache", async () => {
    const artifacts = new MemoryArtifacts();
    const teacher = await withTeacher(artifacts);
    const { sha256: sha } = await artifacts.put({ bytes: archive });
    const cache = path.join(work, "cache-train");
    const data = { train: `artifact:${sha}`, val: `artifact:${sha}` };
    const store = new MemoryStore(tinyConfig(teacher, { data, steps: 2, checkpointEvery: 2 }));
    const handler = createTrainSupernetHandler({
      tf: await trainingTf(),
      store,
      artifacts,
      log: quiet,
      datasetCacheDir: cache,
    });
    await handler(jobContext("s1"));
    expect(store.error).toBeUndefined();
    expect(store.status).toBe("ready");
    expect(store.progress.map((p) => p.step)).toEqual([1, 2]);
    expect(await readdir(cache)).toEqual([sha]);
    expect((await readdir(path.join(cache, sha, "photos"))).sort()).toEqual(PHOTOS);
    const unpacked = await readFile(path.join(cache, sha, "photos", "coins.png"));
    expect(sha256(new Uint8Array(unpacked))).toBe(
      sha256(new Uint8Array(await readFile(path.join(builtinDatasetDir("photos-train"), "coins.png")))),
    );

    // Unpacked once: a second run opens the folder without reading the archive again.
    artifacts.files.delete(sha);
    const run = await prepareRun(await trainingTf(), tinyConfig(teacher, { data }), artifacts, {
      datasetCacheDir: cache,
    });
    try {
      expect(run.train.entries.map((e) => path.basename(e.hrPath)).sort()).toEqual(PHOTOS);
    } finally {
      run.teacher.dispose();
    }
  });

  it("names the field of a missing, non-dataset or unsafe archive, and leaves no folder behind", async () => {
    const tf = await trainingTf();
    const artifacts = new MemoryArtifacts();
    const teacher = await withTeacher(artifacts);
    const cache = path.join(work, "cache-errors");
    const options = { datasetCacheDir: cache };
    const missing = "0".repeat(64);
    await expect(
      prepareRun(
        tf,
        tinyConfig(teacher, { data: { train: `artifact:${missing}`, val: "bundled" } }),
        artifacts,
        options,
      ),
    ).rejects.toThrow(`data.train: artifact ${missing} is not in the store`);
    await expect(
      prepareRun(
        tf,
        tinyConfig(teacher, { data: { train: "bundled", val: `artifact:${teacher}` } }),
        artifacts,
        options,
      ),
    ).rejects.toThrow(`data.val: artifact ${teacher} is not a dataset archive: not a tar or tar.gz archive`);
    await expect(
      prepareRun(tf, tinyConfig(teacher, { data: { train: "bundled", val: `artifact:${teacher}` } }), artifacts),
    ).rejects.toThrow("data.val: uploaded datasets need a dataset cache folder");

    // GNU tar keeps a `..` entry when told to (-P); the archive is refused before anything is written.
    const unsafeFile = path.join(work, "unsafe.tar");
    const inner = path.join(work, "inner");
    await promisify(execFile)("mkdir", ["-p", inner]);
    await promisify(execFile)("cp", [path.join(builtinDatasetDir("photos-train"), "coins.png"), work]);
    await promisify(execFile)("tar", ["cPf", unsafeFile, "-C", inner, "../coins.png"]);
    const unsafe = (await artifacts.put({ bytes: new Uint8Array(await readFile(unsafeFile)) })).sha256;
    await expect(
      prepareRun(
        tf,
        tinyConfig(teacher, { data: { train: `artifact:${unsafe}`, val: "bundled" } }),
        artifacts,
        options,
      ),
    ).rejects.toThrow("data.train: artifact " + unsafe + ' is not a dataset archive: the entry "../coins.png"');
    await expect(readdir(cache)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("removes a half-unpacked folder when unpacking fails", async () => {
    const cache = path.join(work, "cache-broken");
    const sha = sha256(archive);
    // A file where the folder should go: every image is written, then the final rename fails.
    await mkdir(cache, { recursive: true });
    await writeFile(path.join(cache, sha), "not a folder");
    await expect(unpackedDataset(cache, sha, () => Promise.resolve(archive))).rejects.toThrow();
    await expect(readdir(cache)).resolves.toEqual([sha]);
  });

  it("refuses an archive that unpacks past the size limit, writing nothing", async () => {
    const cache = path.join(work, "cache-limit");
    const sha = sha256(archive);
    await expect(unpackedDataset(cache, sha, () => Promise.resolve(archive), { maxBytes: 100_000 })).rejects.toThrow(
      `artifact ${sha} is not a dataset archive: it unpacks to more than 100000 bytes`,
    );
    await expect(readdir(cache)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
