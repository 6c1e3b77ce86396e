import type { FastifyReply, FastifyRequest } from "fastify";

/** One server-sent event. Only events that a client can resume after carry an id. */
export interface SseEvent {
  readonly event: string;
  readonly data: unknown;
  readonly id?: string;
}

export interface SseStreamOptions {
  /** How often the source is polled for new events. */
  readonly pollMs: number;
  /** Comment lines sent this often keep proxies from closing an idle stream. */
  readonly heartbeatMs: number;
}

/**
 * A source of events: `poll` returns what happened since the last call and whether the stream is over (a
 * terminal state). It is called once at once, then every pollMs until it says done or the client leaves.
 */
export interface SseSource {
  poll(): Promise<{ events: SseEvent[]; done: boolean }>;
}

/** Open streams, so that a shutting-down server can end them instead of waiting for clients to leave. */
export class SseHub {
  private readonly open = new Set<() => void>();
  private closing = false;

  add(end: () => void): () => void {
    this.open.add(end);
    return () => this.open.delete(end);
  }

  get size(): number {
    return this.open.size;
  }

  get isClosing(): boolean {
    return this.closing;
  }

  closeAll(): void {
    this.closing = true;
    for (const end of [...this.open]) end();
  }
}

function frame(event: SseEvent): string {
  const data = JSON.stringify(event.data)
    .split("\n")
    .map((line) => `data: ${line}`)
    .join("\n");
  return `${event.id !== undefined ? `id: ${event.id}\n` : ""}event: ${event.event}\n${data}\n\n`;
}

/**
 * Streams a source as text/event-stream on the raw response: headers (with the request id), events as they come,
 * heartbeats, and the end of the stream at a terminal state, when the client goes, or at server shutdown.
 * Errors while polling end the stream with an `error` event; the client reconnects with Last-Event-ID.
 */
export function streamEvents(
  request: FastifyRequest,
  reply: FastifyReply,
  source: SseSource,
  options: SseStreamOptions,
  hub: SseHub,
): void {
  void reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
    "x-request-id": request.id,
  });
  raw.write(`retry: ${Math.max(1_000, options.pollMs * 2)}\n\n`);
  let ended = false;
  let pollTimer: NodeJS.Timeout | undefined;
  const heartbeat = setInterval(() => raw.write(": ping\n\n"), options.heartbeatMs);
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    if (pollTimer) clearTimeout(pollTimer);
    forget();
    raw.end();
  };
  const forget = hub.add(end);
  request.raw.on("close", end);
  raw.on("close", end);
  raw.on("error", end);

  const tick = async (): Promise<void> => {
    if (ended) return;
    try {
      const { events, done } = await source.poll();
      if (ended) return;
      for (const event of events) raw.write(frame(event));
      if (done) {
        raw.write(frame({ event: "end", data: {} }));
        end();
        return;
      }
    } catch (error) {
      request.log.warn({ err: error }, "event stream poll failed");
      if (!ended) raw.write(frame({ event: "error", data: { detail: "temporary failure; reconnect to resume" } }));
      end();
      return;
    }
    pollTimer = setTimeout(() => void tick(), options.pollMs);
  };
  void tick();
}

/** The client's Last-Event-ID as an integer position, or undefined when absent or not ours. */
export function lastEventPosition(request: FastifyRequest): number | undefined {
  const header = request.headers["last-event-id"];
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^-?[0-9]{1,9}$/.test(value)) return undefined;
  return Number(value);
}
