/**
 * Data-parallel training steps: each batch is split over worker threads (shard-worker.ts), one tfjs instance per
 * thread, since tfjs's wasm backend computes on one thread under Node. The main thread's TrainingState stays the
 * one true state (checkpoints, validation, the optimizers): before each step it writes its weights into shared
 * memory, the workers load them and compute their shards' gradients, and the main thread sums those in shard
 * order (a fixed order, so a run with a fixed worker count is deterministic and resumes bit for bit) and applies
 * one optimizer update.
 *
 * No layer normalises over the batch (the PatchGANs have no batch norm), so the only batch-wide statistics are the
 * relativistic GAN losses' mean logits, which the shards exchange (shard-exchange.ts). Nothing in a step is
 * random: the patches and the subnets are drawn on the main thread from checkpointed streams, then split.
 */
import { Worker } from "node:worker_threads";
import { MfnasError, type Genome, type SearchSpace, type TrainingConfig } from "@mfnas/core";
import type { BackendName, PatchBatch, TeacherFeatures, Tf, Vgg19Features } from "@mfnas/model";
import { abortExchange, createExchangeBuffers, type ExchangeBuffers } from "./shard-exchange.ts";
import { layoutSize, parameterLayout, type ShardWorkerInit, type ShardWorkerReply } from "./shard-protocol.ts";
import { shardPlan, sliceBatch, type ShardPlan } from "./shards.ts";
import type { StepGradients, StepLosses, TrainingState } from "./training-state.ts";

export interface DataParallelOptions {
  /** Worker threads (at most the batch size are started). */
  readonly workers: number;
  /** The tfjs backend each worker selects: the main thread's. */
  readonly backend: BackendName;
  readonly space: SearchSpace;
  readonly config: TrainingConfig;
  readonly teacherFeatures: TeacherFeatures | undefined;
  readonly vgg: Vgg19Features | undefined;
  /** Longest a shard waits for the others inside a step before failing it. Default 10 minutes. */
  readonly timeoutMs?: number;
}

interface Pending {
  resolve(reply: ShardWorkerReply): void;
  reject(error: Error): void;
}

const WORKER_ENTRY = new URL("./shard-worker-boot.mjs", import.meta.url);

export class DataParallelTrainer {
  readonly #layout: ReturnType<typeof parameterLayout>;
  readonly #weights: Float32Array;
  readonly #grads: Float32Array[];
  readonly #pending: (Pending | undefined)[];
  #broken: Error | undefined;
  #closing = false;

  private constructor(
    private readonly tf: Tf,
    private readonly state: TrainingState,
    readonly plan: ShardPlan,
    private readonly workers: Worker[],
    private readonly exchange: ExchangeBuffers,
    buffers: { weights: SharedArrayBuffer; grads: SharedArrayBuffer[] },
  ) {
    this.#layout = parameterLayout(state);
    this.#weights = new Float32Array(buffers.weights);
    this.#grads = buffers.grads.map((b) => new Float32Array(b));
    this.#pending = workers.map(() => undefined);
    workers.forEach((worker, shard) => {
      worker.on("message", (reply: ShardWorkerReply) => this.#settle(shard, reply));
      worker.on("error", (error) => this.#fail(shard, error));
      worker.on("exit", (code) => {
        if (!this.#closing) this.#fail(shard, new Error(`training worker ${shard} exited with code ${code}`));
      });
    });
  }

  /** Starts the worker threads (each builds its replica) for `state`, whose weights stay the reference. */
  static async start(tf: Tf, state: TrainingState, options: DataParallelOptions): Promise<DataParallelTrainer> {
    const { config } = options;
    const plan = shardPlan(config.batch, options.workers);
    const layout = parameterLayout(state).map(({ group, name, offset, size }) => ({ group, name, offset, size }));
    const floats = layoutSize(layout);
    const weights = new SharedArrayBuffer(floats * Float32Array.BYTES_PER_ELEMENT);
    const grads = plan.sizes.map(() => new SharedArrayBuffer(floats * Float32Array.BYTES_PER_ELEMENT));
    // The largest exchange: the real batch's and every subnet's patch logits at once, at most one float per HR pixel.
    const subnets = 2 + config.sampling.random;
    const exchange = createExchangeBuffers(config.batch * config.patchSize ** 2 * (subnets + 1));
    const vgg = options.vgg
      ? options.vgg.params.entries().map(([name, v]): [string, Float32Array] => [name, v.dataSync() as Float32Array])
      : null;
    const workers = plan.sizes.map((_, shard) => {
      const init: ShardWorkerInit = {
        shard,
        backend: options.backend,
        space: options.space,
        config,
        teacherFeatures: options.teacherFeatures ?? null,
        vgg,
        plan,
        exchange,
        timeoutMs: options.timeoutMs ?? 600_000,
        weights,
        grads: grads[shard] as SharedArrayBuffer,
        layout,
      };
      return new Worker(WORKER_ENTRY, { workerData: init });
    });
    const trainer = new DataParallelTrainer(tf, state, plan, workers, exchange, { weights, grads });
    try {
      await Promise.all(workers.map((_, shard) => trainer.#request(shard)));
    } catch (error) {
      await trainer.close();
      throw error;
    }
    return trainer;
  }

  /** One step: the shards' gradients, summed, then one update of every network; returns the step's losses. */
  async step(genomes: readonly Genome[], batch: PatchBatch, rates: { g: number; d: number }): Promise<StepLosses> {
    const gradients = await this.gradients(genomes, batch);
    this.state.apply(gradients, rates);
    return gradients.losses;
  }

  /**
   * The whole batch's gradients (summed over the subnets, by checkpoint name) and losses, from the shards; the
   * caller applies or disposes them (TrainingState.apply, disposeGradients).
   */
  async gradients(genomes: readonly Genome[], batch: PatchBatch): Promise<StepGradients> {
    if (this.#broken) throw this.#broken;
    if (!batch.teacher) {
      throw new MfnasError("unsupported", "data-parallel training needs the batch's cached teacher targets");
    }
    if (batch.size !== this.plan.batch) {
      throw new MfnasError("invalid_input", `batch of ${batch.size} images, the workers split ${this.plan.batch}`);
    }
    for (const { variable, offset } of this.#layout) this.#weights.set(variable.dataSync(), offset);
    const replies = await Promise.all(
      this.plan.sizes.map((size, shard) => {
        const shardBatch = sliceBatch(batch, this.plan.offsets[shard] ?? 0, size);
        return this.#request(shard, { genomes, batch: shardBatch });
      }),
    );
    const losses: StepLosses = {};
    for (const reply of replies) {
      if (reply.type !== "done") throw new Error(`training worker replied ${reply.type} to a step`);
      for (const [name, value] of Object.entries(reply.losses)) losses[name] = (losses[name] ?? 0) + value;
    }
    const sums: StepGradients["sums"] = { generator: new Map(), dTeacher: new Map(), dStudent: new Map() };
    for (const { group, name, offset, size, variable } of this.#layout) {
      const total = this.#grads[0]?.slice(offset, offset + size) ?? new Float32Array(size);
      for (const shard of this.#grads.slice(1)) {
        for (let i = 0; i < size; i++) total[i] = (total[i] ?? 0) + (shard[offset + i] ?? 0);
      }
      sums[group].set(name, this.tf.tensor(total, variable.shape, "float32"));
    }
    return { losses, sums, subnets: genomes.length };
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    this.#closing = true;
    abortExchange(this.exchange);
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.#fail(-1, new Error("the data-parallel trainer is closed"));
  }

  #request(shard: number, message?: { genomes: readonly Genome[]; batch: PatchBatch }): Promise<ShardWorkerReply> {
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise((resolve, reject) => {
      this.#pending[shard] = { resolve, reject };
      if (message) this.workers[shard]?.postMessage(message);
    });
  }

  #settle(shard: number, reply: ShardWorkerReply): void {
    if (reply.type === "failed") {
      this.#fail(shard, new Error(`training worker ${shard}: ${reply.message}`));
      return;
    }
    const pending = this.#pending[shard];
    this.#pending[shard] = undefined;
    pending?.resolve(reply);
  }

  /** A failed worker breaks the whole step: the others are woken from their exchanges and every request fails. */
  #fail(shard: number, error: Error): void {
    this.#broken ??= error;
    abortExchange(this.exchange);
    this.#pending.forEach((pending, s) => {
      this.#pending[s] = undefined;
      pending?.reject(s === shard ? error : (this.#broken ?? error));
    });
  }
}
