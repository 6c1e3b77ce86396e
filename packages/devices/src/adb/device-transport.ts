import net from "node:net";
import { A_VERSION, CMD, MessageReader, encodeMessage, type AdbMessage } from "./protocol.ts";

/** Largest payload the device accepts and sends (adbd's MAX_PAYLOAD since Android N). */
const DEVICE_MAX_PAYLOAD = 256 * 1024;

/** One open service stream (e.g. `shell:getprop`) between the adb server and the device. */
export interface DeviceStream {
  /** Sends bytes to the host, split to the payload limit; resolves once the host acknowledged every piece. */
  write(data: Buffer | string): Promise<void>;
  /** Bytes the host wrote to this stream, in order. */
  onData(listener: (data: Buffer) => void): void;
  /** Called once when either side closed the stream or the connection dropped. */
  onClose(listener: () => void): void;
  readonly closed: boolean;
  /** Closes the stream from the device side (sends CLSE). */
  close(): void;
}

/** Opens a service by name; returns false for an unknown service (the host sees the open refused). */
export type ServiceHandler = (service: string, stream: DeviceStream) => boolean;

export interface DeviceBanner {
  readonly product: string;
  readonly model: string;
  readonly device: string;
  /** Comma-separated adb features; empty keeps the host on shell v1 and sync v1, which this device speaks. */
  readonly features: string;
}

class Stream implements DeviceStream {
  closed = false;
  private readonly dataListeners: Array<(data: Buffer) => void> = [];
  private readonly closeListeners: Array<() => void> = [];
  private pendingAck: (() => void) | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly localId: number,
    readonly remoteId: number,
    private readonly connection: DeviceConnection,
  ) {}

  write(data: Buffer | string): Promise<void> {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    this.writing = this.writing.then(async () => {
      for (let offset = 0; offset < bytes.length && !this.closed; offset += this.connection.maxPayload) {
        const piece = bytes.subarray(offset, offset + this.connection.maxPayload);
        // One WRTE in flight per stream: the next waits for the host's OKAY (adb's flow control).
        await new Promise<void>((resolve) => {
          this.pendingAck = resolve;
          this.connection.send({ command: CMD.WRTE, arg0: this.localId, arg1: this.remoteId, data: piece });
        });
      }
    });
    return this.writing;
  }

  onData(listener: (data: Buffer) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  close(): void {
    if (this.closed) return;
    void this.writing.then(() => {
      if (this.closed) return;
      this.connection.send({ command: CMD.CLSE, arg0: this.localId, arg1: this.remoteId, data: Buffer.alloc(0) });
      this.finish();
    });
  }

  acknowledged(): void {
    const ack = this.pendingAck;
    this.pendingAck = undefined;
    ack?.();
  }

  received(data: Buffer): void {
    for (const listener of this.dataListeners) listener(data);
  }

  finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.forget(this.localId);
    this.acknowledged();
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}

/** The device end of one adb server connection. */
class DeviceConnection {
  maxPayload = DEVICE_MAX_PAYLOAD;
  private connected = false;
  private nextId = 1;
  private readonly streams = new Map<number, Stream>();
  private readonly reader = new MessageReader(DEVICE_MAX_PAYLOAD * 4);

  constructor(
    private readonly socket: net.Socket,
    private readonly banner: DeviceBanner,
    private readonly open: ServiceHandler,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      let messages: AdbMessage[];
      try {
        messages = this.reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const message of messages) this.handle(message);
    });
    socket.on("close", () => {
      for (const stream of [...this.streams.values()]) stream.finish();
    });
    socket.on("error", () => socket.destroy());
  }

  send(message: AdbMessage): void {
    if (!this.socket.destroyed) this.socket.write(encodeMessage(message));
  }

  forget(localId: number): void {
    this.streams.delete(localId);
  }

  private handle(message: AdbMessage): void {
    switch (message.command) {
      case CMD.CNXN: {
        // The host's maximum caps ours; no AUTH is asked for, so the host marks the device online at once.
        this.maxPayload = Math.min(DEVICE_MAX_PAYLOAD, message.arg1 || DEVICE_MAX_PAYLOAD);
        for (const stream of [...this.streams.values()]) stream.finish();
        this.connected = true;
        const b = this.banner;
        const text = `device::ro.product.name=${b.product};ro.product.model=${b.model};ro.product.device=${b.device};features=${b.features}`;
        this.send({ command: CMD.CNXN, arg0: A_VERSION, arg1: this.maxPayload, data: Buffer.from(text, "utf8") });
        return;
      }
      case CMD.OPEN: {
        if (!this.connected) return;
        const service = message.data.toString("utf8").replace(/\0+$/, "");
        const localId = this.nextId++;
        const stream = new Stream(localId, message.arg0, this);
        this.streams.set(localId, stream);
        this.send({ command: CMD.OKAY, arg0: localId, arg1: message.arg0, data: Buffer.alloc(0) });
        let accepted: boolean;
        try {
          accepted = this.open(service, stream);
        } catch {
          accepted = false;
        }
        if (!accepted) {
          this.streams.delete(localId);
          this.send({ command: CMD.CLSE, arg0: localId, arg1: message.arg0, data: Buffer.alloc(0) });
        }
        return;
      }
      case CMD.OKAY:
        this.streams.get(message.arg1)?.acknowledged();
        return;
      case CMD.WRTE: {
        const stream = this.streams.get(message.arg1);
        if (!stream) return;
        this.send({ command: CMD.OKAY, arg0: stream.localId, arg1: stream.remoteId, data: Buffer.alloc(0) });
        stream.received(message.data);
        return;
      }
      case CMD.CLSE: {
        const stream = this.streams.get(message.arg1);
        if (!stream) return;
        this.send({ command: CMD.CLSE, arg0: stream.localId, arg1: stream.remoteId, data: Buffer.alloc(0) });
        stream.finish();
        return;
      }
      default:
        return; // AUTH and anything newer: not spoken here; the host falls back or ignores.
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * A TCP server speaking the device side of the ADB transport, so the real adb server attaches it with
 * `adb connect host:port`. Services are handed to `open`.
 */
export class AdbDeviceServer {
  private readonly server: net.Server;
  private readonly connections = new Set<DeviceConnection>();

  constructor(banner: DeviceBanner, open: ServiceHandler) {
    this.server = net.createServer((socket) => {
      const connection = new DeviceConnection(socket, banner, open);
      this.connections.add(connection);
      socket.on("close", () => this.connections.delete(connection));
    });
  }

  listen(port = 0, host = "127.0.0.1"): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Drops every connection (the host sees the device vanish) and stops listening. */
  close(): Promise<void> {
    for (const connection of this.connections) connection.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
