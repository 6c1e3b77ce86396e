import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as tfCore from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RrdbNet, openDataset, rrdbNetTeacher, selectBackend, type SrTeacher, type Tf } from "@mfnas/model";
import { LocalArtifactStore } from "@mfnas/store";
import { prepareTeacherTargets } from "@mfnas/trainer";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";

// Teacher targets go into the content-addressed artifact store with their cache key in the Artifact row's metadata;
// a second preparation against the same store (another process, another supernet) finds them by that key.
describe("teacher targets cached in the artifact store", () => {
  let database: TestDatabase;
  let root: string;
  let tf: Tf;
  beforeAll(async () => {
    tf = (await selectBackend(tfCore, { prefer: "wasm" })).tf;
    database = await createTestDatabase();
    root = await mkdtemp(path.join(os.tmpdir(), "mfnas-targets-"));
  });
  afterAll(async () => {
    await database.drop();
    await rm(root, { recursive: true, force: true });
  });

  it("are found by cache key on the second preparation, and recomputed when the file is gone", async () => {
    let calls = 0;
    const inner = rrdbNetTeacher(
      new RrdbNet(tf, { blocks: 1, channels: 8, growth: 4, scale: 4, seed: 1 }),
      "e".repeat(64),
    );
    const teacher: SrTeacher = { ...inner, run: (t, lr, f) => (calls++, inner.run(t, lr, f)) };
    const images = await openDataset("sample-val", { scale: 4 });
    const store = new LocalArtifactStore(root, database.db);
    const first = await prepareTeacherTargets(tf, teacher, images, store, { blocks: [0] });
    expect([first.computed, calls]).toEqual([images.entries.length, images.entries.length]);
    const rows = await database.sql<{ kind: string; role: string }>(
      `SELECT kind::text, metadata->>'role' AS role FROM "Artifact"`,
    );
    expect(rows).toHaveLength(images.entries.length);
    expect(rows.every((r) => r.kind === "dataset" && r.role === "teacher-targets")).toBe(true);

    const again = await prepareTeacherTargets(tf, teacher, images, new LocalArtifactStore(root, database.db), {
      blocks: [0],
    });
    expect([again.reused, again.computed, calls]).toEqual([images.entries.length, 0, images.entries.length]);
    expect(Array.from(again.targets[2]?.sr.data ?? [])).toEqual(Array.from(first.targets[2]?.sr.data ?? []));

    await rm(root, { recursive: true, force: true });
    expect(await store.findByCacheKey("0".repeat(64))).toBeNull();
    const afterLoss = await prepareTeacherTargets(tf, teacher, images, store, { blocks: [0] });
    expect(afterLoss.computed).toBe(images.entries.length);
    inner.dispose();
  });
});
