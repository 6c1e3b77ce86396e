import { MfnasError } from "@mfnas/core";

/** One `count=.. first=.. curr=.. min=.. max=.. avg=.. std=..` line of benchmark_model, in microseconds. */
export interface RunStats {
  readonly count: number;
  readonly firstUs: number;
  readonly currUs: number;
  readonly minUs: number;
  readonly maxUs: number;
  readonly avgUs: number;
  readonly stdUs: number;
}

/** What one benchmark_model run reported. Times in microseconds, memory in MB. */
export interface BenchmarkResult {
  readonly initUs: number;
  readonly firstInferenceUs: number;
  readonly warmupAvgUs: number;
  readonly inferenceAvgUs: number;
  /** The warm-up phase's stats line, when the tool printed two. */
  readonly warmup: RunStats | null;
  /** The measured phase's stats line (the last one printed). */
  readonly inference: RunStats;
  readonly memory: {
    readonly initDeltaMb: number;
    readonly overallDeltaMb: number;
    /** Peak via periodic monitoring; null when the tool did not monitor (it prints a negative number then). */
    readonly peakMb: number | null;
  } | null;
}

const NUMBER = String.raw`(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|-?inf)`;
const TIMINGS = new RegExp(
  String.raw`Inference timings in us: Init: ${NUMBER}, First inference: ${NUMBER}, Warmup \(avg\): ${NUMBER}, Inference \(avg\): ${NUMBER}`,
);
const STATS = new RegExp(
  String.raw`count=(\d+) first=${NUMBER} curr=${NUMBER} min=${NUMBER} max=${NUMBER} avg=${NUMBER} std=${NUMBER}`,
);
const MEMORY_DELTA = new RegExp(
  String.raw`Memory footprint delta from the start of the tool \(MB\): init=${NUMBER} overall=${NUMBER}`,
);
const MEMORY_PEAK = new RegExp(String.raw`Overall peak memory footprint \(MB\) via periodic monitoring: ${NUMBER}`);

function num(text: string | undefined, what: string): number {
  const value = Number(text);
  if (text === undefined || !Number.isFinite(value)) {
    throw new MfnasError(
      "invalid_input",
      `benchmark_model output: ${what} is not a finite number (got ${JSON.stringify(text)})`,
      {
        field: what,
      },
    );
  }
  return value;
}

function stats(m: RegExpExecArray): RunStats {
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

/**
 * Parses TFLite benchmark_model output as the tool documents and prints it (with or without the `INFO: ` log
 * prefix): the "Inference timings in us" summary, the per-phase `count=... std=...` lines, and the memory
 * footprint lines. Output without the summary or the measured phase's stats line is refused with an
 * `invalid_input` error naming what is missing and quoting the tool's last lines (often its own error).
 */
export function parseBenchmarkOutput(output: string): BenchmarkResult {
  const lines = output.split(/\r?\n/);
  const missing: string[] = [];
  const timingsLine = lines.map((l) => TIMINGS.exec(l)).find((m) => m !== null);
  const statLines = lines.map((l) => STATS.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  if (!timingsLine)
    missing.push(
      `the "Inference timings in us: Init: .., First inference: .., Warmup (avg): .., Inference (avg): .." line`,
    );
  if (statLines.length === 0) missing.push(`a "count=.. first=.. curr=.. min=.. max=.. avg=.. std=.." line`);
  if (!timingsLine || statLines.length === 0) {
    const tail = lines
      .filter((l) => l.trim() !== "")
      .slice(-3)
      .join(" | ");
    throw new MfnasError(
      "invalid_input",
      `benchmark_model output is missing ${missing.join(" and ")}; last lines: ${JSON.stringify(tail.slice(0, 400))}`,
      {
        missing,
      },
    );
  }
  const inference = stats(statLines[statLines.length - 1] as RegExpExecArray);
  if (inference.count < 1)
    throw new MfnasError("invalid_input", "benchmark_model output: the measured phase ran 0 times");
  const delta = lines.map((l) => MEMORY_DELTA.exec(l)).find((m) => m !== null);
  const peak = lines.map((l) => MEMORY_PEAK.exec(l)).find((m) => m !== null);
  const peakMb = peak ? num(peak[1], "peak memory") : null;
  return {
    initUs: num(timingsLine[1], "Init"),
    firstInferenceUs: num(timingsLine[2], "First inference"),
    warmupAvgUs: num(timingsLine[3], "Warmup (avg)"),
    inferenceAvgUs: num(timingsLine[4], "Inference (avg)"),
    warmup: statLines.length >= 2 ? stats(statLines[statLines.length - 2] as RegExpExecArray) : null,
    inference,
    memory: delta
      ? {
          initDeltaMb: num(delta[1], "memory init delta"),
          overallDeltaMb: num(delta[2], "memory overall delta"),
          peakMb: peakMb !== null && peakMb >= 0 ? peakMb : null,
        }
      : null,
  };
}
