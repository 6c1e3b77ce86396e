/**
 * A minimal, deterministic protocol-buffers encoder: just the wire types ONNX needs (varint, 32-bit float,
 * length-delimited). Messages are written bottom-up, each to its own bytes, so a nested message is a plain
 * length-delimited field. Fields come out in the order they are written; callers write them in field-number order,
 * as protobuf's own serializers do. Repeated scalars are written unpacked (proto2's default, which onnx.proto uses);
 * every parser accepts both forms.
 */

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const textEncoder = new TextEncoder();

export class ProtoWriter {
  readonly #chunks: Uint8Array[] = [];
  #scratch: number[] = [];
  #length = 0;

  #flushScratch(): void {
    if (this.#scratch.length === 0) return;
    const bytes = Uint8Array.from(this.#scratch);
    this.#chunks.push(bytes);
    this.#length += bytes.length;
    this.#scratch = [];
  }

  #varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`protobuf varint: ${value} is not a non-negative safe integer`);
    }
    let v = value;
    while (v >= 0x80) {
      this.#scratch.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.#scratch.push(v);
  }

  #tag(field: number, wireType: number): void {
    this.#varint(field * 8 + wireType);
  }

  /** int32, int64, uint64, bool or enum field (non-negative values only: ONNX never needs negative ones here). */
  varint(field: number, value: number): this {
    this.#tag(field, WIRE_VARINT);
    this.#varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.#tag(field, WIRE_FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.#scratch.push(...bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.#tag(field, WIRE_LENGTH_DELIMITED);
    this.#varint(value.length);
    this.#flushScratch();
    this.#chunks.push(value);
    this.#length += value.length;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value));
  }

  /** A nested message, encoded by `write` into a fresh writer. */
  message(field: number, write: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    write(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    this.#flushScratch();
    const out = new Uint8Array(this.#length);
    let offset = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}
