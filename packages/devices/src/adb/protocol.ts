/**
 * The ADB transport protocol as the adb server speaks it over USB or TCP (system/core/adb/protocol.txt):
 * 24-byte little-endian headers (command, arg0, arg1, data length, data checksum, magic = command ^ 0xffffffff)
 * followed by the payload. The checksum is the byte sum of the payload; adb skips checking it from protocol
 * version 0x01000001 on, but it is always sent.
 */
export const A_VERSION = 0x01000001;
const HEADER_BYTES = 24;

function code(name: string): number {
  return Buffer.from(name, "latin1").readUInt32LE(0);
}

export const CMD = {
  CNXN: code("CNXN"),
  OPEN: code("OPEN"),
  OKAY: code("OKAY"),
  CLSE: code("CLSE"),
  WRTE: code("WRTE"),
  AUTH: code("AUTH"),
} as const;

export interface AdbMessage {
  readonly command: number;
  readonly arg0: number;
  readonly arg1: number;
  readonly data: Buffer;
}

function checksum(data: Uint8Array): number {
  let sum = 0;
  for (const byte of data) sum = (sum + byte) >>> 0;
  return sum;
}

export function encodeMessage(message: AdbMessage): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(message.command, 0);
  header.writeUInt32LE(message.arg0 >>> 0, 4);
  header.writeUInt32LE(message.arg1 >>> 0, 8);
  header.writeUInt32LE(message.data.length, 12);
  header.writeUInt32LE(checksum(message.data), 16);
  header.writeUInt32LE((message.command ^ 0xffffffff) >>> 0, 20);
  return Buffer.concat([header, message.data]);
}

/** Splits a byte stream into messages; keeps a partial message until the rest arrives. */
export class MessageReader {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly maxPayload: number) {}

  push(chunk: Buffer): AdbMessage[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const messages: AdbMessage[] = [];
    while (this.buffer.length >= HEADER_BYTES) {
      const command = this.buffer.readUInt32LE(0);
      const length = this.buffer.readUInt32LE(12);
      const magic = this.buffer.readUInt32LE(20);
      if (magic !== (command ^ 0xffffffff) >>> 0)
        throw new Error(`bad ADB message magic for command 0x${command.toString(16)}`);
      if (length > this.maxPayload) throw new Error(`ADB payload of ${length} bytes exceeds ${this.maxPayload}`);
      if (this.buffer.length < HEADER_BYTES + length) break;
      const data = this.buffer.subarray(HEADER_BYTES, HEADER_BYTES + length);
      const expected = this.buffer.readUInt32LE(16);
      // Checksums are optional from A_VERSION 0x01000001 (senders may put 0 there); verify when one is given.
      if (expected !== 0 && checksum(data) !== expected) throw new Error("ADB payload checksum mismatch");
      messages.push({
        command,
        arg0: this.buffer.readUInt32LE(4),
        arg1: this.buffer.readUInt32LE(8),
        data: Buffer.from(data),
      });
      this.buffer = this.buffer.subarray(HEADER_BYTES + length);
    }
    return messages;
  }
}
