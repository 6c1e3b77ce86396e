/**
 * How a batch is split for data-parallel training: contiguous shards in batch order whose sizes differ by at most
 * one (the first `batch % count` shards take one image more), and the shard's slice of a sampled batch. The split
 * depends on the batch size and the worker count only, so a run with a fixed worker count splits every step the
 * same way, whatever the machine.
 */
import { MfnasError } from "@mfnas/core";
import type { PatchBatch, Tensor4D, Tf } from "@mfnas/model";

export interface ShardPlan {
  /** Images per shard, in shard order. */
  readonly sizes: readonly number[];
  /** First image of each shard in the batch. */
  readonly offsets: readonly number[];
  /** Images in the whole batch. */
  readonly batch: number;
}

/** `workers` shards of a batch of `batch` images; fewer when the batch has fewer images than workers. */
export function shardPlan(batch: number, workers: number): ShardPlan {
  if (!Number.isInteger(batch) || batch < 1) throw new MfnasError("invalid_input", `batch: ${batch} is not >= 1`);
  if (!Number.isInteger(workers) || workers < 1) {
    throw new MfnasError("invalid_input", `workers: ${workers} is not a whole number >= 1`);
  }
  const count = Math.min(batch, workers);
  const sizes = Array.from({ length: count }, (_, s) => Math.floor(batch / count) + (s < batch % count ? 1 : 0));
  const offsets = sizes.map((_, s) => sizes.slice(0, s).reduce((a, b) => a + b, 0));
  return { sizes, offsets, batch };
}

/** The images of one shard, as a batch of their own (the arrays are copies, ready to post to a worker). */
export function sliceBatch(batch: PatchBatch, offset: number, size: number): PatchBatch {
  if (offset < 0 || size < 1 || offset + size > batch.size) {
    throw new MfnasError("invalid_input", `shard of ${size} at ${offset} is outside a batch of ${batch.size}`);
  }
  const cut = (data: Float32Array) => {
    const perImage = data.length / batch.size;
    return data.slice(offset * perImage, (offset + size) * perImage);
  };
  const { teacher } = batch;
  return {
    size,
    hrPatch: batch.hrPatch,
    lrPatch: batch.lrPatch,
    hr: cut(batch.hr),
    lr: cut(batch.lr),
    names: batch.names.slice(offset, offset + size),
    ...(teacher
      ? {
          teacher: {
            sr: cut(teacher.sr),
            blocks: new Map([...teacher.blocks].map(([b, p]) => [b, { channels: p.channels, data: cut(p.data) }])),
          },
        }
      : {}),
  };
}

/**
 * A call's part of a batch split over workers (data-parallel training). Losses that are means over images are
 * computed on the shard's images and weighted by `share`, the shard's fraction of the batch, so the shards'
 * gradients sum to the whole batch's. The relativistic GAN losses compare each logit with a mean over the whole
 * batch; `gather` gives them every shard's logits (shard-exchange.ts).
 */
export interface ShardRole {
  readonly share: number;
  /** The whole batch's tensors, in batch order, from this shard's `local` ones (which stay differentiable). */
  gather(tf: Tf, local: readonly Tensor4D[]): Tensor4D[];
}

/** The whole batch in one call. */
export const WHOLE_BATCH: ShardRole = { share: 1, gather: (_tf, local) => [...local] };
