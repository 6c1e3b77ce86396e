import { MfnasError } from "@mfnas/core";
import { describe, expect, it } from "vitest";
import { MAX_HEADER_BYTES, readSafetensors, toFloat32, writeSafetensors } from "./safetensors.ts";

/** A file assembled by hand: the 8-byte length (the header's own unless overridden), the header text, the data. */
function rawFile(header: string | object, data: Uint8Array = new Uint8Array(), length?: bigint): Uint8Array {
  const text = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

function bytesOf(values: number[], write: (view: DataView, at: number, v: number) => void, size: number): Uint8Array {
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => write(view, i * size, v));
  return out;
}

function failure(run: () => unknown): MfnasError {
  try {
    run();
  } catch (error) {
    if (error instanceof MfnasError) return error;
    throw error;
  }
  throw new Error("expected an MfnasError");
}

describe("writeSafetensors / readSafetensors", () => {
  it("round-trips float32 tensors and metadata, with the data 8-byte aligned", () => {
    const a = new Float32Array([1, -2.5, 3e-8, 1e30, 0, -0]);
    const b = new Float32Array([42]);
    const file = writeSafetensors(
      [
        { name: "body.0.conv.weight", shape: [1, 2, 3], data: a },
        { name: "scalar", shape: [], data: b },
      ],
      { format: "pt", genome: "x4-c16" },
    );
    const headerLength = Number(new DataView(file.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const read = readSafetensors(file);
    expect(read.metadata).toEqual({ format: "pt", genome: "x4-c16" });
    expect([...read.tensors.keys()]).toEqual(["body.0.conv.weight", "scalar"]);
    const t = read.tensors.get("body.0.conv.weight");
    expect(t?.dtype).toBe("F32");
    expect(t?.shape).toEqual([1, 2, 3]);
    expect(Array.from(toFloat32(t ?? fail()))).toEqual(Array.from(a));
    expect(Array.from(toFloat32(read.tensors.get("scalar") ?? fail()))).toEqual([42]);
  });

  it("rejects tensors whose shape does not hold their data, and duplicate names", () => {
    const data = new Float32Array(4);
    expect(() => writeSafetensors([{ name: "w", shape: [3], data }])).toThrow(
      /tensor "w": shape \[3\] does not hold 4 values/,
    );
    expect(() =>
      writeSafetensors([
        { name: "w", shape: [4], data },
        { name: "w", shape: [4], data },
      ]),
    ).toThrow(/tensor "w": names must be .*unique/);
  });
});

function fail(): never {
  throw new Error("missing tensor");
}

describe("toFloat32", () => {
  it("reads F32 tensors out of a Node Buffer (as readFile returns) without picking up the rest of the file", () => {
    const file = writeSafetensors([
      { name: "a", shape: [2], data: Float32Array.of(1, 2) },
      { name: "b", shape: [3], data: Float32Array.of(3, 4, 5) },
    ]);
    // A Buffer sharing a larger pool, with the file at a non-zero offset, like fs.readFile can return.
    const pool = Buffer.alloc(file.byteLength + 64);
    pool.set(file, 16);
    const bytes = pool.subarray(16, 16 + file.byteLength);
    const { tensors } = readSafetensors(bytes);
    expect([...toFloat32(tensors.get("a")!)]).toEqual([1, 2]);
    expect([...toFloat32(tensors.get("b")!)]).toEqual([3, 4, 5]);
  });

  it("converts F16 (normals, subnormals, infinities, NaN), BF16 and F64 to float32", () => {
    // 1, -2.5, 65504 (max half), 2^-24 (min subnormal), -inf, NaN
    const halves = [0x3c00, 0xc100, 0x7bff, 0x0001, 0xfc00, 0x7e00];
    const bf16 = [0x3f80, 0xc020, 0x0000, 0x4049]; // 1, -2.5, 0, 3.140625
    const f64 = [0.1, -1e300, 2];
    const file = rawFile(
      {
        h: { dtype: "F16", shape: [2, 3], data_offsets: [0, 12] },
        b: { dtype: "BF16", shape: [4], data_offsets: [12, 20] },
        d: { dtype: "F64", shape: [3], data_offsets: [20, 44] },
      },
      new Uint8Array([
        ...bytesOf(halves, (v, at, x) => v.setUint16(at, x, true), 2),
        ...bytesOf(bf16, (v, at, x) => v.setUint16(at, x, true), 2),
        ...bytesOf(f64, (v, at, x) => v.setFloat64(at, x, true), 8),
      ]),
    );
    const read = readSafetensors(file);
    expect(Array.from(toFloat32(read.tensors.get("h") ?? fail()))).toEqual([1, -2.5, 65504, 2 ** -24, -Infinity, NaN]);
    expect(Array.from(toFloat32(read.tensors.get("b") ?? fail()))).toEqual([1, -2.5, 0, 3.140625]);
    expect(Array.from(toFloat32(read.tensors.get("d") ?? fail()))).toEqual([Math.fround(0.1), -Infinity, 2]);
  });

  it("refuses integer dtypes as weights, naming the tensor", () => {
    const file = rawFile({ steps: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8));
    const error = failure(() => toFloat32(readSafetensors(file).tensors.get("steps") ?? fail()));
    expect(error.code).toBe("unsupported");
    expect(error.message).toMatch(/tensor "steps": unsupported dtype I64 \(loadable: F32, F16, BF16, F64\)/);
  });
});

describe("readSafetensors on malformed files", () => {
  const entry = (begin: number, end: number, shape = [(end - begin) / 4]) => ({
    dtype: "F32",
    shape,
    data_offsets: [begin, end],
  });

  it.each([
    ["a file shorter than the length field", new Uint8Array(5), /file is truncated: 5 bytes/],
    [
      "a header longer than the file",
      rawFile("{}", new Uint8Array(), 64n),
      /file is truncated: the header needs 72 bytes, the file has 10/,
    ],
    [
      "a header over the size limit",
      rawFile("{}", new Uint8Array(), BigInt(MAX_HEADER_BYTES) + 1n),
      /header length 100000001 exceeds/,
    ],
    [
      "a header length near 2^64",
      rawFile("{}", new Uint8Array(), 2n ** 64n - 1n),
      /header length 18446744073709551615 exceeds/,
    ],
    ["a header that is not JSON", rawFile('{"w": {"dtype": "F32",'), /header is not JSON/],
    ["a header that is a JSON array", rawFile("[1, 2]"), /header must be a JSON object/],
    [
      "metadata that is not strings",
      rawFile({ __metadata__: { step: 3 } }),
      /__metadata__ must be an object of strings/,
    ],
  ])("rejects %s", (_what, file, message) => {
    const error = failure(() => readSafetensors(file));
    expect(error.code).toBe("invalid_input");
    expect(error.message).toMatch(message);
  });

  it("rejects a header byte that is not UTF-8", () => {
    const file = rawFile("{  }");
    file[9] = 0xff;
    expect(() => readSafetensors(file)).toThrow(/header is not valid UTF-8/);
  });

  it.each([
    [
      "offsets past the buffer",
      { w: entry(0, 16) },
      8,
      /tensor "w": data_offsets \[0, 16\] are out of range: the data buffer has 8 bytes/,
    ],
    [
      "a span that does not fit dtype and shape",
      { w: entry(0, 8, [3]) },
      8,
      /tensor "w": data_offsets \[0, 8\] span 8 bytes, F32 \[3\] needs 12/,
    ],
    ["reversed offsets", { w: entry(8, 0, [0]) }, 8, /tensor "w": data_offsets must be \[begin, end\]/],
    ["negative shape", { w: { dtype: "F32", shape: [-1], data_offsets: [0, 0] } }, 0, /tensor "w": shape must be/],
    [
      "overlapping tensors",
      { a: entry(0, 8), b: entry(4, 12) },
      12,
      /tensor "b": data_offsets \[4, 12\] overlap tensor "a"/,
    ],
    ["a hole between tensors", { a: entry(0, 4), b: entry(8, 12) }, 12, /tensor "b": 4 unused bytes before its data/],
    ["trailing bytes", { a: entry(0, 4) }, 12, /8 trailing bytes after the last tensor/],
    ["an entry that is not an object", { a: 3 }, 0, /tensor "a": entry must be an object/],
  ])("rejects %s, naming the tensor", (_what, header, dataBytes, message) => {
    const error = failure(() => readSafetensors(rawFile(header, new Uint8Array(dataBytes))));
    expect(error.code).toBe("invalid_input");
    expect(error.message).toMatch(message);
  });

  it("rejects a dtype the format does not define as unsupported", () => {
    const error = failure(() =>
      readSafetensors(rawFile({ q: { dtype: "Q4_0", shape: [2], data_offsets: [0, 1] } }, new Uint8Array(1))),
    );
    expect(error.code).toBe("unsupported");
    expect(error.message).toMatch(/tensor "q": unsupported dtype "Q4_0"/);
  });

  it("accepts empty tensors sharing an offset and a header padded with spaces", () => {
    const file = rawFile(
      JSON.stringify({ e: entry(0, 0, [0, 3]), f: entry(0, 0, [0]), w: entry(0, 4) }) + "   ",
      new Uint8Array(4),
    );
    expect([...readSafetensors(file).tensors.keys()]).toEqual(["e", "f", "w"]);
  });
});
