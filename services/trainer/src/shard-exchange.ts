/**
 * The one place where the shards of a data-parallel step see each other's data: the relativistic GAN losses
 * compare each logit with the mean logit of the other kind over the whole batch, so no shard can compute them
 * from its own images. `gather` hands every shard the whole batch's logits, its own still differentiable and the
 * others' as constants; each shard then computes the whole-batch loss, and the sum over shards of their
 * gradients is exactly the whole-batch gradient (each logit's gradient flows back through the one shard that
 * computed it).
 *
 * Worker threads meet inside their tapes, synchronously, through shared memory: each writes its logits into its
 * place of a shared buffer and waits at a barrier (Atomics) until every shard has written. Two buffers alternate,
 * so a shard that runs ahead to the next exchange never overwrites data a slower one is still reading. The main
 * thread sets the abort flag when a worker fails, which wakes and stops the others.
 */
import { MfnasError } from "@mfnas/core";
import type { Tensor4D, Tf } from "@mfnas/model";
import type { ShardPlan, ShardRole } from "./shards.ts";

const ABORT = 0;
const ARRIVED = 1;
const GENERATION = 2;

export interface ExchangeBuffers {
  /** Int32: abort flag, shards arrived at the barrier, barrier generation. */
  readonly control: SharedArrayBuffer;
  /** Float32: two regions of `capacity` floats each. */
  readonly data: SharedArrayBuffer;
  readonly capacity: number;
}

/** Buffers for exchanges of up to `capacity` floats (the whole batch's tensors of one exchange together). */
export function createExchangeBuffers(capacity: number): ExchangeBuffers {
  return {
    control: new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT),
    data: new SharedArrayBuffer(2 * capacity * Float32Array.BYTES_PER_ELEMENT),
    capacity,
  };
}

/** Stops every shard waiting in (or later reaching) an exchange on these buffers. */
export function abortExchange(buffers: ExchangeBuffers): void {
  const control = new Int32Array(buffers.control);
  Atomics.store(control, ABORT, 1);
  Atomics.add(control, GENERATION, 1);
  Atomics.notify(control, GENERATION);
}

/** A worker thread's part in a step split over workers. */
export class ShardExchange implements ShardRole {
  readonly share: number;
  readonly #control: Int32Array;
  readonly #data: Float32Array;
  #region = 0;

  constructor(
    private readonly buffers: ExchangeBuffers,
    private readonly plan: ShardPlan,
    private readonly shard: number,
    /** Longest wait at a barrier before giving up (a shard that never arrives). */
    private readonly timeoutMs: number,
  ) {
    this.#control = new Int32Array(buffers.control);
    this.#data = new Float32Array(buffers.data);
    this.share = (plan.sizes[shard] ?? NaN) / plan.batch;
  }

  gather(tf: Tf, local: readonly Tensor4D[]): Tensor4D[] {
    const { sizes, offsets, batch } = this.plan;
    const mine = sizes[this.shard] ?? 0;
    const base = this.#region * this.buffers.capacity;
    this.#region ^= 1;
    const perImage = local.map((t) => {
      if (t.shape[0] !== mine) {
        throw new Error(`shard ${this.shard} gathers ${t.shape[0]} images, not its ${mine}`);
      }
      return t.size / mine;
    });
    const starts = perImage.map((_, j) => base + perImage.slice(0, j).reduce((a, p) => a + p * batch, 0));
    const total = perImage.reduce((a, p) => a + p * batch, 0);
    if (total > this.buffers.capacity) {
      throw new Error(`exchange of ${total} floats exceeds its buffer of ${this.buffers.capacity}`);
    }
    local.forEach((t, j) => {
      this.#data.set(t.dataSync(), (starts[j] ?? 0) + (offsets[this.shard] ?? 0) * (perImage[j] ?? 0));
    });
    this.#barrier();
    return local.map((t, j) => {
      const p = perImage[j] ?? 0;
      const parts = sizes.map((n, r) => {
        if (r === this.shard) return t;
        const from = (starts[j] ?? 0) + (offsets[r] ?? 0) * p;
        return tf.tensor4d(this.#data.slice(from, from + n * p), [n, t.shape[1], t.shape[2], t.shape[3]]);
      });
      return tf.concat4d(parts, 0);
    });
  }

  #barrier(): void {
    const control = this.#control;
    const generation = Atomics.load(control, GENERATION);
    this.#throwIfAborted();
    if (Atomics.add(control, ARRIVED, 1) === this.plan.sizes.length - 1) {
      Atomics.store(control, ARRIVED, 0);
      Atomics.add(control, GENERATION, 1);
      Atomics.notify(control, GENERATION);
      return;
    }
    const deadline = performance.now() + this.timeoutMs;
    while (Atomics.load(control, GENERATION) === generation) {
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new MfnasError("timeout", `shard ${this.shard}: other shards did not reach the exchange in time`);
      }
      Atomics.wait(control, GENERATION, generation, left);
    }
    this.#throwIfAborted();
  }

  #throwIfAborted(): void {
    if (Atomics.load(this.#control, ABORT) !== 0) {
      throw new Error(`shard ${this.shard}: the data-parallel step was aborted`);
    }
  }
}
