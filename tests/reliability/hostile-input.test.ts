// Hostile input, property-based (fast-check): search specs, genomes, weight files, artifact names, benchmark
// output and getprop values. Every one is either accepted as a well-formed value or refused with an MfnasError
// whose code says what is wrong; nothing else is thrown and nothing is written half. The API's own body and
// query fuzzing lives in services/api/src/api.fuzz.test.ts; this suite adds what reaches the services.
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import * as tfCore from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_SEARCH_SPACE,
  MfnasError,
  createRng,
  decodeGenome,
  encodeGenome,
  mutateGenome,
  narrowSpace,
  parseSearchSpec,
  sampleGenome,
  validateGenome,
  type Genome,
} from "@mfnas/core";
import { parseBattery, parseBenchmarkOutput, parseGetprop, parseGrepH, parsePower } from "@mfnas/devices";
import {
  MfaSupernet,
  RrdbNet,
  decodeSupernetCheckpoint,
  decodeSupernetWeights,
  encodeSupernetCheckpoint,
  loadWeights,
  readSafetensors,
  selectBackend,
  supernetCheckpointEntries,
  type Tf,
} from "@mfnas/model";
import { LocalArtifactStore } from "@mfnas/store";
import { TEACHER_FIXTURE, TINY_TEACHER, teacherBytes } from "../support/tiny-teacher.ts";
import { startTestApi, type TestApi } from "../support/api.ts";

/** Runs `fn`; a thrown error must be an MfnasError with one of `codes`. Returns the value or undefined. */
function acceptedOrRefused<T>(fn: () => T, codes: readonly string[] = ["invalid_input"]): T | undefined {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof MfnasError)) throw new Error(`not an MfnasError: ${String(error)}`, { cause: error });
    expect(codes).toContain(error.code);
    expect(error.message.length).toBeGreaterThan(0);
    return undefined;
  }
}

/** A JSON document with one field at any depth replaced by an arbitrary value, or removed. */
function mutated(base: unknown): fc.Arbitrary<unknown> {
  const paths: (string | number)[][] = [];
  const walk = (value: unknown, at: (string | number)[]) => {
    paths.push(at);
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...at, i]));
    else if (typeof value === "object" && value !== null)
      for (const [k, v] of Object.entries(value)) walk(v, [...at, k]);
  };
  walk(base, []);
  const hostile = fc.oneof(
    fc.jsonValue(),
    fc.constantFrom(-1, 0, 2 ** 31, 2 ** 53, -0, 1e308, "__proto__", "../../etc/passwd", "x".repeat(10_000)),
  );
  return fc
    .record({
      at: fc.constantFrom(...paths.filter((p) => p.length > 0)),
      value: fc.option(hostile, { nil: undefined }),
    })
    .map(({ at, value }) => {
      const copy = structuredClone(base) as Record<string | number, unknown>;
      let target = copy;
      for (const key of at.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
      const last = at[at.length - 1] as string | number;
      if (value === undefined) delete target[last];
      else target[last] = value;
      return copy;
    });
}

const SECRET = "not-for-download-5e1f";

const SPEC = {
  name: "hostile",
  seed: 3,
  supernet: { id: "6f1c7f5e-2a8b-4c1d-9e3f-0a1b2c3d4e5f", checkpointStep: 10 },
  space: { scales: [4], trunkWidths: [8, 16], branchWidths: [8], depth: { min: 1, max: 2 } },
  referenceInput: { height: 32, width: 32 },
  targets: [{ deviceClass: "pixel-7", maxLatencyMs: 50, input: { height: 32, width: 32 } }],
  objectives: ["psnr", "latency"],
  algorithm: { kind: "nsga2", crossoverProbability: 0.9 },
  budget: { generations: 4, population: 8 },
  final: { remeasure: true, exportFormats: ["tflite", "onnx"] },
};

describe("search specs", () => {
  it("are accepted whole or refused with invalid_input naming a field", () => {
    fc.assert(
      fc.property(fc.oneof(mutated(SPEC), fc.anything()), (value) => {
        const spec = acceptedOrRefused(() => parseSearchSpec(value));
        if (spec) {
          expect(spec.budget.population * spec.budget.generations).toBeLessThanOrEqual(1_000_000);
          expect(spec.targets.length).toBeLessThanOrEqual(8);
        }
      }),
      { numRuns: 1_500 },
    );
  });

  it("bound the job fan-out: population x generations beyond the limit is refused, naming the budget", () => {
    expect(() => parseSearchSpec({ ...SPEC, budget: { generations: 10_000, population: 4_096 } })).toThrow(
      /budget: population × generations .* at most 1000000/,
    );
    expect(parseSearchSpec({ ...SPEC, budget: { generations: 244, population: 4_096 } }).budget.population).toBe(4_096);
    expect(parseSearchSpec({ ...SPEC, budget: { generations: 10_000, population: 100 } }).budget.generations).toBe(
      10_000,
    );
  });
});

describe("genomes", () => {
  const space = DEFAULT_SEARCH_SPACE;
  const genome = fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((seed) => sampleGenome(space, createRng(seed)));

  it("decodeGenome: arbitrary strings and corrupted encodings decode to a valid genome or invalid_input", () => {
    const corrupted = fc
      .tuple(genome, fc.nat(), fc.string({ maxLength: 4 }), fc.nat({ max: 3 }))
      .map(([g, at, insert, cut]) => {
        const text = encodeGenome(g);
        const i = at % (text.length + 1);
        return text.slice(0, i) + insert + text.slice(i + cut);
      });
    fc.assert(
      fc.property(fc.oneof(corrupted, fc.string(), fc.string({ unit: "binary" })), (text) => {
        const g = acceptedOrRefused(() => decodeGenome(text, space));
        // What decodes is canonical: encoding it again decodes to the same genome.
        if (g) expect(decodeGenome(encodeGenome(g), space)).toEqual(g);
      }),
      { numRuns: 3_000 },
    );
  });

  it("validateGenome: arbitrary values and mutated genomes are a genome of the space or invalid_input", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          genome.chain((g) => mutated(g)),
          fc.anything(),
        ),
        (value) => {
          const g = acceptedOrRefused(() => validateGenome(value, space));
          if (g) expect(validateGenome(JSON.parse(JSON.stringify(g)), space)).toEqual(g);
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it("a sparse blocks array is refused at its hole, not returned with the hole", () => {
    const g = sampleGenome(space, createRng(5));
    // eslint-disable-next-line no-sparse-arrays
    const sparse = { ...g, blocks: [g.blocks[0], , g.blocks[0]] };
    expect(() => validateGenome(sparse, space)).toThrow(/blocks\[1\]: expected an object, got undefined/);
  });

  it("mutation never leaves the space, even from a space narrowed to a single choice", () => {
    const narrow = narrowSpace(space, { scales: [4], trunkWidths: [8], branchWidths: [8], depth: { min: 1, max: 1 } });
    fc.assert(
      fc.property(fc.nat(), (seed) => {
        const rng = createRng(seed);
        let g: Genome = sampleGenome(narrow, rng);
        for (let i = 0; i < 5; i++) g = mutateGenome(g, narrow, rng);
        expect(validateGenome(g, narrow)).toEqual(g);
      }),
      { numRuns: 200 },
    );
  });
});

// A dtype safetensors defines but the model cannot use (or an unknown one) is "unsupported" (422 at the API).
const WEIGHT_ERRORS = ["invalid_input", "unsupported"] as const;

describe("weight files", () => {
  let tf: Tf;
  let teacher: Uint8Array;
  let checkpoint: Uint8Array;
  const space = narrowSpace(DEFAULT_SEARCH_SPACE, {
    scales: [4],
    trunkWidths: [8],
    branchWidths: [8],
    depth: { min: 1, max: 1 },
  });
  beforeAll(async () => {
    tf = (await selectBackend(tfCore, { prefer: "cpu", training: false })).tf;
    teacher = await teacherBytes();
    const supernet = new MfaSupernet(tf, space, { seed: 1 });
    checkpoint = await encodeSupernetCheckpoint(supernetCheckpointEntries(supernet), { format: 1, step: 3 });
    supernet.dispose();
  });

  /** Truncations, overwritten bytes and forged headers of a valid file. */
  function damaged(valid: () => Uint8Array): fc.Arbitrary<Uint8Array> {
    const header = (json: string, data = 0) => {
      const body = Buffer.from(json, "utf8");
      const out = new Uint8Array(8 + body.length + data);
      new DataView(out.buffer).setBigUint64(0, BigInt(body.length), true);
      out.set(body, 8);
      return out;
    };
    return fc.oneof(
      fc.nat().map((n) => valid().slice(0, n % valid().length)),
      fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([at, bytes]) => {
        const copy = valid().slice();
        // Mostly the header (the first few KB), where a flipped byte changes the meaning.
        copy.set(bytes.subarray(0, Math.max(0, copy.length - (at % 4096))), at % Math.min(4096, copy.length));
        return copy;
      }),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((n) => {
        const copy = valid().slice();
        new DataView(copy.buffer).setBigUint64(0, n, true);
        return copy;
      }),
      fc.constantFrom(
        header(`{"a":{"dtype":"F32","shape":[1073741824,1073741824],"data_offsets":[0,4]}}`, 4),
        header(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4),
        header(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}`, 4),
        header(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,9007199254740993]}}`, 4),
        header(`{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4),
        header(`{"__metadata__":{"mfnas.checkpoint":"{\\"format\\":1,\\"step\\":1e999}"}}`),
        header(`{"__metadata__":{"mfnas.checkpoint":"not json"}}`),
        header(`{"a":{"dtype":"X9","shape":[1],"data_offsets":[0,4]}}`, 4),
        header(`[1,2,3]`),
        header(`{`),
        header("\u0000".repeat(64)),
      ),
      fc.uint8Array({ maxLength: 64 }),
    );
  }

  it("readSafetensors and the teacher's loading: a clear invalid_input, never another error", () => {
    const net = new RrdbNet(tf, { ...TINY_TEACHER, scale: 4 });
    expect(existsSync(TEACHER_FIXTURE)).toBe(true);
    fc.assert(
      fc.property(
        damaged(() => teacher),
        (bytes) => {
          acceptedOrRefused(() => readSafetensors(bytes), WEIGHT_ERRORS);
          acceptedOrRefused(() => loadWeights(tf, net.params, bytes), WEIGHT_ERRORS);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("checkpoint decoding: a clear invalid_input, never another error", () => {
    fc.assert(
      fc.property(
        damaged(() => checkpoint),
        (bytes) => {
          acceptedOrRefused(() => decodeSupernetCheckpoint(bytes), WEIGHT_ERRORS);
          acceptedOrRefused(() => decodeSupernetWeights(bytes, space), WEIGHT_ERRORS);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe("artifact names", () => {
  let t: TestApi;
  let root: string;
  let outside: string;
  beforeAll(async () => {
    t = await startTestApi({ rateLimit: false });
    root = await mkdtemp(path.join(os.tmpdir(), "mfnas-hostile-store-"));
    outside = path.join(path.dirname(root), `mfnas-hostile-secret-${process.pid}`);
    await writeFile(outside, SECRET);
  });
  afterAll(async () => {
    await t.close();
    await rm(root, { recursive: true, force: true });
    await rm(outside, { force: true });
  });

  const traversal = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.constantFrom(
      "../../../../etc/passwd",
      "..%2f..%2fetc%2fpasswd",
      "%2e%2e/%2e%2e/etc/passwd",
      "/etc/passwd",
      `../mfnas-hostile-secret-${process.pid}`,
      "a".repeat(63) + "/",
      "A".repeat(64),
      "a".repeat(64) + "\u0000",
      "a".repeat(64) + "/../../x",
      "\u0000",
      "..\\..\\windows",
    ),
  );

  it("the artifact store refuses any name that is not a lowercase sha256, and reads nothing outside its root", async () => {
    const store = new LocalArtifactStore(root, t.database.db);
    await fc.assert(
      fc.asyncProperty(traversal, async (name) => {
        try {
          await store.get(name);
          throw new Error(`read ${JSON.stringify(name)}`);
        } catch (error) {
          expect(error).toBeInstanceOf(MfnasError);
          expect(["invalid_input", "not_found"]).toContain((error as MfnasError).code);
        }
        expect(() => store.uriOf(name)).toThrow(MfnasError);
      }),
      { numRuns: 300 },
    );
    expect(await readdir(root)).toEqual([]);
  });

  it("the download route answers 4xx problem documents, never a file outside the store", async () => {
    const stored = await t.artifacts.put({ bytes: new Uint8Array([1, 2, 3]), kind: "report" });
    await fc.assert(
      fc.asyncProperty(traversal, fc.boolean(), async (name, encode) => {
        const segment = encode ? encodeURIComponent(name) : name.replace(/[?#]/g, "");
        for (const suffix of ["/download", ""]) {
          const response = await t.app.inject({ url: `/v1/artifacts/${segment}${suffix}`, headers: t.auth.read });
          expect(response.statusCode, `${segment}: ${response.body}`).toBeGreaterThanOrEqual(400);
          expect(response.statusCode).toBeLessThan(500);
          expect(response.body).not.toContain(SECRET);
          expect(response.body).not.toMatch(/root:.*:0:0/);
        }
      }),
      { numRuns: 200 },
    );
    const ok = await t.app.inject({ url: `/v1/artifacts/${stored.sha256}/download`, headers: t.auth.read });
    expect(ok.statusCode).toBe(200);
    expect([...ok.rawPayload]).toEqual([1, 2, 3]);
  });
});

describe("device output", () => {
  const VALID = [
    "INFO: Loaded model /data/local/tmp/mfnas/m.tflite",
    "INFO: Inference timings in us: Init: 1520, First inference: 8840, Warmup (avg): 8011.5, Inference (avg): 7933.2",
    "INFO: count=2 first=8100 curr=7922 min=7922 max=8100 avg=8011.5 std=89",
    "INFO: count=10 first=7950 curr=7901 min=7880 max=8010 avg=7933.2 std=35",
    "INFO: Memory footprint delta from the start of the tool (MB): init=3.2 overall=5.1",
    "INFO: Overall peak memory footprint (MB) via periodic monitoring: 12.4",
  ];
  const garbled = fc.oneof(
    fc.string({ maxLength: 400 }),
    fc
      .tuple(fc.array(fc.nat({ max: VALID.length - 1 }), { maxLength: 8 }), fc.array(fc.string({ maxLength: 30 })))
      .map(([picks, noise]) => [...picks.map((i) => VALID[i] ?? ""), ...noise].join("\n")),
    fc
      .tuple(fc.nat(), fc.constantFrom("nan", "-inf", "inf", "1e999", "-0", "99999999999999999999", "", "1.2.3"))
      .map(([at, number]) => {
        // Replace the n-th number of the valid output with a hostile one.
        let n = 0;
        const text = VALID.join("\n");
        const count = (text.match(/\d+(\.\d+)?/g) ?? []).length;
        return text.replace(/\d+(\.\d+)?/g, (m) => (n++ === at % count ? number : m));
      }),
  );

  it("benchmark_model output: parsed to finite figures or refused with invalid_input", () => {
    fc.assert(
      fc.property(garbled, (output) => {
        const result = acceptedOrRefused(() => parseBenchmarkOutput(output));
        if (result) {
          for (const v of [result.initUs, result.inferenceAvgUs, result.inference.avgUs, result.inference.stdUs]) {
            expect(Number.isFinite(v)).toBe(true);
          }
          expect(result.inference.count).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it("getprop, grep -H, dumpsys battery and power output: arbitrary text parses without throwing", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 500 }), (text) => {
        const props = parseGetprop(text);
        for (const [k, v] of Object.entries(props)) {
          expect(typeof k).toBe("string");
          expect(typeof v).toBe("string");
        }
        expect(Object.getPrototypeOf(props)).toBe(Object.prototype);
        parseGrepH(text);
        const battery = parseBattery(text);
        if (battery.levelPercent !== null) expect(Number.isInteger(battery.levelPercent)).toBe(true);
        parsePower(text);
      }),
      { numRuns: 2_000 },
    );
  });
});
