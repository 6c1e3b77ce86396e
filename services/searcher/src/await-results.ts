import { MfnasError } from "@mfnas/core";

export interface AwaitOptions<K, V> {
  /** Results already stored, for some of the pending keys. */
  readonly fetch: (pending: readonly K[]) => Promise<Map<K, V>>;
  /** Keys whose work failed for good, with the reason; checked every `failureCheckEvery` polls. */
  readonly failures: (pending: readonly K[]) => Promise<Map<K, string>>;
  readonly signal: AbortSignal;
  /** First and largest pause between polls, in ms. */
  readonly minPollMs?: number;
  readonly maxPollMs?: number;
  readonly failureCheckEvery?: number;
  /** Called when results arrive, with how many are done. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Waits until every key has a stored result or has failed for good. Results are read from the store, not from
 * queue events, so a searcher that restarts finds what finished while it was down.
 */
export async function awaitResults<K, V>(keys: readonly K[], options: AwaitOptions<K, V>): Promise<Map<K, V | Error>> {
  const { fetch, failures, signal, minPollMs = 50, maxPollMs = 1_000, failureCheckEvery = 5 } = options;
  const results = new Map<K, V | Error>();
  let pending = [...new Set(keys)];
  let pause = minPollMs;
  for (let poll = 1; pending.length > 0; poll++) {
    if (signal.aborted) throw new MfnasError("cancelled", "stopped while waiting for results");
    const found = await fetch(pending);
    if (poll % failureCheckEvery === 0 && found.size < pending.length) {
      for (const [key, reason] of await failures(pending.filter((k) => !found.has(k)))) {
        results.set(key, new Error(reason));
      }
    }
    for (const [key, value] of found) results.set(key, value);
    const before = pending.length;
    pending = pending.filter((k) => !results.has(k));
    if (pending.length < before) {
      options.onProgress?.(keys.length - pending.length, keys.length);
      pause = minPollMs;
    } else {
      pause = Math.min(maxPollMs, pause * 2);
    }
    if (pending.length > 0) await sleep(pause, signal);
  }
  return results;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** What `failedJobs` needs of a BullMQ queue. */
interface JobLookup {
  getJob(id: string): Promise<{ failedReason: string; getState(): Promise<string> } | undefined>;
}

/**
 * The keys whose job (by the id it was enqueued under) failed for good, with the job's reason; `awaitResults`'s
 * `failures` for work that runs as queued jobs. Keys without a job id are never reported failed.
 */
export async function failedJobs<K>(
  queue: JobLookup,
  jobIds: ReadonlyMap<K, string>,
  keys: readonly K[],
  fallbackReason: string,
): Promise<Map<K, string>> {
  const failed = new Map<K, string>();
  for (const key of keys) {
    const id = jobIds.get(key);
    const job = id === undefined ? undefined : await queue.getJob(id);
    if (job && (await job.getState()) === "failed") failed.set(key, job.failedReason || fallbackReason);
  }
  return failed;
}
