/**
 * How every writer lowers a `symmetricPad` node: per padded axis (H, then W), one concat of single-row (or
 * single-column) slices of the input and the input itself, in the order MATLAB's symmetric boundary reads them
 * (`symmetricPadIndices`). Slices and concats run on every runtime and phone delegate; ONNX Pad has no symmetric
 * mode, and TFLite's MIRROR_PAD needs sides of at least the pad.
 */
import { symmetricPadIndices } from "@mfnas/core";
import type { Nhwc } from "./export-graph.ts";

/** A piece of one padded axis: the input's row/column `index`, or (index undefined) the whole input. */
interface PadPiece {
  readonly index?: number;
}

/** The pieces, in order, that make an axis of `length` padded by `pad` on both sides. */
function symmetricPadPieces(length: number, pad: number): PadPiece[] {
  const indices = symmetricPadIndices(length, pad);
  const rows = (list: number[]) => list.map((index) => ({ index }));
  return [...rows(indices.slice(0, pad)), {}, ...rows(indices.slice(pad + length))];
}

/** One step of the lowering: concat on NHWC `axis` (1 = H, 2 = W) of `pieces` of the tensor of shape `input`. */
export interface PadStep {
  readonly axis: 1 | 2;
  readonly input: Nhwc;
  readonly output: Nhwc;
  readonly pieces: readonly PadPiece[];
}

/** The two steps (pad H, then W) of a symmetric pad of a tensor of shape `shape`. */
export function symmetricPadSteps(shape: Nhwc, pad: number): [PadStep, PadStep] {
  const [n, h, w, c] = shape;
  const tall: Nhwc = [n, h + 2 * pad, w, c];
  return [
    { axis: 1, input: shape, output: tall, pieces: symmetricPadPieces(h, pad) },
    { axis: 2, input: tall, output: [n, h + 2 * pad, w + 2 * pad, c], pieces: symmetricPadPieces(w, pad) },
  ];
}
