/**
 * A data-parallel training worker thread: its own tfjs instance (wasm runs one thread under Node, so one instance
 * per core) holding a replica of the training state. For each step the main thread writes the current weights
 * into shared memory and posts this worker its shard of the batch and the subnets; the worker loads the weights,
 * computes its shard's gradients (meeting the other shards inside the tapes for the relativistic losses, see
 * shard-exchange.ts), writes them into its shared gradient buffer and posts back its losses. It never updates a
 * weight itself: the main thread sums the shards' gradients and applies the one optimizer step.
 */
import { parentPort, workerData } from "node:worker_threads";
import * as tfCore from "@tensorflow/tfjs-core";
import { type Genome } from "@mfnas/core";
import { Vgg19Features, batchTensorList, batchToTensors, selectBackend, type PatchBatch } from "@mfnas/model";
import {
  checkLayout,
  parameterLayout,
  teacherStandIn,
  type ShardWorkerInit,
  type ShardWorkerReply,
} from "./shard-protocol.ts";
import { ShardExchange } from "./shard-exchange.ts";
import { TrainingState, disposeGradients } from "./training-state.ts";

const port = parentPort;
if (!port) throw new Error("shard-worker.ts runs as a worker thread only");
const init = workerData as ShardWorkerInit;
const reply = (message: ShardWorkerReply) => port.postMessage(message);
const failed = (error: unknown) =>
  reply({ type: "failed", message: error instanceof Error ? error.message : String(error) });

try {
  const { tf } = await selectBackend(tfCore, { prefer: init.backend });
  let vgg: Vgg19Features | undefined;
  if (init.vgg) {
    vgg = new Vgg19Features(tf);
    for (const [name, data] of init.vgg) {
      const v = vgg.params.get(name);
      v.assign(tf.tensor(data, v.shape, "float32"));
    }
  }
  const state = new TrainingState(tf, init.space, init.config, teacherStandIn(init.teacherFeatures), vgg);
  const layout = parameterLayout(state);
  checkLayout(layout, init.layout);
  const exchange = new ShardExchange(init.exchange, init.plan, init.shard, init.timeoutMs);
  const weights = new Float32Array(init.weights);
  const grads = new Float32Array(init.grads);

  port.on("message", (message: { genomes: Genome[]; batch: PatchBatch }) => {
    try {
      tf.tidy(() => {
        for (const { variable, offset } of layout) {
          variable.assign(tf.tensor(weights.subarray(offset, offset + variable.size), variable.shape, "float32"));
        }
      });
      const tensors = batchToTensors(tf, message.batch);
      try {
        const result = state.gradients(message.genomes, tensors, exchange);
        try {
          for (const { group, name, offset, variable } of layout) {
            const g = result.sums[group].get(name);
            if (g) grads.set(g.dataSync(), offset);
            else grads.fill(0, offset, offset + variable.size);
          }
        } finally {
          disposeGradients(tf, result.sums);
        }
        reply({ type: "done", losses: result.losses });
      } finally {
        tf.dispose(batchTensorList(tensors));
      }
    } catch (error) {
      failed(error);
    }
  });
  reply({ type: "ready" });
} catch (error) {
  failed(error);
}
