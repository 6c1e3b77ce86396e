import { checkSearchSpec, MfnasError, type SearchSpec } from "@mfnas/core";
import type { Db } from "./client.ts";
import { SearchQueryRepository } from "./repositories/search-query.repository.ts";

export interface SubmitSearchOptions {
  /** Queues search.run for the new search; a failure removes the search again. */
  readonly enqueue: (searchId: string) => Promise<unknown>;
  /** The schedule whose slot this is; null (default) for a search submitted by hand. */
  readonly scheduleId?: string | null;
}

export interface SubmittedSearch {
  readonly id: string;
  /** The checked spec, defaults filled in, as stored. */
  readonly spec: SearchSpec;
  /** What may keep the search from running as asked (resources that may still appear). */
  readonly warnings: string[];
}

/**
 * Submits a search: checks the spec (schema, then space), creates the Search row with its supernet set and
 * queues search.run; if queueing fails the row is removed again, so no search is left that nothing will run.
 * The API, the main job, the tests and the benches submit through here; the scheduler, which must write the
 * search and its slot in one transaction, makes the same check and the same row (checkSearchSpec, searchRow).
 */
export async function submitSearch(db: Db, value: unknown, options: SubmitSearchOptions): Promise<SubmittedSearch> {
  const spec = checkSearchSpec(value);
  const searches = new SearchQueryRepository(db);
  const { id, warnings } = await searches.submit(spec, options.scheduleId ?? null);
  try {
    await options.enqueue(id);
  } catch (error) {
    await searches.discard(id);
    throw new MfnasError("transient", "could not queue the search; nothing was created", {}, { cause: error });
  }
  return { id, spec, warnings };
}
