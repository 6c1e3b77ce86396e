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

/** What the open streams hold at this moment: for /metrics, and for tests that check streams clean up. */
export interface SseStats {
  /** Streams open. */
  readonly streams: number;
  /** Heartbeat and poll timers armed. */
  readonly timers: number;
  /** Polls of the store running now. */
  readonly pollsInFlight: number;
  /** Polls started since the server started. */
  readonly polls: number;
}

/**
 * Open streams, so that a shutting-down server can end them instead of waiting for clients to leave, and the
 * timers and polls they hold.
 */
export class SseHub {
  private readonly open = new Set<() => void>();
  private closing = false;
  private armed = 0;
  private polling = 0;
  private started = 0;

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

  stats(): SseStats {
    return { streams: this.open.size, timers: this.armed, pollsInFlight: this.polling, polls: this.started };
  }

  /** Counts a timer from when it is armed until `disarm` (idempotent per timer). */
  arm(): () => void {
    this.armed++;
    let disarmed = false;
    return () => {
      if (disarmed) return;
      disarmed = true;
      this.armed--;
    };
  }

  /** Counts a poll while it runs. */
  async poll<T>(run: () => Promise<T>): Promise<T> {
    this.polling++;
    this.started++;
    try {
      return await run();
    } finally {
      this.polling--;
    }
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
  let ended = false;
  // Armed timers, each counted by the hub until cleared.
  const armed: {
    heartbeat?: { timer: NodeJS.Timeout; disarm: () => void };
    poll?: { timer: NodeJS.Timeout; disarm: () => void };
  } = {};
  const forget = hub.add(() => end());
  function end(): void {
    if (ended) return;
    ended = true;
    if (armed.heartbeat) {
      clearInterval(armed.heartbeat.timer);
      armed.heartbeat.disarm();
    }
    if (armed.poll) {
      clearTimeout(armed.poll.timer);
      armed.poll.disarm();
    }
    forget();
    raw.end();
  }
  // Listeners first: a client that leaves from here on ends the stream.
  request.raw.on("close", end);
  raw.on("close", end);
  raw.on("error", end);
  // A client that left before this point (while the route looked the resource up) has already closed: no
  // event will come for it, so look.
  if (raw.destroyed || raw.writableEnded || request.raw.socket.destroyed || hub.isClosing) {
    end();
    return;
  }

  raw.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
    "x-request-id": request.id,
  });
  raw.write(`retry: ${Math.max(1_000, options.pollMs * 2)}\n\n`);
  armed.heartbeat = { timer: setInterval(() => raw.write(": ping\n\n"), options.heartbeatMs), disarm: hub.arm() };

  const tick = async (): Promise<void> => {
    if (armed.poll) {
      armed.poll.disarm();
      delete armed.poll;
    }
    if (ended) return;
    try {
      const { events, done } = await hub.poll(() => source.poll());
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
    if (ended) return;
    armed.poll = { timer: setTimeout(() => void tick(), options.pollMs), disarm: hub.arm() };
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
