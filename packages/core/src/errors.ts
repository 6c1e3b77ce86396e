/**
 * The one error type of mfnas. Every failure that crosses a module boundary is an MfnasError with a code;
 * the API maps codes to HTTP statuses in one place and queue workers map them to retry decisions.
 *
 * Codes, and when each is thrown:
 * - `invalid_input`: a value from a user (spec, genome, request body, file) fails validation; names the field.
 * - `invalid_payload`: a queued job's payload fails its catalog schema (at enqueue or at pick-up).
 * - `unknown_job`: a job name that the catalog does not define.
 * - `config_invalid`: a service's environment fails its schema; names the variable.
 * - `not_found`: a referenced record or artifact does not exist.
 * - `unauthenticated`: a request carries no credentials, or ones that are unknown, malformed or revoked.
 * - `forbidden`: valid credentials whose scopes (or agent device class) do not allow the action.
 * - `conflict`: the request contradicts stored state (e.g. cancelling a finished search).
 * - `unsupported`: valid input that this build cannot handle (an op outside the exportable set, say).
 * - `cancelled`: work stopped because it was cancelled.
 * - `timeout`: work exceeded its time budget; retried like a transient failure.
 * - `transient`: a dependency blipped (Redis, Postgres, a phone); retrying may succeed.
 */
export type ErrorCode =
  | "invalid_input"
  | "invalid_payload"
  | "unknown_job"
  | "config_invalid"
  | "not_found"
  | "unauthenticated"
  | "forbidden"
  | "conflict"
  | "unsupported"
  | "cancelled"
  | "timeout"
  | "transient";

export class MfnasError extends Error {
  override readonly name = "MfnasError";
  readonly code: ErrorCode;
  /** Structured detail for logs and API problem documents (field paths, limits, ids). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
}

/** Whether retrying the failed work can help. Unknown errors are treated as transient so backoff applies. */
export function isPermanent(error: unknown): boolean {
  if (!(error instanceof MfnasError)) return false;
  switch (error.code) {
    case "invalid_input":
    case "invalid_payload":
    case "unknown_job":
    case "config_invalid":
    case "not_found":
    case "unauthenticated":
    case "forbidden":
    case "conflict":
    case "unsupported":
    case "cancelled":
      return true;
    case "timeout":
    case "transient":
      return false;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Re-throws a domain parser's invalid_input with its fields placed under `prefix` (e.g. `trainingConfig`). */
export function underField<T>(prefix: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof MfnasError) || error.code !== "invalid_input") throw error;
    const listed = error.details?.["fields"];
    const path = error.details?.["path"];
    const colon = error.message.indexOf(": ");
    const problem = colon >= 0 ? error.message.slice(colon + 2) : error.message;
    const fields = Array.isArray(listed)
      ? listed.map((f) => `${prefix}.${String(f)}`)
      : [`${prefix}${typeof path === "string" && path !== "" ? `.${path}` : ""}: ${problem}`];
    throw new MfnasError("invalid_input", fields.join("; "), { fields }, { cause: error });
  }
}
