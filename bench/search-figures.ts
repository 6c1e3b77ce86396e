/**
 * The figures of bench/search.ts, computed from what one search left behind: the searcher's own timings (taken
 * through its ports), the BullMQ jobs of the evaluator and the device lab, and the Evaluation, Measurement,
 * Candidate and Generation rows. Pure functions; nothing here does I/O.
 */
import { hypervolume, nonDominatedIndices } from "@mfnas/core";

/** When the searcher did what, in epoch ms (the clock BullMQ stamps jobs with). */
export interface GenerationMarks {
  /** End of the previous generation's write (the handler's start for generation 0). */
  readonly start: number;
  readonly quality: readonly [number, number] | null;
  readonly latency: readonly [number, number] | null;
  /** writeGeneration's call and return. */
  readonly write: readonly [number, number];
  readonly asked: number;
}

/** One job as BullMQ recorded it, with the time its handler spent on the work itself. */
export interface JobTimes {
  /** When it was added to the queue (`timestamp`). */
  readonly enqueued: number;
  /** When a worker took it (`processedOn`). */
  readonly started: number;
  /** When the worker finished it (`finishedOn`). */
  readonly finished: number;
  /** The evaluation itself (Evaluation.durationMs) or the runner through adb (sum of the repetitions' wall times). */
  readonly workMs: number;
}

/**
 * A generation's wall time split along its critical branch (the evaluator or the device lab, whichever source
 * returned last); the parts add up to the wall time when that branch's worker runs one job at a time.
 */
export interface GenerationSplit {
  readonly wallMs: number;
  readonly branch: "evaluator" | "device lab" | "none";
  readonly jobs: number;
  /** Generation start to the branch's first job enqueued: ask, architecture rows, cache lookups, probe export. */
  readonly beforeFirstJobMs: number;
  /** Worker idle because the next job was not enqueued yet (the searcher exporting and enqueueing). */
  readonly starvedMs: number;
  /** Job ready and worker free, but not yet taken: BullMQ's pickup latency. */
  readonly pickupMs: number;
  /** Jobs' active time minus the work itself: payload checks, Postgres reads and writes, artifact fetch, adb push. */
  readonly inJobMs: number;
  readonly workMs: number;
  /** Last job finished to the searcher seeing all results (its Postgres polling). */
  readonly detectMs: number;
  /** Both sources returned to the generation written: tell, ranking, the write transaction. */
  readonly writeMs: number;
}

export function splitGeneration(
  marks: GenerationMarks,
  evaluatorJobs: readonly JobTimes[],
  labJobs: readonly JobTimes[],
): GenerationSplit {
  const end = marks.write[1];
  const wallMs = end - marks.start;
  const qualityEnd = marks.quality?.[1] ?? -Infinity;
  const latencyEnd = marks.latency?.[1] ?? -Infinity;
  const branch = latencyEnd >= qualityEnd ? "device lab" : "evaluator";
  const sourceEnd = Math.max(qualityEnd, latencyEnd);
  const inWindow = (j: JobTimes) => j.enqueued >= marks.start && j.enqueued <= end;
  const jobs = (branch === "device lab" ? labJobs : evaluatorJobs)
    .filter(inWindow)
    .sort((a, b) => a.started - b.started);
  const writeMs = end - (Number.isFinite(sourceEnd) ? sourceEnd : marks.write[0]);
  const first = jobs[0];
  const last = jobs.at(-1);
  if (!first || !last || !Number.isFinite(sourceEnd)) {
    const none = { jobs: 0, starvedMs: 0, pickupMs: 0, inJobMs: 0, workMs: 0, detectMs: 0 };
    return { wallMs, branch: "none", ...none, beforeFirstJobMs: wallMs - writeMs, writeMs };
  }
  let starvedMs = 0;
  let pickupMs = 0;
  let inJobMs = 0;
  let workMs = 0;
  let previousEnd = first.enqueued;
  for (const job of jobs) {
    starvedMs += Math.max(0, job.enqueued - previousEnd);
    pickupMs += job.started - Math.max(job.enqueued, previousEnd);
    workMs += job.workMs;
    inJobMs += job.finished - job.started - job.workMs;
    previousEnd = job.finished;
  }
  return {
    wallMs,
    branch,
    jobs: jobs.length,
    beforeFirstJobMs: first.enqueued - marks.start,
    starvedMs,
    pickupMs,
    inJobMs,
    workMs,
    detectMs: sourceEnd - last.finished,
    writeMs,
  };
}

/** Sums the splits of a search's generations, field by field. */
export function sumSplits(splits: readonly GenerationSplit[]): Omit<GenerationSplit, "branch"> {
  const total = {
    wallMs: 0,
    jobs: 0,
    beforeFirstJobMs: 0,
    starvedMs: 0,
    pickupMs: 0,
    inJobMs: 0,
    workMs: 0,
    detectMs: 0,
    writeMs: 0,
  };
  for (const s of splits) for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += s[key];
  return total;
}

/** Queue pickup of every job of one queue (worker free and job ready, to job taken), in ms. */
export function pickupLatencies(jobs: readonly JobTimes[]): number[] {
  const sorted = [...jobs].sort((a, b) => a.started - b.started);
  return sorted.map((job, i) => job.started - Math.max(job.enqueued, sorted[i - 1]?.finished ?? -Infinity));
}

export const mean = (xs: readonly number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
export const median = (xs: readonly number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/** A candidate's minimised objectives, [-PSNR, latency ms], with the generation it first appeared in. */
export interface ScoredCandidate {
  readonly hash: string;
  readonly generation: number;
  readonly objectives: readonly [number, number];
}

/**
 * One reference point for several searches: per axis the worst value over all their candidates plus 10% of the
 * range, the rule each search applies to its own first generation.
 */
export function commonReference(candidates: readonly ScoredCandidate[]): [number, number] {
  const axis = (i: 0 | 1) => {
    const values = candidates.map((c) => c.objectives[i]);
    const worst = Math.max(...values);
    const range = worst - Math.min(...values);
    return worst + 0.1 * (range > 0 ? range : Math.abs(worst) || 1);
  };
  return [axis(0), axis(1)];
}

/** Hypervolume of the non-dominated set of the given candidates. */
export function frontHypervolume(candidates: readonly ScoredCandidate[], reference: readonly number[]): number {
  const points = candidates.map((c) => [...c.objectives]);
  const front = nonDominatedIndices(points).map((i) => points[i] as number[]);
  return front.length === 0 ? 0 : hypervolume(front, [...reference]);
}
