import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SMALL_RUN, openLab, type Lab } from "./support/device-lab.ts";
import { eventually } from "./support/processes.ts";

// The device lab end to end: a real adb server (its own port), adbkit, two emulated phones attached with
// `adb connect`, the agent, a real exported SubGenerator measured with LiteRT.js on the host CPU.
describe("device lab with two emulated phones on a real adb server", () => {
  const ADB_PORT = 5047;
  let lab: Lab;
  let database: Lab["database"];
  let adb: Lab["adb"];
  let phones: Lab["phones"];
  let architectureHash: string;
  let agent: Lab["agent"];

  beforeAll(async () => {
    lab = await openLab({ adbPort: ADB_PORT, phones: 2 });
    ({ database, adb, phones, architectureHash } = lab);
    agent = lab.agent;
  });
  afterAll(() => lab?.close());

  const measure = (requestKey: string, runtimeConfig = SMALL_RUN) => lab.measure(requestKey, { runtimeConfig });
  const finished = (jobId: string) => lab.settled(jobId, 150_000);

  it("finds both phones, registers them, and stores a measurement with its conditions and raw output", async () => {
    const devices = await database.db.device.findMany({ orderBy: { serial: "asc" } });
    expect(devices.map((d) => d.serial)).toEqual(phones.map((p) => p.serial).sort());
    for (const d of devices) {
      expect(d).toMatchObject({
        model: "mfnas emulated phone (host CPU)",
        manufacturer: "mfnas",
        soc: "host CPU (emulated phone)",
        deviceClass: "host-cpu",
        state: "online",
        agentHost: "test-host",
      });
      expect((d.health as { cpuClusters: unknown[] }).cpuClusters.length).toBeGreaterThan(0);
    }

    const job = await finished(await measure("measure-once"));
    expect(await job.getState()).toBe("completed");
    const rows = await database.db.measurement.findMany({ where: { requestKey: "measure-once" } });
    expect(rows).toHaveLength(1);
    const m = rows[0]!;
    expect(m.architectureHash).toBe(architectureHash);
    expect(m.deviceClass).toBe("host-cpu");
    expect(m.runtimeVersion).toMatch(/^litert\.js \d+\.\d+\.\d+ \(wasm\)$/);
    expect(m.samples).toBeGreaterThanOrEqual(2);
    expect(m.medianMs).toBeGreaterThan(0);
    expect(m.minMs).toBeLessThanOrEqual(m.medianMs);
    expect(m.maxMs).toBeGreaterThanOrEqual(m.medianMs);
    expect(m.p90Ms).toBeGreaterThanOrEqual(m.medianMs);
    expect(m.peakMemoryMb).toBeGreaterThan(0);
    expect(m.rawOutput).toMatch(/Inference timings in us: Init: \d+/);
    expect(m.rawOutput.match(/=== repetition/g)).toHaveLength(m.samples);
    // Each repetition is a fresh run of the tool with its own heap layout, as a phone's process gets from ASLR.
    const offsets = [...m.rawOutput.matchAll(/heap layout randomized by (\d+) bytes/g)].map((x) => Number(x[1]));
    expect(offsets).toHaveLength(m.samples);
    for (const offset of offsets) expect(offset % 16 === 0 && offset >= 16 && offset <= 262_144).toBe(true);
    expect(new Set(offsets).size).toBeGreaterThan(1);
    expect(m.rawOutput.match(/subnormal floats flush to zero/g)).toHaveLength(m.samples);
    // One warm-up run: TensorFlow's Stat printer (and the emulated runner, following it) prints `count=1 curr=X`.
    expect(m.rawOutput.match(/INFO: count=1 curr=\d+\n/g)).toHaveLength(m.samples);
    const conditions = m.conditions as Record<string, unknown> & {
      healthBefore: { thermalZones: Array<{ unit: string; celsius: number }>; battery: { temperatureC: number } };
    };
    expect(conditions).toMatchObject({
      emulated: true,
      threads: 1,
      delegate: "xnnpack",
      warmupRuns: 1,
      runsPerRepetition: 5,
    });
    expect(conditions["command"]).toMatch(/benchmark_model --graph=\/data\/local\/tmp\/mfnas\/[0-9a-f]{64}\.tflite/);
    // The peak is printed only when asked for, as by the real tool; it is asked for and stored as measured.
    expect(conditions["command"]).toContain("--report_peak_memory_footprint=true");
    expect(m.rawOutput.match(/Overall peak memory footprint \(MB\) via periodic monitoring: /g)).toHaveLength(
      m.samples,
    );
    expect(conditions["memory"]).toEqual({
      measured: true,
      peakMb: m.peakMemoryMb,
      wording: "delta",
      missingReason: null,
    });
    expect(conditions.healthBefore.thermalZones).toEqual([
      expect.objectContaining({ type: "cpu-emulated", unit: "millidegree", celsius: 36 }),
      expect.objectContaining({ type: "battery-emulated", unit: "millidegree", celsius: 31 }),
    ]);
    expect(conditions.healthBefore.battery.temperatureC).toBe(31);
    // One host cluster: not pinned; every core's governor and frequencies are read around each repetition.
    expect(conditions["pinning"]).toMatchObject({ policy: "big", mask: null });
    const perRepetition = conditions["perRepetition"] as Array<{
      frequencies: { before: Array<{ governor: string; curKhz: number }>; after: unknown[]; throttling: string[] };
    }>;
    expect(perRepetition).toHaveLength(m.samples);
    for (const r of perRepetition) {
      expect(r.frequencies.before.length).toBeGreaterThan(0);
      // The host's clock: its cpufreq files, or in a virtual machine without them /proc/cpuinfo's "cpu MHz".
      expect(r.frequencies.before[0]?.governor).toBeTruthy();
      expect(r.frequencies.before[0]?.curKhz).toBeGreaterThan(0);
      expect((r.frequencies.after[0] as { curKhz: number }).curKhz).toBeGreaterThan(0);
      expect(r.frequencies.throttling).toEqual([]);
    }
    expect(conditions["throttledRepetitions"]).toBe(0);
    // XNNPACK is a CPU delegate: whatever it leaves runs on the CPU anyway, so no fallback is possible.
    expect(conditions["delegation"]).toMatchObject({ requested: "XNNPACK", outcome: "not-applicable" });
    // The gate's decision and the zones it used (by type: the emulated CPU zone, not the battery's) are stored.
    expect(conditions["healthDecision"]).toMatchObject({
      fit: true,
      zoneMap: "generic",
      zonesUsed: [expect.objectContaining({ type: "cpu-emulated", kind: "cpu", celsius: 36, limitC: 45 })],
    });

    // The same request again is one job and one row.
    await finished(await measure("measure-once"));
    expect(await database.db.measurement.count({ where: { requestKey: "measure-once" } })).toBe(1);
  });

  it("a phone killed mid-measurement sends the job back; it completes on the other phone, one row", async () => {
    // Enough runs that the kill lands inside benchmark_model.
    const jobId = await measure("measure-failover", { ...SMALL_RUN, runs: 40 });
    const victim = await Promise.race(phones.map((p) => p.waitFor(/benchmark started/).then(() => p)));
    const survivor = phones.find((p) => p !== victim)!;
    victim.kill();

    const job = await finished(jobId);
    expect(await job.getState()).toBe("completed");
    const rows = await database.db.measurement.findMany({
      where: { requestKey: "measure-failover" },
      include: { device: true },
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.device.serial).toBe(survivor.serial);
    const victimRow = await eventually(
      async () => {
        const d = await database.db.device.findUniqueOrThrow({ where: { serial: victim.serial } });
        return d.state === "offline" ? d : undefined;
      },
      60_000,
      "killed phone marked offline",
    );
    expect(victimRow.state).toBe("offline");
  });

  it("connects a network phone again after the adb server restarted and forgot it, and measures on it", async () => {
    const alive = phones.find((p) => p.process.exitCode === null && p.process.signalCode === null)!;
    await promisify(execFile)("adb", ["-P", String(ADB_PORT), "kill-server"]);
    await promisify(execFile)("adb", ["-P", String(ADB_PORT), "start-server"]);
    // A fresh server knows no network phones; the agent's heartbeat connects the one it had again.
    await eventually(
      async () =>
        (await adb.driver.list()).some((d) => d.serial === alive.serial && d.state === "device") ? true : undefined,
      90_000,
      "phone listed by the restarted adb server",
    );
    await eventually(
      () => Promise.resolve(agent.agent.attached().includes(alive.serial) ? true : undefined),
      90_000,
      "attached",
    );
    const job = await finished(await measure("measure-after-adb-restart"));
    expect(await job.getState()).toBe("completed");
    const row = await database.db.measurement.findFirstOrThrow({
      where: { requestKey: "measure-after-adb-restart" },
      include: { device: true },
    });
    expect(row.device.serial).toBe(alive.serial);
  });
});
