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
 */
import { COST_MODEL_VERSION, DEFAULT_SEARCH_SPACE, createRng, sampleGenome } from "@mfnas/core";
import { summarize } from "@mfnas/devices";
import { candidateGenome } from "@mfnas/searcher";
import { emulatedPhoneRuntime, startLatencyLab } from "../tests/support/latency-lab.ts";

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
