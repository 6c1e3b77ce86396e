import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, parse } from "yaml";
import { ROOT } from "./support/database.ts";

// Structural checks of the deployment files that need no Docker engine or cluster. Full schema validation of
// the compose file and of rendered manifests sits with the operations suite.

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
