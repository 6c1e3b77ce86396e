import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./support/api.ts";
import { ROOT } from "./support/database.ts";

// Every file under examples/ is submitted as it is, as the YAML the README tells people to send, and accepted.

const EXAMPLES = path.join(ROOT, "examples");

async function yamlFiles(folder: string): Promise<string[]> {
  return (await readdir(path.join(EXAMPLES, folder))).filter((f) => f.endsWith(".yaml")).map((f) => `${folder}/${f}`);
}

describe("examples/", () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi({ rateLimit: false });
  });
  afterAll(() => t.close());

  async function post(url: string, file: string) {
    return t.app.inject({
      method: "POST",
      url,
      headers: { ...t.auth.admin, "content-type": "application/yaml" },
      payload: await readFile(path.join(EXAMPLES, file), "utf8"),
    });
  }

  it("holds a training config, search specs for the host CPU, a phone class and predicted latency, and a schedule", async () => {
    expect(await yamlFiles("training")).toContain("training/small-supernet.yaml");
    expect(await yamlFiles("searches")).toEqual(
      expect.arrayContaining([
        "searches/host-cpu.yaml",
        "searches/snapdragon-865.yaml",
        "searches/predicted-latency.yaml",
      ]),
    );
    expect(await yamlFiles("schedules")).toContain("schedules/nightly.yaml");
  });

  it("trains a supernet from the training example", async () => {
    for (const file of await yamlFiles("training")) {
      const answer = await post("/v1/supernets", file);
      expect(answer.statusCode, `${file}: ${answer.body}`).toBe(201);
      expect(answer.json<{ status: string }>().status).toBe("queued");
    }
  });

  it("submits every search example, with the settings it says", async () => {
    const submitted = new Map<string, { spec: Record<string, unknown> }>();
    for (const file of await yamlFiles("searches")) {
      const answer = await post("/v1/searches", file);
      expect(answer.statusCode, `${file}: ${answer.body}`).toBe(201);
      submitted.set(file, answer.json());
    }
    expect(submitted.get("searches/host-cpu.yaml")?.spec).toMatchObject({ targets: [{ deviceClass: "host-cpu" }] });
    expect(submitted.get("searches/snapdragon-865.yaml")?.spec).toMatchObject({
      targets: [{ deviceClass: "sm8250", maxLatencyMs: 70 }],
    });
    expect(submitted.get("searches/predicted-latency.yaml")?.spec).toMatchObject({ latencySource: "predicted" });
  });

  it("creates the nightly schedule", async () => {
    for (const file of await yamlFiles("schedules")) {
      const answer = await post("/v1/schedules", file);
      expect(answer.statusCode, `${file}: ${answer.body}`).toBe(201);
    }
    const nightly = (await t.app.inject({ url: "/v1/schedules", headers: t.auth.read })).json<{
      items: Array<{ name: string; cron: string; nextRuns: string[] }>;
    }>();
    const schedule = nightly.items.find((s) => s.name === "nightly-host-cpu");
    expect(schedule?.cron).toBe("0 2 * * *");
    expect(schedule?.nextRuns[0]).toMatch(/T02:00:00\.000Z$/);
  });
});
