/**
 * The safetensors file format (https://github.com/huggingface/safetensors), read and written without tfjs:
 *
 *   [u64 little-endian N][N bytes of UTF-8 JSON header][byte buffer]
 *   header: { "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, ..., "__metadata__": {..} }
 *
 * Offsets are relative to the byte buffer. The reader checks what the reference implementation checks: the header
 * fits the file and is JSON, each tensor's byte span matches its dtype and shape and lies in the buffer, and the
 * spans tile the buffer exactly (no overlap, no hole, nothing trailing: the spec forbids holes so that a file cannot
 * smuggle other content). Every error is an `invalid_input` MfnasError that names the tensor when there is one;
 * a dtype this code cannot represent is `unsupported`.
 */
import { MfnasError } from "@mfnas/core";

/** Bytes per element of every dtype of the format. */
export const SAFETENSORS_DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
} as const;
export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPE_BYTES;

/** Dtypes `toFloat32` converts (floats of at least half precision). */
export const FLOAT_DTYPES: readonly SafetensorsDtype[] = ["F32", "F16", "BF16", "F64"];

/** The reference implementation's header limit; a larger one is a corrupt or hostile file. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsTensor {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** The tensor's raw little-endian bytes: a view into the file, not a copy. */
  readonly bytes: Uint8Array;
}

export interface SafetensorsFile {
  /** Tensors in header order. */
  readonly tensors: ReadonlyMap<string, SafetensorsTensor>;
  readonly metadata: Readonly<Record<string, string>>;
}

/** A float32 tensor to write. */
export interface SafetensorsInput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function invalid(message: string, details: Record<string, unknown> = {}): MfnasError {
  return new MfnasError("invalid_input", `safetensors: ${message}`, details);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseHeader(bytes: Uint8Array): { header: Record<string, unknown>; bufferStart: number } {
  if (bytes.length < 8) throw invalid(`file is truncated: ${bytes.length} bytes, less than the 8-byte header length`);
  const length = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw invalid(`header length ${length} exceeds the ${MAX_HEADER_BYTES}-byte limit`, {
      headerBytes: String(length),
    });
  }
  const n = Number(length);
  if (8 + n > bytes.length)
    throw invalid(`file is truncated: the header needs ${8 + n} bytes, the file has ${bytes.length}`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw invalid("header is not valid UTF-8");
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    throw invalid(`header is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!text.startsWith("{") || !isRecord(header)) throw invalid("header must be a JSON object");
  return { header, bufferStart: 8 + n };
}

function parseMetadata(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (!isRecord(value) || !Object.values(value).every((v) => typeof v === "string")) {
    throw invalid("__metadata__ must be an object of strings");
  }
  return { ...(value as Record<string, string>) };
}

function parseEntry(
  name: string,
  value: unknown,
  bufferLength: number,
): { dtype: SafetensorsDtype; shape: number[]; begin: number; end: number } {
  const where = `tensor "${name}"`;
  if (!isRecord(value)) throw invalid(`${where}: entry must be an object`, { tensor: name });
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== "string" || !Object.hasOwn(SAFETENSORS_DTYPE_BYTES, dtype)) {
    throw new MfnasError("unsupported", `safetensors: ${where}: unsupported dtype ${JSON.stringify(dtype)}`, {
      tensor: name,
    });
  }
  const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw invalid(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`, {
      tensor: name,
    });
  }
  const [begin, end] = Array.isArray(offsets) && offsets.length === 2 ? (offsets as unknown[]) : [];
  if (!isCount(begin) || !isCount(end) || begin > end) {
    throw invalid(
      `${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`,
      {
        tensor: name,
      },
    );
  }
  const kind = dtype as SafetensorsDtype;
  const needed = shape.reduce((a: number, b: number) => a * b, 1) * SAFETENSORS_DTYPE_BYTES[kind];
  if (end - begin !== needed) {
    throw invalid(
      `${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes, ${kind} [${shape.join(", ")}] needs ${needed}`,
      {
        tensor: name,
      },
    );
  }
  if (end > bufferLength) {
    throw invalid(
      `${where}: data_offsets [${begin}, ${end}] are out of range: the data buffer has ${bufferLength} bytes`,
      {
        tensor: name,
      },
    );
  }
  return { dtype: kind, shape, begin, end };
}

/** Parses and validates a safetensors file; tensors are views into `bytes`. */
export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  const { header, bufferStart } = parseHeader(bytes);
  const bufferLength = bytes.length - bufferStart;
  const entries = Object.entries(header)
    .filter(([name]) => name !== "__metadata__")
    .map(([name, value]) => ({ name, ...parseEntry(name, value, bufferLength) }));

  // The spans must tile the buffer: sorted by offset, each starts where the previous ended.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous = "";
  for (const e of sorted) {
    if (e.begin < cursor) {
      throw invalid(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] overlap tensor "${previous}"`, {
        tensor: e.name,
      });
    }
    if (e.begin > cursor)
      throw invalid(`tensor "${e.name}": ${e.begin - cursor} unused bytes before its data (a hole)`, {
        tensor: e.name,
      });
    cursor = e.end;
    if (e.end > e.begin) previous = e.name;
  }
  if (cursor !== bufferLength) throw invalid(`${bufferLength - cursor} trailing bytes after the last tensor`);

  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of entries) {
    const data = bytes.subarray(bufferStart + e.begin, bufferStart + e.end);
    tensors.set(e.name, { name: e.name, dtype: e.dtype, shape: e.shape, bytes: data });
  }
  return { tensors, metadata: parseMetadata(header.__metadata__) };
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** The tensor's values as float32 (F32 copied; F16, BF16 and F64 converted); other dtypes are `unsupported`. */
export function toFloat32(tensor: SafetensorsTensor): Float32Array {
  const { bytes, dtype } = tensor;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength / SAFETENSORS_DTYPE_BYTES[dtype];
  const out = new Float32Array(n);
  switch (dtype) {
    case "F32":
      // Copy through Uint8Array's own constructor: a Node Buffer's slice() is a view of its whole pool, not a copy.
      if (LITTLE_ENDIAN_HOST) return new Float32Array(new Uint8Array(bytes).buffer);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    case "F16":
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    case "BF16": {
      // bfloat16 is the top half of a float32.
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      return out;
    }
    case "F64":
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    case "I64":
    case "I32":
    case "I16":
    case "I8":
    case "U64":
    case "U32":
    case "U16":
    case "U8":
    case "BOOL":
    case "F8_E4M3":
    case "F8_E5M2":
      throw new MfnasError(
        "unsupported",
        `safetensors: tensor "${tensor.name}": unsupported dtype ${dtype} (loadable: ${FLOAT_DTYPES.join(", ")})`,
        { tensor: tensor.name, dtype },
      );
  }
}

/** A safetensors file of float32 tensors, in the given order, with the header padded to 8 bytes. */
export function writeSafetensors(
  tensors: Iterable<SafetensorsInput>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = parseMetadata(metadata);
  const list = [...tensors];
  let offset = 0;
  for (const t of list) {
    if (t.name.length === 0 || t.name === "__metadata__" || Object.hasOwn(header, t.name)) {
      throw invalid(`tensor "${t.name}": names must be non-empty, unique and not __metadata__`, { tensor: t.name });
    }
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || size !== t.data.length) {
      throw invalid(`tensor "${t.name}": shape [${t.shape.join(", ")}] does not hold ${t.data.length} values`, {
        tensor: t.name,
      });
    }
    header[t.name] = { dtype: "F32", shape: [...t.shape], data_offsets: [offset, offset + 4 * size] };
    offset += 4 * size;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = Math.ceil(json.length / 8) * 8; // the reference writer pads with spaces so the data is aligned
  const out = new Uint8Array(8 + headerBytes + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerBytes);
  let at = 8 + headerBytes;
  for (const t of list) {
    if (LITTLE_ENDIAN_HOST) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    else t.data.forEach((v, i) => view.setFloat32(at + 4 * i, v, true));
    at += t.data.byteLength;
  }
  return out;
}
