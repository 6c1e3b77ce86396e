import {
  API_ROUTES,
  type ApiBody,
  type ApiOperationId,
  type ApiParams,
  type ApiQuery,
  type ApiResponse,
} from "@mfnas/core";

/** What an operation takes: its path parameters, query and body, each only when it has them. */
export type CallInput<Op extends ApiOperationId> = (ApiParams<Op> extends Record<string, never>
  ? { params?: undefined }
  : { params: ApiParams<Op> }) & { query?: Partial<ApiQuery<Op>> } & (ApiBody<Op> extends never
    ? { body?: undefined }
    : { body?: ApiBody<Op> });

/** A failure the CLI reports as one line and a non-zero exit code. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    /** Process exit code. */
    readonly exitCode = 1,
    /** The API's problem document, for --json output. */
    readonly problem?: Record<string, unknown>,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface ServerEvent {
  readonly event: string;
  readonly id?: string;
  readonly data: unknown;
}

/** `400 invalid_input: invalid search spec: budget.generations: ... (request req-7)` from a problem document. */
function problemLine(status: number, problem: Record<string, unknown>): string {
  const code = typeof problem["code"] === "string" ? problem["code"] : "error";
  const detail =
    typeof problem["detail"] === "string"
      ? problem["detail"]
      : typeof problem["title"] === "string"
        ? problem["title"]
        : "";
  const request = typeof problem["requestId"] === "string" ? ` (request ${problem["requestId"]})` : "";
  return `${status} ${code}: ${detail.replace(/\s+/g, " ")}${request}`;
}

/** A small client of the mfnas REST API: bearer key, JSON in and out, problem+json errors as CliError. */
export class ApiClient {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly apiKey: string | undefined,
  ) {
    this.base = `${baseUrl.replace(/\/+$/, "")}/v1`;
  }

  url(path: string, query: Query = {}): string {
    const url = new URL(`${this.base}${path}`);
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value as readonly string[]) url.searchParams.append(key, v);
      else url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  private async send(
    method: string,
    path: string,
    init: { query?: Query; body?: unknown; bytes?: Uint8Array; headers?: object } = {},
  ) {
    const headers: Record<string, string> = { accept: "application/json", ...(init.headers as Record<string, string>) };
    if (this.apiKey !== undefined) headers["authorization"] = `Bearer ${this.apiKey}`;
    if (init.body !== undefined) headers["content-type"] = "application/json";
    if (init.bytes !== undefined) headers["content-type"] = "application/octet-stream";
    const body =
      init.bytes !== undefined ? init.bytes : init.body !== undefined ? JSON.stringify(init.body) : undefined;
    let response: Response;
    try {
      response = await fetch(this.url(path, init.query), { method, headers, ...(body !== undefined ? { body } : {}) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`cannot reach the API at ${this.base}: ${cause?.code ?? cause?.message ?? String(error)}`);
    }
    if (!response.ok) throw await this.failure(response);
    return response;
  }

  private async failure(response: Response): Promise<CliError> {
    const text = await response.text();
    try {
      const problem = JSON.parse(text) as Record<string, unknown>;
      return new CliError(problemLine(response.status, problem), 1, problem);
    } catch {
      return new CliError(`${response.status} ${response.statusText}: ${text.slice(0, 200).replace(/\s+/g, " ")}`);
    }
  }

  /**
   * Calls an operation by its OpenAPI operationId; the path, parameters, body and answer are typed from the API's
   * document (core's generated `ApiOperations`). A Uint8Array body is sent as raw bytes.
   */
  async call<Op extends ApiOperationId>(operation: Op, input: CallInput<Op>): Promise<ApiResponse<Op>> {
    const route = API_ROUTES[operation];
    const params = (input.params ?? {}) as Record<string, string | number>;
    const path = route.path
      .replace(/^\/v1/, "")
      .replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(params[name] ?? "")));
    const query = input.query as Query | undefined;
    const body: unknown = input.body;
    const response = await this.send(route.method, path, {
      ...(query ? { query } : {}),
      ...(body instanceof Uint8Array ? { bytes: body } : body !== undefined ? { body } : {}),
    });
    // 204 No Content (a delete) carries no JSON; its operation's answer type is undefined.
    const answer: unknown = response.status === 204 ? undefined : await response.json();
    return answer as ApiResponse<Op>;
  }

  async download(path: string): Promise<Uint8Array> {
    const response = await this.send("GET", path, { headers: { accept: "*/*" } });
    return new Uint8Array(await response.arrayBuffer());
  }

  /**
   * Follows a server-sent-event stream until it ends (the server closes it at a terminal state) or `onEvent`
   * returns true. A stream closed early or ended with an `error` event is reopened from the last event id.
   */
  async events(path: string, onEvent: (event: ServerEvent) => boolean | void, signal?: AbortSignal): Promise<void> {
    let lastId: string | undefined;
    for (let attempt = 0; ; attempt++) {
      const response = await this.send("GET", path, {
        headers: { accept: "text/event-stream", ...(lastId !== undefined ? { "last-event-id": lastId } : {}) },
      });
      let finished = false;
      let reopen = false;
      for await (const event of readEvents(response, signal)) {
        if (event.id !== undefined) lastId = event.id;
        if (event.event === "error") reopen = true;
        if (onEvent(event) === true || event.event === "end") {
          finished = true;
          break;
        }
      }
      if (finished || signal?.aborted) return;
      if (!reopen && attempt >= 10) throw new CliError(`the event stream ${path} keeps closing without an end`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 250 * 2 ** Math.min(attempt, 4))));
    }
  }
}

/** Parses text/event-stream frames from a response body. */
async function* readEvents(response: Response, signal?: AbortSignal): AsyncGenerator<ServerEvent> {
  if (!response.body) return;
  const decoder = new TextDecoder();
  let buffer = "";
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  const cancel = () => void reader.cancel();
  signal?.addEventListener("abort", cancel, { once: true });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let split: number;
      while ((split = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, split);
        buffer = buffer.slice(split + 2);
        const parsed = parseFrame(frame);
        if (parsed) yield parsed;
      }
    }
  } finally {
    signal?.removeEventListener("abort", cancel);
  }
}

function parseFrame(frame: string): ServerEvent | undefined {
  let event = "message";
  let id: string | undefined;
  const data: string[] = [];
  for (const line of frame.split("\n")) {
    if (line.startsWith(":")) continue; // heartbeat
    const colon = line.indexOf(":");
    const field = colon >= 0 ? line.slice(0, colon) : line;
    const value = colon >= 0 ? line.slice(colon + 1).replace(/^ /, "") : "";
    if (field === "event") event = value;
    else if (field === "id") id = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return undefined;
  const text = data.join("\n");
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Plain text data stays a string.
  }
  return { event, data: parsed, ...(id !== undefined ? { id } : {}) };
}
