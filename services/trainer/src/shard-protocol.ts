/**
 * What the main thread and a data-parallel worker thread (shard-worker.ts) share: the worker's start-up data, its
 * replies, and the layout of the weights and gradients in shared memory (every trained tensor, generator first,
 * then the teacher and the student discriminator, in checkpoint order).
 */
import { MfnasError, type SearchSpace, type TrainingConfig } from "@mfnas/core";
import type { BackendName, SrTeacher, TeacherFeatures, Variable } from "@mfnas/model";
import type { ExchangeBuffers } from "./shard-exchange.ts";
import type { ShardPlan } from "./shards.ts";
import type { GradientGroup, StepLosses, TrainingState } from "./training-state.ts";

export interface LayoutEntry {
  readonly group: GradientGroup;
  readonly name: string;
  /** First float of the tensor in the shared weights and in each gradient buffer. */
  readonly offset: number;
  readonly size: number;
}

export interface ShardWorkerInit {
  readonly shard: number;
  readonly backend: BackendName;
  readonly space: SearchSpace;
  readonly config: TrainingConfig;
  /** The teacher's block outputs the adapters distil from (the teacher itself never runs in a worker). */
  readonly teacherFeatures: TeacherFeatures | null;
  /** VGG19 weights by parameter name, when the perceptual loss is on. */
  readonly vgg: [string, Float32Array][] | null;
  readonly plan: ShardPlan;
  readonly exchange: ExchangeBuffers;
  readonly timeoutMs: number;
  /** Float32: every trained tensor, written by the main thread before each step. */
  readonly weights: SharedArrayBuffer;
  /** Float32: this shard's gradients, same layout, written by the worker. */
  readonly grads: SharedArrayBuffer;
  readonly layout: readonly LayoutEntry[];
}

export type ShardWorkerReply =
  | { readonly type: "ready" }
  | { readonly type: "done"; readonly losses: StepLosses }
  | { readonly type: "failed"; readonly message: string };

/** Every trained tensor of `state` with its place in the shared buffers. */
export function parameterLayout(state: TrainingState): (LayoutEntry & { readonly variable: Variable })[] {
  let offset = 0;
  return Object.entries(state.optimizers).flatMap(([group, optimizer]) =>
    [...optimizer.variables].map(([name, variable]) => {
      const entry = { group: group as GradientGroup, name, offset, size: variable.size, variable };
      offset += variable.size;
      return entry;
    }),
  );
}

/** Throws unless a worker's replica lays out its tensors exactly as the main thread's state does. */
export function checkLayout(mine: readonly LayoutEntry[], expected: readonly LayoutEntry[]): void {
  const differs =
    mine.length !== expected.length ||
    mine.some((e, i) => {
      const x = expected[i];
      return !x || x.group !== e.group || x.name !== e.name || x.offset !== e.offset || x.size !== e.size;
    });
  if (differs) throw new Error("a training worker's replica does not lay out its tensors as the main state does");
}

/** Floats of the whole layout. */
export function layoutSize(layout: readonly LayoutEntry[]): number {
  const last = layout[layout.length - 1];
  return last ? last.offset + last.size : 0;
}

/**
 * The teacher as a worker sees it: its block-output shape (for the adapters) and nothing to run; data-parallel
 * steps distil from the batch's cached teacher targets.
 */
export function teacherStandIn(features: TeacherFeatures | null): SrTeacher {
  return {
    identity: "cached-targets",
    scale: 0,
    features: features ?? undefined,
    cost: { params: 0, macsPerLrPixel: 0 },
    run() {
      throw new MfnasError("unsupported", "data-parallel training distils from cached teacher targets only");
    },
    dispose: () => undefined,
  };
}
