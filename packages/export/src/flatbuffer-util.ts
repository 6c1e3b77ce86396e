/**
 * Small helpers over the flatbuffers Builder, in the shape flatc's generated code uses: a table from a field
 * writer, and int32 / offset vectors (written back to front, as the builder grows downwards).
 */
import type { Builder } from "flatbuffers";

export function table(b: Builder, fields: number, fill: (b: Builder) => void): number {
  b.startObject(fields);
  fill(b);
  return b.endObject();
}

export function int32Vector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i] as number);
  return b.endVector();
}

export function offsetVector(b: Builder, offsets: readonly number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i] as number);
  return b.endVector();
}
