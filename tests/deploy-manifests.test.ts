import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, parse, stringify } from "yaml";
import { QUEUES, trainingConfigSchema } from "@mfnas/core";
import { ROOT } from "./support/database.ts";
import { renderKustomization, type Manifest } from "./support/kustomize.ts";
import { promtoolPath } from "./support/prometheus-text.ts";

// Structural checks of the deployment files that need no Docker engine or cluster. Schema validation of the
// compose file and of the rendered manifests is in deploy-schemas.test.ts.

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: unknown;
}

describe("docker-compose.yml", () => {
  it("runs migrations once, after Postgres is healthy and before every mfnas service", async () => {
    const compose = parse(await readFile(path.join(ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as {
      services: Record<string, ComposeService>;
    };
    const { services } = compose;
    expect(services["postgres"]?.healthcheck).toBeDefined();
    expect(services["redis"]?.healthcheck).toBeDefined();
    expect(services["migrate"]?.depends_on?.["postgres"]?.condition).toBe("service_healthy");
    const mfnasServices = Object.entries(services).filter(
      ([name, s]) => s.image?.startsWith("mfnas") && name !== "migrate",
    );
    expect(mfnasServices.length).toBeGreaterThan(0);
    for (const [name, s] of mfnasServices) {
      expect(s.depends_on?.["migrate"]?.condition, name).toBe("service_completed_successfully");
      expect(s.environment?.["DATABASE_URL"], name).toMatch(/^postgresql:\/\//);
      expect(s.environment?.["REDIS_URL"], name).toMatch(/^redis:\/\//);
      const entry = path.join(ROOT, "services", s.environment?.["SERVICE"] ?? name, "src/main.ts");
      await expect(readFile(entry), `${name} entry point`).resolves.toBeDefined();
    }
  });
});

describe("Grafana in docker-compose.yml", () => {
  it("is a release that reads the dashboards' schemaVersion (41 and 42 are Grafana 12's)", async () => {
    const compose = parse(await readFile(path.join(ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as {
      services: Record<string, { image?: string }>;
    };
    const tag = /^grafana\/grafana:(\d+)\.(\d+)\.(\d+)$/.exec(compose.services["grafana"]?.image ?? "");
    expect(tag, "a pinned grafana/grafana:X.Y.Z").not.toBeNull();
    const dir = path.join(ROOT, "ops/grafana/dashboards");
    for (const file of await readdir(dir)) {
      const { schemaVersion } = JSON.parse(await readFile(path.join(dir, file), "utf8")) as { schemaVersion: number };
      expect(schemaVersion, file).toBeLessThanOrEqual(42);
      if (schemaVersion >= 41) expect(Number(tag![1]), file).toBeGreaterThanOrEqual(12);
    }
  });
});

describe("k8s kustomize tree", () => {
  it("lists only files that exist, and every workload runs non-root with resource requests", async () => {
    for (const dir of ["base", "overlays/dev", "overlays/prod"]) {
      const kustomization = parse(await readFile(path.join(ROOT, "k8s", dir, "kustomization.yaml"), "utf8")) as {
        resources: string[];
      };
      for (const resource of kustomization.resources) {
        await expect(
          readFile(path.join(ROOT, "k8s", dir, resource, resource.startsWith("..") ? "kustomization.yaml" : "")),
        ).resolves.toBeDefined();
      }
    }
    const files = (await readdir(path.join(ROOT, "k8s/base"))).filter((f) => f !== "kustomization.yaml");
    for (const file of files) {
      for (const doc of parseAllDocuments(await readFile(path.join(ROOT, "k8s/base", file), "utf8"))) {
        expect(doc.errors, file).toEqual([]);
        const manifest = doc.toJS() as {
          kind: string;
          spec?: {
            template?: {
              spec: {
                securityContext?: { runAsNonRoot?: boolean };
                containers: Array<{ resources?: { requests?: object } }>;
              };
            };
          };
        };
        const pod = manifest.spec?.template?.spec;
        if (!pod) continue;
        expect(pod.securityContext?.runAsNonRoot, `${file} ${manifest.kind}`).toBe(true);
        for (const c of pod.containers) expect(c.resources?.requests, `${file} ${manifest.kind}`).toBeDefined();
      }
    }
  });
});

describe("k8s workloads (rendered prod overlay)", () => {
  type Container = {
    resources?: { requests?: object; limits?: Record<string, unknown> };
    readinessProbe?: unknown;
    livenessProbe?: unknown;
    env?: Array<{ name: string; value?: string }>;
    volumeMounts?: Array<{ name: string; mountPath: string }>;
  };
  type Pod = {
    nodeSelector?: Record<string, string>;
    tolerations?: Array<{ key: string }>;
    containers: Container[];
    volumes?: Array<{ name: string; hostPath?: { path: string }; emptyDir?: object }>;
  };
  const spec = (m: Manifest) => m["spec"] as { template: { spec: Pod }; replicas?: number } & Record<string, unknown>;

  it("runs every service with probes and resources; GPUs for trainer and evaluator; device-lab on USB-hub nodes", async () => {
    const manifests = await renderKustomization(path.join(ROOT, "k8s/overlays/prod"));
    const named = (kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name);
    for (const name of ["api", "searcher", "evaluator", "trainer", "scheduler"]) {
      const d = named("Deployment", name);
      expect(d, name).toBeDefined();
      const pod = spec(d!).template.spec;
      for (const c of pod.containers) {
        expect(c.readinessProbe, name).toBeDefined();
        expect(c.livenessProbe, name).toBeDefined();
        expect(c.resources?.requests, name).toBeDefined();
        expect(c.resources?.limits?.["memory"], name).toBeDefined();
      }
      expect(named("PodDisruptionBudget", name), `${name} PDB`).toBeDefined();
      expect(named("Service", name), `${name} Service`).toBeDefined();
    }
    for (const name of ["trainer", "evaluator"]) {
      const pod = spec(named("Deployment", name)!).template.spec;
      expect(pod.containers[0]?.resources?.limits?.["nvidia.com/gpu"], name).toBe(1);
      // The GPU they request is used: the GPU image of the service (Dockerfile target <name>-gpu).
      expect((pod.containers[0] as { image?: string }).image, name).toMatch(new RegExp(`/${name}-gpu:`));
      expect(pod.nodeSelector?.["mfnas.io/gpu"], name).toBe("true");
      expect(
        pod.tolerations?.map((t) => t.key),
        name,
      ).toContain("nvidia.com/gpu");
    }
    const lab = spec(named("DaemonSet", "device-lab")!).template.spec;
    expect(lab.nodeSelector?.["mfnas.io/usb-hub"]).toBe("true");
    expect(lab.volumes?.find((v) => v.hostPath)?.hostPath?.path).toBe("/dev/bus/usb");
    // adb's key survives a restarted pod: $HOME/.android is on the node, not in an emptyDir.
    const keyMount = lab.containers[0]?.volumeMounts?.find((m) => m.mountPath === "/var/lib/mfnas/home/.android");
    expect(keyMount).toBeDefined();
    const keyVolume = lab.volumes?.find((v) => v.name === keyMount?.name);
    expect(keyVolume?.hostPath?.path).toBe("/var/lib/mfnas/adb-keys");
    expect(keyVolume?.emptyDir).toBeUndefined();
    expect(named("Job", "mfnas-migrate")).toBeDefined();
    expect(manifests.filter((m) => m.kind === "NetworkPolicy").length).toBeGreaterThanOrEqual(2);
    // No Secret in the prod tree: they come from the secret store.
    expect(manifests.filter((m) => m.kind === "Secret")).toEqual([]);
  });

  it("scales evaluators and trainers on waiting plus running jobs, never below the jobs running, and leaves the device lab alone", async () => {
    const manifests = await renderKustomization(path.join(ROOT, "k8s/overlays/prod"));
    type Trigger = { type: string; name?: string; metadata: Record<string, string> };
    type Scaled = {
      spec: {
        scaleTargetRef: { name: string };
        cooldownPeriod: number;
        advanced?: {
          horizontalPodAutoscalerConfig?: { behavior?: { scaleDown?: { stabilizationWindowSeconds?: number } } };
        };
        triggers: Trigger[];
      };
    };
    const scaled = manifests.filter((m) => m.kind === "ScaledObject") as unknown as Array<Manifest & Scaled>;
    // Only the queue workers scale: the device lab is one agent per USB-hub node (its phones are on that node).
    expect(scaled.map((m) => m.spec.scaleTargetRef.name).sort()).toEqual(["evaluator", "trainer"]);
    expect(manifests.find((m) => m.kind === "DaemonSet" && m.metadata.name === "device-lab")).toBeDefined();
    const envOf = (name: string, variable: string) =>
      spec(
        manifests.find((m) => m.kind === "Deployment" && m.metadata.name === name)!,
      ).template.spec.containers[0]?.env?.find((e) => e.name === variable)?.value;
    for (const [name, queue, concurrency] of [
      ["evaluator", QUEUES.evaluate.name, "EVALUATOR_CONCURRENCY"],
      ["trainer", QUEUES.train.name, "TRAINER_CONCURRENCY"],
    ] as const) {
      const { spec: s } = scaled.find((m) => m.metadata.name === name)!;
      for (const t of s.triggers) {
        expect(t.type, name).toBe("prometheus");
        expect(t.metadata["query"], name).toContain(`queue="${queue}"`);
      }
      // Some trigger counts running jobs with at most one pod's job slots per threshold unit, so the HPA never
      // wants fewer pods than jobs running need (a running job is off the wait list).
      const slots = Number(envOf(name, concurrency));
      expect(slots, `${name} ${concurrency}`).toBeGreaterThanOrEqual(1);
      const counted = (t: Trigger, state: string) =>
        new RegExp(`state=~?"[^"]*\\b${state}\\b`).test(t.metadata["query"]!);
      const floor = s.triggers.filter((t) => counted(t, "active") && Number(t.metadata["threshold"]) <= slots);
      expect(floor.length, `${name}: a trigger counting running jobs`).toBeGreaterThan(0);
      expect(
        s.triggers.some((t) => counted(t, "waiting")),
        `${name}: a trigger counting waiting jobs`,
      ).toBe(true);
    }
    // The trainer stays up longer than a checkpoint interval after the last job (at 1 s per step or more).
    const checkpointEvery = trainingConfigSchema.shape.checkpointEvery.parse(undefined);
    const trainer = scaled.find((m) => m.metadata.name === "trainer")!.spec;
    expect(trainer.cooldownPeriod).toBeGreaterThan(checkpointEvery);
    expect(
      trainer.advanced?.horizontalPodAutoscalerConfig?.behavior?.scaleDown?.stabilizationWindowSeconds,
    ).toBeGreaterThan(checkpointEvery);
  });

  it.skipIf(!promtoolPath())(
    "the scaling queries sum waiting and running jobs once, however many services export the counts",
    async () => {
      const manifests = await renderKustomization(path.join(ROOT, "k8s/overlays/prod"));
      const trainer = manifests.find((m) => m.kind === "ScaledObject" && m.metadata.name === "trainer") as unknown as {
        spec: { triggers: Array<{ metadata: Record<string, string> }> };
      };
      const query = trainer.spec.triggers[0]!.metadata["query"]!;
      // Three exporters of the same Redis counts (the scheduler and two trainers): 2 waiting, 3 running, 9 done.
      const series = ["scheduler", "trainer-a", "trainer-b"].flatMap((instance) =>
        [
          ["waiting", 2],
          ["active", 3],
          ["completed", 9],
          ["delayed", 1],
        ].map(([state, value]) => ({
          series: `mfnas_queue_jobs{instance="${instance}",queue="${QUEUES.train.name}",state="${String(state)}"}`,
          values: `${String(value)}x2`,
        })),
      );
      const dir = await mkdtemp(path.join(os.tmpdir(), "mfnas-keda-"));
      try {
        const file = path.join(dir, "scaling.test.yml");
        await writeFile(
          file,
          stringify({
            rule_files: [],
            evaluation_interval: "1m",
            tests: [
              {
                interval: "1m",
                input_series: series,
                promql_expr_test: [{ expr: query, eval_time: "1m", exp_samples: [{ labels: "{}", value: 5 }] }],
              },
            ],
          }),
        );
        const run = spawnSync(promtoolPath()!, ["test", "rules", file], { encoding: "utf8" });
        expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});

describe("Dockerfile", () => {
  it("builds each service in its own target from a shared multi-stage base, as a non-root user, from paths that exist", async () => {
    const text = await readFile(path.join(ROOT, "Dockerfile"), "utf8");
    const lines = text.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
    const stages = new Map<string, { from: string; lines: string[] }>();
    let current: { from: string; lines: string[] } | undefined;
    for (const line of lines) {
      const from = /^FROM\s+(\S+)\s+AS\s+(\S+)$/i.exec(line);
      if (from) {
        current = { from: from[1]!, lines: [] };
        stages.set(from[2]!, current);
      } else current?.lines.push(line);
    }
    const userOf = (name: string): string | undefined => {
      const stage = stages.get(name);
      if (!stage) return undefined;
      const users = stage.lines.filter((l) => l.startsWith("USER "));
      return users.length > 0 ? users.at(-1)!.slice(5).trim() : userOf(stage.from);
    };
    const targets = ["api", "searcher", "trainer", "evaluator", "device-lab", "scheduler", "migrate"];
    const gpuTargets = ["trainer-gpu", "evaluator-gpu", "evaluator-ort-gpu"];
    for (const service of [...targets, ...gpuTargets]) {
      expect(stages.has(service), service).toBe(true);
      expect(userOf(service), service).toMatch(/^(?!0$|root$)\w+$/);
      // Compiled JavaScript, run by node: dist/x.js of a source that exists.
      const cmd = stages.get(service)!.lines.find((l) => l.startsWith("CMD "));
      expect(cmd, service).toMatch(/^CMD \["node", "[^"]+\.js"\]$/);
      const entry = /"((?:services\/[^/]+\/)?dist\/[^"]+)\.js"/.exec(cmd ?? "")?.[1];
      const source = entry?.startsWith("dist/") ? entry.slice(5) : entry?.replace("/dist/", "/src/");
      await expect(
        readFile(path.join(ROOT, `${source ?? "missing"}.ts`)),
        `${service} entry point`,
      ).resolves.toBeDefined();
    }
    // Each service image: the production dependencies of its own workspace only, from a prod-* stage.
    for (const service of targets) {
      const from = stages.get(service)!.lines.find((l) => /^COPY --from=prod-\S+ \/app\/node_modules /.test(l));
      const prod = stages.get(/--from=(\S+)/.exec(from ?? "")?.[1] ?? "missing");
      expect(prod?.lines[0], service).toMatch(/^RUN npm ci --omit=dev --workspace (services|packages)\/\S+ /);
      expect(
        stages.get(service)!.lines.filter((l) => l.includes("tsx")),
        service,
      ).toEqual([]);
    }
    for (const line of lines.filter((l) => l.startsWith("COPY ") && !l.includes("--from="))) {
      const sources = line.split(/\s+/).slice(1, -1);
      for (const source of sources) await expect(stat(path.join(ROOT, source)), line).resolves.toBeDefined();
    }
  });

  it("copies the dependency manifests before the sources: a source change never reruns npm ci", async () => {
    const text = await readFile(path.join(ROOT, "Dockerfile"), "utf8");
    const lines = text.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
    const stageLines = (name: string) => {
      const start = lines.findIndex((l) => new RegExp(`^FROM \\S+ AS ${name}$`).test(l));
      const end = lines.findIndex((l, i) => i > start && l.startsWith("FROM "));
      return lines.slice(start + 1, end);
    };
    // manifests: the lockfile and every workspace's package.json, nothing else.
    const manifests = stageLines("manifests").filter((l) => l.startsWith("COPY "));
    expect(manifests[0]).toBe("COPY package.json package-lock.json ./");
    const workspaces = (
      await Promise.all(
        ["packages", "services"].map(async (group) =>
          (await readdir(path.join(ROOT, group))).map((n) => `${group}/${n}`),
        ),
      )
    ).flat();
    expect(manifests.slice(1).sort()).toEqual(workspaces.map((w) => `COPY ${w}/package.json ${w}/`).sort());
    // build: npm ci first, the sources after it.
    const build = stageLines("build");
    expect(build[0]).toMatch(/^RUN npm ci /);
    const copies = build.filter((l) => l.startsWith("COPY "));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) expect(build.indexOf(copy), copy).toBeGreaterThan(0);
    const compile = build.findIndex((l) => l.includes("npm run -s build"));
    expect(compile).toBeGreaterThan(build.indexOf(copies.at(-1)!));
  });

  it("keeps the device lab's adb key in a named volume in compose", async () => {
    const compose = parse(await readFile(path.join(ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as {
      services: Record<string, { volumes?: string[] }>;
      volumes: Record<string, unknown>;
    };
    const mount = compose.services["device-lab"]?.volumes?.find((v) => v.endsWith(":/var/lib/mfnas/home/.android"));
    expect(mount).toBeDefined();
    expect(Object.keys(compose.volumes)).toContain(mount!.split(":")[0]);
    // The image creates the directory for the service user, so the new volume starts out owned by it.
    expect(await readFile(path.join(ROOT, "Dockerfile"), "utf8")).toMatch(
      /mkdir -p [^\n]*\/var\/lib\/mfnas\/home\/\.android/,
    );
  });

  it("is what the compose file builds for each mfnas service", async () => {
    const compose = parse(await readFile(path.join(ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as {
      services: Record<string, { build?: { target?: string }; image?: string }>;
    };
    for (const [name, s] of Object.entries(compose.services).filter(([, s]) => s.image?.startsWith("mfnas"))) {
      // The trainer reserves a GPU, so it runs the GPU image of the same service.
      expect([name, `${name}-gpu`], name).toContain(s.build?.target);
    }
  });
});
