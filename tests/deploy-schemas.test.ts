import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { ROOT } from "./support/database.ts";
import { renderKustomization, type Manifest } from "./support/kustomize.ts";

// The compose file and every manifest the kustomize overlays render, validated offline against JSON schemas
// vendored under ops/schemas (scripts/vendor-schemas.mjs says where they come from): the Compose Specification
// and, strict (no unknown fields), the Kubernetes definitions of the kinds k8s/ uses plus KEDA's ScaledObject.

const addFormats = addFormatsModule as unknown as (ajv: Ajv | Ajv2019) => void;
const OVERLAYS = ["k8s/base", "k8s/overlays/dev", "k8s/overlays/prod"];

async function json<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(path.join(ROOT, file), "utf8")) as T;
}

/** Compose's own formats (compose-go registers them; they are not JSON Schema's). */
function composeValidator(schema: object): ValidateFunction {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  addFormats(ajv);
  // Go durations: 5s, 1m30s, 100ms.
  ajv.addFormat("duration", /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat("ports", /^((\[?[0-9a-fA-F.:]*\]?:)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?|\d+)$/);
  ajv.addFormat("expose", /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat("subnet_ip_address", /^[0-9a-fA-F.:]+\/\d+$/);
  return ajv.compile(schema);
}

async function kubernetesValidators(): Promise<(m: Manifest) => { ok: boolean; errors: string[] }> {
  const bundle = await json<{ kinds: Record<string, string>; definitions: Record<string, object> }>(
    "ops/schemas/kubernetes-strict.json",
  );
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const f of ["int32", "int64", "double", "byte"]) ajv.addFormat(f, true);
  ajv.addSchema({ $id: "k8s", definitions: bundle.definitions });
  const byKind = new Map(
    Object.entries(bundle.kinds).map(([id, apiKind]) => [apiKind, ajv.getSchema(`k8s#/definitions/${id}`)!]),
  );
  return (m) => {
    const validate = byKind.get(`${m.apiVersion}/${m.kind}`);
    if (!validate) return { ok: false, errors: [`no schema vendored for ${m.apiVersion}/${m.kind}`] };
    // Every vendored schema is synchronous (no $async), so ajv's boolean | Promise is a boolean here.
    const ok = validate(m) as boolean;
    return {
      ok,
      errors: (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`),
    };
  };
}

const kubectl = spawnSync("sh", ["-c", "command -v kubectl"], { encoding: "utf8" }).status === 0;
const composeV1 = spawnSync("sh", ["-c", "command -v docker-compose"], { encoding: "utf8" }).status === 0;
if (process.env["MFNAS_REQUIRE_RUNTIMES"] && !composeV1) {
  throw new Error("MFNAS_REQUIRE_RUNTIMES is set but docker-compose is missing (apt-get install docker-compose)");
}

describe("docker-compose.yml against the Compose Specification schema", () => {
  it("validates, and a misspelt key does not", async () => {
    const validate = composeValidator(await json("ops/schemas/compose-spec.json"));
    const compose = parse(await readFile(path.join(ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as {
      services: Record<string, Record<string, unknown>>;
    };
    expect(validate(compose), JSON.stringify(validate.errors)).toBe(true);
    const broken = structuredClone(compose);
    broken.services["api"]!["healtcheck"] = {};
    expect(validate(broken)).toBe(false);
    const badDuration = structuredClone(compose);
    (badDuration.services["redis"]!["healthcheck"] as Record<string, unknown>)["interval"] = "five seconds";
    expect(validate(badDuration)).toBe(false);
  });
});

describe.skipIf(!composeV1)("docker-compose.yml read by Debian's docker-compose 1.29 (Compose v1)", () => {
  it("is accepted (no top-level `name`, which v1 rejects), and a misspelt key is not", async () => {
    const run = (file: string) =>
      spawnSync("docker-compose", ["-f", file, "config", "-q"], { cwd: ROOT, encoding: "utf8", env: process.env });
    const ok = run("docker-compose.yml");
    expect(ok.status, ok.stderr).toBe(0);
    // The same file with what v2 alone accepts, then with a misspelt key: both refused, naming the key.
    const dir = await mkdtemp(path.join(os.tmpdir(), "mfnas-compose-"));
    try {
      const text = await readFile(path.join(ROOT, "docker-compose.yml"), "utf8");
      await writeFile(path.join(dir, "named.yml"), `name: mfnas\n${text}`);
      await writeFile(path.join(dir, "misspelt.yml"), text.replace("    healthcheck:", "    healtcheck:"));
      const named = run(path.join(dir, "named.yml"));
      expect(named.status).not.toBe(0);
      expect(named.stderr).toContain("'name'");
      const misspelt = run(path.join(dir, "misspelt.yml"));
      expect(misspelt.status).not.toBe(0);
      expect(misspelt.stderr).toContain("healtcheck");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("rendered Kubernetes manifests", () => {
  it.each(OVERLAYS)("%s: every manifest validates against the strict schemas", async (overlay) => {
    const validate = await kubernetesValidators();
    const manifests = await renderKustomization(path.join(ROOT, overlay));
    expect(manifests.length).toBeGreaterThan(20);
    for (const m of manifests) {
      const result = validate(m);
      expect(result.errors, `${overlay} ${m.kind}/${m.metadata.name}`).toEqual([]);
      expect(result.ok).toBe(true);
    }
  });

  it("refuses a misspelt field and a wrong type (the schemas are strict)", async () => {
    const validate = await kubernetesValidators();
    const manifests = await renderKustomization(path.join(ROOT, "k8s/overlays/prod"));
    const deployment = structuredClone(manifests.find((m) => m.kind === "Deployment")!);
    (deployment["spec"] as Record<string, unknown>)["replica"] = 2;
    expect(validate(deployment).ok).toBe(false);
    const scaled = structuredClone(manifests.find((m) => m.kind === "ScaledObject")!);
    (scaled["spec"] as Record<string, unknown>)["minReplicaCount"] = "zero";
    expect(validate(scaled).ok).toBe(false);
  });

  it.skipIf(!kubectl)("the offline renderer gives what `kubectl kustomize` gives", async () => {
    const key = (m: Manifest) => `${m.kind}/${m.metadata.namespace ?? ""}/${m.metadata.name}`;
    for (const overlay of OVERLAYS) {
      const run = spawnSync("kubectl", ["kustomize", path.join(ROOT, overlay)], { encoding: "utf8" });
      expect(run.status, run.stderr).toBe(0);
      const theirs = parseAllDocuments(run.stdout).map((d) => d.toJS() as Manifest);
      const ours = await renderKustomization(path.join(ROOT, overlay));
      const sort = (ms: Manifest[]) => [...ms].sort((a, b) => key(a).localeCompare(key(b)));
      expect(sort(ours), overlay).toEqual(sort(theirs));
    }
  });
});

describe("the offline kustomize renderer", () => {
  it("applies namespace, labels, images and JSON patches, and refuses fields it does not know", async () => {
    const prod = await renderKustomization(path.join(ROOT, "k8s/overlays/prod"));
    const api = prod.find((m) => m.kind === "Deployment" && m.metadata.name === "api")!;
    expect(api.metadata.namespace).toBe("mfnas");
    expect(api.metadata.labels?.["app.kubernetes.io/part-of"]).toBe("mfnas");
    expect(JSON.stringify(api)).toContain('"image":"registry.example.com/mfnas/api:0.1.0"');
    expect((api["spec"] as { replicas: number }).replicas).toBe(3);
    expect(prod.find((m) => m.kind === "Namespace")?.metadata.namespace).toBeUndefined();
    const dev = await renderKustomization(path.join(ROOT, "k8s/overlays/dev"));
    const scaled = dev.filter((m) => m.kind === "ScaledObject");
    expect(scaled.map((m) => (m["spec"] as { maxReplicaCount: number }).maxReplicaCount)).toEqual([1, 1]);
    await expect(renderKustomization(path.join(ROOT, "tests/fixtures/kustomize-unsupported"))).rejects.toThrow(
      /not supported here: configMapGenerator/,
    );
  });
});
