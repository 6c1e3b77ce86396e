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
    for (const service of ["api", "searcher", "trainer", "evaluator", "device-lab", "scheduler", "migrate"]) {
      expect(stages.has(service), service).toBe(true);
      expect(userOf(service), service).toMatch(/^(?!0$|root$)\w+$/);
      const cmd = stages.get(service)!.lines.find((l) => l.startsWith("CMD "));
      const entry = /"((?:services|scripts)\/[^"]+\.ts)"/.exec(cmd ?? "")?.[1];
      await expect(readFile(path.join(ROOT, entry ?? "missing")), `${service} entry point`).resolves.toBeDefined();
    }
    // Dependencies are installed in a separate stage that the runtime copies from.
    expect([...stages.values()].some((s) => s.lines.some((l) => l.startsWith("RUN npm ci")))).toBe(true);
    expect(stages.get("runtime")?.lines.some((l) => l.startsWith("COPY --from=deps"))).toBe(true);
    for (const line of lines.filter((l) => l.startsWith("COPY ") && !l.includes("--from="))) {
      const sources = line.split(/\s+/).slice(1, -1);
      for (const source of sources) await expect(stat(path.join(ROOT, source)), line).resolves.toBeDefined();
    }
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
      expect(s.build?.target, name).toBe(name);
    }
  });
});
