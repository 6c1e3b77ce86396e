import { MfnasError } from "@mfnas/core";
import { parseDelegation, type Delegation } from "./delegation.ts";
import { toolLine } from "./tool-line.ts";

/**
 * One stats line of benchmark_model, in microseconds. TensorFlow's Stat printer (tensorflow/core/util/
 * stats_calculator.h) writes `count=N first=.. curr=.. min=.. max=.. avg=.. std=..`, or `count=N curr=X` (with
 * "(all same)" past one run) when every sample was equal, or `count=0`; the single-run form fills every field from
 * `curr` with std 0.
 */
export interface RunStats {
  readonly count: number;
  readonly firstUs: number;
  readonly currUs: number;
  readonly minUs: number;
  readonly maxUs: number;
  readonly avgUs: number;
  readonly stdUs: number;
}

/**
 * Memory as the tool reported it, in MB.
 * - `max-rss` (TF 2.3/2.4: `Peak memory footprint (MB): init=X overall=Y`): the process's peak resident set after
 *   init and overall; `peakMb` is the overall figure.
 * - `delta` (TF 2.5 on: `Memory footprint delta from the start of the tool (MB): init=X overall=Y`): growth since
 *   the tool started; a peak only with `Overall peak memory footprint (MB) via periodic monitoring: Z`, which the
 *   tool prints only when asked (`--report_peak_memory_footprint=true`).
 */
export interface BenchmarkMemory {
  readonly wording: "max-rss" | "delta";
  readonly initMb: number;
  readonly overallMb: number;
  /** Peak memory of the run; null when the tool did not report one (see `missingReason`). */
  readonly peakMb: number | null;
}

/** What one benchmark_model run reported. Times in microseconds. */
export interface BenchmarkResult {
  readonly initUs: number;
  /** The first warm-up run; null when the tool's summary does not say (TF 1.x) and no warm-up line was printed. */
  readonly firstInferenceUs: number | null;
  readonly warmupAvgUs: number;
  readonly inferenceAvgUs: number;
  /** The warm-up phase's stats line, when the tool printed it. */
  readonly warmup: RunStats | null;
  /** The measured phase's stats line. */
  readonly inference: RunStats;
  readonly memory: BenchmarkMemory | null;
  /** Why `memory?.peakMb` is null, in words (recorded with the measurement); null when a peak was read. */
  readonly memoryMissingReason: string | null;
  /** What the tool said about delegates (null when it said nothing). */
  readonly delegation: Delegation | null;
  /** Whether the op profiler's tables were in the output (never read as the tool's own figures). */
  readonly opProfile: boolean;
}

const N = String.raw`(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|-?inf)`;
const TIMINGS = new RegExp(
  String.raw`^Inference timings in us: Init: ${N}, First inference: ${N}, Warmup \(avg\): ${N}, Inference \(avg\): ${N}`,
);
/** TF 1.x: `Average inference timings in us: Warmup: W, Init: I, no stats: A` (the last label varies). */
const OLD_TIMINGS = new RegExp(String.raw`^Average inference timings in us: Warmup: ${N}, Init: ${N}, [^:]+: ${N}`);
const FULL_STATS = new RegExp(String.raw`^count=(\d+) first=${N} curr=${N} min=${N} max=${N} avg=${N} std=${N}\s*$`);
/** Older TF printed `curr=` first: `curr=X count=N min=.. max=.. avg=.. std=..`. */
const OLD_STATS = new RegExp(String.raw`^curr=${N} count=(\d+) min=${N} max=${N} avg=${N} std=${N}\s*$`);
const SAME_STATS = new RegExp(String.raw`^count=(\d+) curr=${N}(?:\(all same\))?\s*$`);
const OLD_SAME_STATS = new RegExp(String.raw`^curr=${N} count=(\d+)(?:\(all same\))?\s*$`);
const EMPTY_STATS = /^count=0\s*$/;
const PHASE = /^Running benchmark for at least/;
const MEMORY_MAX_RSS = new RegExp(String.raw`^Peak memory footprint \(MB\): init=${N} overall=${N}`);
const MEMORY_DELTA = new RegExp(
  String.raw`^Memory footprint delta from the start of the tool \(MB\): init=${N} overall=${N}`,
);
const MEMORY_PEAK = new RegExp(String.raw`^Overall peak memory footprint \(MB\) via periodic monitoring: ${N}`);
/** Where the op profiler's tables start; its `Timings (microseconds): count=..` lines are not the tool's. */
const PROFILE_HEADER = /^(?:Operator-wise )?Profiling Info for |^=+ (?:Run Order|Top by|Summary by)/;

function num(text: string | undefined, what: string): number {
  const value = Number(text);
  if (text === undefined || !Number.isFinite(value)) {
    throw new MfnasError(
      "invalid_input",
      `benchmark_model output: ${what} is not a finite number (got ${JSON.stringify(text)})`,
      { field: what },
    );
  }
  return value;
}

/** A stats line in any of the printer's forms, or null when the line is not one. */
export function parseStatsLine(line: string): RunStats | null {
  let m = FULL_STATS.exec(line);
  if (m) {
    return {
      count: num(m[1], "count"),
      firstUs: num(m[2], "first"),
      currUs: num(m[3], "curr"),
      minUs: num(m[4], "min"),
      maxUs: num(m[5], "max"),
      avgUs: num(m[6], "avg"),
      stdUs: num(m[7], "std"),
    };
  }
  m = OLD_STATS.exec(line);
  if (m) {
    const curr = num(m[1], "curr");
    return {
      count: num(m[2], "count"),
      firstUs: curr,
      currUs: curr,
      minUs: num(m[3], "min"),
      maxUs: num(m[4], "max"),
      avgUs: num(m[5], "avg"),
      stdUs: num(m[6], "std"),
    };
  }
  const same = SAME_STATS.exec(line);
  const oldSame = same ? null : OLD_SAME_STATS.exec(line);
  if (same || oldSame) {
    const count = num(same ? same[1] : oldSame?.[2], "count");
    const curr = num(same ? same[2] : oldSame?.[1], "curr");
    return { count, firstUs: curr, currUs: curr, minUs: curr, maxUs: curr, avgUs: curr, stdUs: 0 };
  }
  if (EMPTY_STATS.test(line)) return { count: 0, firstUs: 0, currUs: 0, minUs: 0, maxUs: 0, avgUs: 0, stdUs: 0 };
  return null;
}

interface PhaseStats {
  readonly stats: RunStats;
  /** Index of the `Running benchmark for at least ..` header above it (0 warm-up, 1 measured), -1 when none. */
  readonly phase: number;
}

function refuse(lines: readonly string[], missing: readonly string[]): never {
  const tail = lines
    .filter((l) => l.trim() !== "")
    .slice(-3)
    .join(" | ");
  throw new MfnasError(
    "invalid_input",
    `benchmark_model output is missing ${missing.join(" and ")}; last lines: ${JSON.stringify(tail.slice(0, 400))}`,
    { missing },
  );
}

/**
 * Parses TFLite benchmark_model output from TF 1.x to current: log prefixes (`INFO: `, the APK's logcat), the
 * summary in both wordings, per-phase stats lines in every printer form (a phase is told by the `Running benchmark`
 * header above its line; without headers the last line is the measured phase and the one before it the warm-up),
 * both memory wordings, and delegate lines. The op profiler's tables are recognised and never read as the tool's
 * own figures. Output without the summary or the measured phase's stats is refused with an `invalid_input` error
 * naming what is missing and quoting the tool's last lines (often its own error).
 */
export function parseBenchmarkOutput(output: string): BenchmarkResult {
  const raw = output.split(/\r?\n/);
  const lines = raw.map(toolLine);
  let phaseIndex = -1;
  let inProfile = false;
  let opProfile = false;
  const statLines: PhaseStats[] = [];
  let timings: { initUs: number; firstUs: number | null; warmupAvgUs: number; inferenceAvgUs: number } | null = null;
  for (const line of lines) {
    if (PROFILE_HEADER.test(line)) {
      inProfile = true;
      opProfile = true;
      continue;
    }
    if (PHASE.test(line)) {
      inProfile = false;
      phaseIndex += 1;
      continue;
    }
    const t = TIMINGS.exec(line);
    if (t) {
      inProfile = false;
      timings = {
        initUs: num(t[1], "Init"),
        firstUs: num(t[2], "First inference"),
        warmupAvgUs: num(t[3], "Warmup (avg)"),
        inferenceAvgUs: num(t[4], "Inference (avg)"),
      };
      continue;
    }
    const old = OLD_TIMINGS.exec(line);
    if (old) {
      inProfile = false;
      timings = {
        warmupAvgUs: num(old[1], "Warmup"),
        initUs: num(old[2], "Init"),
        firstUs: null,
        inferenceAvgUs: num(old[3], "Inference"),
      };
      continue;
    }
    if (inProfile || timings !== null) continue;
    const stats = parseStatsLine(line);
    if (stats) statLines.push({ stats, phase: phaseIndex });
  }
  const missing: string[] = [];
  if (!timings) missing.push(`the "Inference timings in us: .." summary line`);
  if (statLines.length === 0) missing.push(`a "count=.." stats line of the tool's own`);
  if (!timings || statLines.length === 0) refuse(raw, missing);

  const byHeader = statLines.some((s) => s.phase >= 0);
  const warmupLine = byHeader
    ? statLines.find((s) => s.phase === 0)
    : statLines.length >= 2
      ? statLines[statLines.length - 2]
      : undefined;
  const inferenceLine = byHeader ? statLines.find((s) => s.phase === 1) : statLines[statLines.length - 1];
  if (!inferenceLine) refuse(raw, ["the measured phase's stats line"]);
  const inference = inferenceLine.stats;
  if (inference.count < 1) {
    throw new MfnasError("invalid_input", "benchmark_model output: the measured phase ran 0 times");
  }
  const warmup = warmupLine?.stats ?? null;
  const { memory, missingReason } = parseMemory(lines);
  return {
    initUs: timings.initUs,
    firstInferenceUs: timings.firstUs ?? (warmup && warmup.count > 0 ? warmup.firstUs : null),
    warmupAvgUs: timings.warmupAvgUs,
    inferenceAvgUs: timings.inferenceAvgUs,
    warmup,
    inference,
    memory,
    memoryMissingReason: missingReason,
    delegation: parseDelegation(output),
    opProfile,
  };
}

function parseMemory(lines: readonly string[]): { memory: BenchmarkMemory | null; missingReason: string | null } {
  const maxRss = lines.map((l) => MEMORY_MAX_RSS.exec(l)).find((m) => m !== null);
  if (maxRss) {
    const initMb = num(maxRss[1], "memory init");
    const overallMb = num(maxRss[2], "memory overall");
    // A platform without memory accounting prints init=0 overall=0 (e.g. some embedded Linux builds).
    const read = overallMb > 0;
    return {
      memory: { wording: "max-rss", initMb, overallMb, peakMb: read ? overallMb : null },
      missingReason: read ? null : "the tool printed a peak memory footprint of 0 MB (not measured on this platform)",
    };
  }
  const delta = lines.map((l) => MEMORY_DELTA.exec(l)).find((m) => m !== null);
  const peak = lines.map((l) => MEMORY_PEAK.exec(l)).find((m) => m !== null);
  const peakMb = peak ? num(peak[1], "peak memory") : null;
  const peakRead = peakMb !== null && peakMb > 0;
  const missingReason = peakRead
    ? null
    : peakMb !== null
      ? `the tool's periodic peak memory monitor reported ${peakMb} MB`
      : delta
        ? "the tool printed no peak memory (it does only with --report_peak_memory_footprint=true)"
        : "the tool printed no memory figures";
  return {
    memory: delta
      ? {
          wording: "delta",
          initMb: num(delta[1], "memory init delta"),
          overallMb: num(delta[2], "memory overall delta"),
          peakMb: peakRead ? peakMb : null,
        }
      : null,
    missingReason,
  };
}
