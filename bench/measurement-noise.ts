/**
 * Measurement-noise benchmark (prints figures; not a test): how repeatable a device measurement is, per statistic.
 * One emulated phone (host CPU, LiteRT.js) on a private adb server with the device-lab agent, Postgres and Redis;
 * MODELS random SubGenerators are each measured ROUNDS times by the real `devicelab.measure` job (REPETITIONS
 * repetitions of RUNS timed runs each, no early stop). For the first k repetitions of each measurement
 * (k = 3, 5, all), two measurements of the same model are compared under each statistic:
 * - median: the median over repetitions of each repetition's mean run (the Measurement's `medianMs`);
 * - min: the fastest single run over the repetitions (`minMs`).
 * Printed: share of models whose two measurements agree within ±5% and ±10%, mean and worst relative difference.
 *
 * Run: npx tsx bench/measurement-noise.ts [MODELS=30] [ROUNDS=2] [LR_SIDE=32] [RUNS=10] [REPETITIONS=8]
 *
 * Pinning mode: npx tsx bench/measurement-noise.ts pinning [ROUNDS=3] [PER_ROUND=4] [REPETITIONS=3] [RUNS=20]
 * One emulated phone with the `sm8250` profile (Snapdragon 865 clusters: DEVICE_LAB_PINNING=big pins to cpu4-7,
 * `taskset f0`) measures the same SubGenerator (smallest x4 genome, LR 32x32) PER_ROUND times pinned (`big`) and
 * PER_ROUND times unpinned (`none`), ROUNDS times alternating, each measurement fixed at REPETITIONS repetitions
 * of RUNS runs. Printed per policy: min / median / max and coefficient of variation (std / mean) of the
 * measurements' median and fastest-run latency, and the load average before and after (os.loadavg, as uptime).
 */
import os from "node:os";
import { COST_MODEL_VERSION, DEFAULT_SEARCH_SPACE, createRng, sampleGenome } from "@mfnas/core";
import { summarize, type PinningPolicy } from "@mfnas/devices";
import { candidateGenome } from "@mfnas/searcher";
import { SMALL_RUN, openLab } from "../tests/support/device-lab.ts";
import { emulatedPhoneRuntime, startLatencyLab } from "../tests/support/latency-lab.ts";

if (process.argv[2] === "pinning") {
  await pinningSpread(process.argv.slice(3).map(Number));
  process.exit(0);
}

const [models = 30, rounds = 2, side = 32, runs = 10, repetitions = 8] = process.argv.slice(2).map(Number);
const input = { height: side, width: side };
const runtimeConfig = emulatedPhoneRuntime(runs);
const lab = await startLatencyLab({
  port: 5093,
  runtimeConfig,
  input,
  confidence: { relativeHalfWidth: 0, minRepetitions: repetitions, maxRepetitions: repetitions },
});
const rng = createRng(77);
const set = Array.from({ length: models }, () => candidateGenome(sampleGenome(DEFAULT_SEARCH_SPACE, rng), input));
await lab.searches.ensureArchitectures(set, COST_MODEL_VERSION, input);
const source = lab.latencySource();
const signal = new AbortController().signal;
const t0 = performance.now();
for (let r = 0; r < rounds; r++) {
  await source.measure({ target: lab.target, genomes: set, tag: `round-${r}` }, signal);
  console.log(`round ${r + 1} of ${rounds} measured (${((performance.now() - t0) / 60_000).toFixed(1)} min)`);
}

interface Repetition {
  readonly avgUs: number;
  readonly minUs: number;
}
const rows = await lab.db.measurement.findMany({ orderBy: { createdAt: "asc" } });
const byModel = new Map<string, Repetition[][]>();
for (const row of rows) {
  const conditions = row.conditions as unknown as { perRepetition: { inference: Repetition }[] };
  const reps = conditions.perRepetition.map((p) => p.inference);
  byModel.set(row.architectureHash, [...(byModel.get(row.architectureHash) ?? []), reps]);
}
const statistics = {
  // The measure job's own statistic (`medianMs`), over the first k repetitions.
  median: (reps: Repetition[]) => summarize(reps.map((r) => r.avgUs)).median,
  min: (reps: Repetition[]) => Math.min(...reps.map((r) => r.minUs)),
};
const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
console.log(`\n${models} models, LR ${side}x${side}, ${runs} runs per repetition; two measurements of each compared`);
console.log("| statistic | repetitions | within ±5% | within ±10% | mean difference | worst |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const k of [...new Set([3, 5, repetitions])].filter((n) => n <= repetitions)) {
  for (const [name, statistic] of Object.entries(statistics)) {
    const diffs = [...byModel.values()]
      .filter((m) => m.length >= 2)
      .map(([a, b]) => {
        const x = statistic((a as Repetition[]).slice(0, k));
        const y = statistic((b as Repetition[]).slice(0, k));
        return Math.abs(y - x) / x;
      });
    const share = (limit: number) => diffs.filter((d) => d <= limit).length / diffs.length;
    const mean = diffs.reduce((s, d) => s + d, 0) / diffs.length;
    console.log(
      `| ${name} | ${k} | ${pct(share(0.05))} | ${pct(share(0.1))} | ${(100 * mean).toFixed(1)}% | ${(100 * Math.max(...diffs)).toFixed(1)}% |`,
    );
  }
}
await lab.stop();
process.exit(0);

/** Spread of repeated measurements of one model, pinned to the big cores and unpinned (see the header). */
async function pinningSpread([rounds = 3, perRound = 4, repetitions = 3, runs = 20]: number[]) {
  const load = () =>
    os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(", ");
  const loadBefore = load();
  const lab = await openLab({ adbPort: 5185, phoneOptions: { profile: "sm8250", batteryLevel: 80 }, agent: false });
  const measure = { ...SMALL_RUN, runs };
  const results: Record<PinningPolicy, { medianMs: number; minMs: number; command: string }[]> = {
    big: [],
    prime: [],
    none: [],
  };
  let n = 0;
  let agent: { stop(): Promise<void> } | undefined;
  for (let round = 0; round < rounds; round++) {
    for (const policy of ["big", "none"] as const) {
      // One agent at a time (the lab stops the last one when it closes).
      await agent?.stop();
      agent = await lab.startAgent({
        config: {
          measure: {
            thresholds: {},
            cooldown: { maxWaitMs: 60_000, pollMs: 1_000 },
            confidence: { relativeHalfWidth: 0, minRepetitions: repetitions, maxRepetitions: repetitions },
            pinning: policy,
          },
        },
      });
      for (let i = 0; i < perRound; i++) {
        const key = `pinning-${policy}-${n++}`;
        const job = await lab.settled(await lab.measure(key, { runtimeConfig: measure }), 600_000);
        if ((await job.getState()) !== "completed") throw new Error(`${key}: ${job.failedReason}`);
        const m = await lab.db.measurement.findUniqueOrThrow({ where: { requestKey: key } });
        results[policy].push({
          medianMs: m.medianMs,
          minMs: m.minMs,
          command: (m.conditions as { command: string }).command,
        });
      }
      console.log(`round ${round + 1}: ${perRound} measurements with DEVICE_LAB_PINNING=${policy}`);
    }
  }
  const loadAfter = load();
  await lab.close();

  const spread = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
    const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
    return `${sorted[0]?.toFixed(2)} / ${median.toFixed(2)} / ${sorted.at(-1)?.toFixed(2)} ms | ${((100 * std) / mean).toFixed(1)}%`;
  };
  console.log(
    `\nhost: ${os.cpus()[0]?.model ?? "?"} x${os.cpus().length}; load average (1, 5, 15 min) ${loadBefore} before, ` +
      `${loadAfter} after`,
  );
  console.log(`${rounds * perRound} measurements per policy, each ${repetitions} repetitions x ${runs} runs, LR 32x32`);
  console.log("| pinning | command | median latency min / median / max | CV | fastest run min / median / max | CV |");
  console.log("| --- | --- | ---: | ---: | ---: | ---: |");
  for (const policy of ["big", "none"] as const) {
    const rows = results[policy];
    const command = rows[0]?.command.startsWith("taskset ") ? rows[0].command.split(" ").slice(0, 2).join(" ") : "";
    const [medianSpread, medianCv] = spread(rows.map((r) => r.medianMs)).split(" | ");
    const [minSpread, minCv] = spread(rows.map((r) => r.minMs)).split(" | ");
    console.log(
      `| ${policy} | ${command ? `\`${command}\`` : "no taskset"} | ${medianSpread} | ${medianCv} | ${minSpread} | ${minCv} |`,
    );
  }
}
