/**
 * TF.js layers models (model.json in the Keras functional format + binary weight shards, as written by
 * tensorflowjs_converter and `model.save`), read from disk and run with the ops of the `tf` namespace the caller
 * gives, like every other net here: the model's graph is interpreted node by node, so any backend runs it, any layer's
 * output can be returned next to the model's (feature distillation), and each intermediate tensor is freed as soon as
 * its last consumer has run (a 64x64 tile of a 10-block RRDB net stays within tens of MB).
 *
 * Supported layer classes: InputLayer, Conv2D (channels_last, groups 1), Activation (linear, relu, sigmoid, tanh),
 * ReLU, LeakyReLU, Add, Multiply, Concatenate, UpSampling2D (nearest), and two custom classes of UpscalerJS's ESRGAN
 * models: MultiplyBeta (x * beta) and PixelShuffle{N}x (depth-to-space by N). Anything else is refused when the model
 * is read, naming the layer.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { MfnasError } from "@mfnas/core";
import type { Tensor, Tensor4D, Tf } from "../tf.ts";

interface KerasLayer {
  readonly class_name: string;
  readonly name: string;
  readonly config: Record<string, unknown>;
  readonly inbound_nodes: unknown[];
}

/** A Keras functional model config (tfjs writes it as modelTopology.model_config, or as modelTopology itself). */
interface KerasTopology {
  class_name?: string;
  config?: { layers?: KerasLayer[]; input_layers?: unknown[][]; output_layers?: unknown[][] };
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
}

/** The files of a layers model as read from disk, before any tensor is made. */
export interface LayersModelFiles {
  readonly layers: readonly KerasLayer[];
  readonly inputName: string;
  readonly outputName: string;
  readonly weightSpecs: readonly WeightSpec[];
  readonly weightData: ArrayBuffer;
}

/** Per-layer shape facts for an input of C channels at LR size: channels and spatial factor (output side / input side). */
interface LayerShape {
  readonly channels: number;
  readonly factor: number;
}

/** Cost of a layers model, counted from its layers. */
export interface LayersModelCost {
  /** Weights + biases. */
  readonly params: number;
  /** Multiply-accumulates of the convs per input pixel (each conv's per-output-pixel MACs x its output area / input). */
  readonly macsPerInputPixel: number;
  /** Output side / input side. */
  readonly scale: number;
  readonly inputChannels: number;
  readonly outputChannels: number;
}

function invalid(message: string, details: Record<string, unknown> = {}): MfnasError {
  return new MfnasError("invalid_input", message, details);
}

/** Reads `model.json` in `dir` and the weight shards it names (relative paths), checking their sizes. */
export async function readLayersModel(dir: string, modelFile = "model.json"): Promise<LayersModelFiles> {
  const path = join(dir, modelFile);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MfnasError(
      code === "ENOENT" ? "not_found" : "invalid_input",
      `${path}: cannot read the model (${code ?? (error instanceof Error ? error.message : String(error))})`,
      { path },
      { cause: error },
    );
  }
  return parseLayersModel(json, path, async (shard) => new Uint8Array(await readFile(join(dir, shard))));
}

/**
 * A layers model from its model.json (parsed) and a reader of the weight shards it names (`weightsManifest` paths,
 * e.g. file names next to it, or artifact digests); `label` names the model in errors.
 */
export async function parseLayersModel(
  json: unknown,
  label: string,
  readShard: (path: string) => Promise<Uint8Array>,
): Promise<LayersModelFiles> {
  const path = label;
  const model = json as {
    format?: string;
    modelTopology?: KerasTopology & { model_config?: KerasTopology };
    weightsManifest?: { paths: string[]; weights: WeightSpec[] }[];
  };
  if (model.format !== undefined && model.format !== "layers-model") {
    throw invalid(`${path}: a ${model.format} file, expected a TF.js layers model`, { path });
  }
  const topology = model.modelTopology?.model_config ?? model.modelTopology;
  const config = topology?.config;
  if (!config?.layers || !config.input_layers || !config.output_layers) {
    throw invalid(`${path}: no functional model topology (layers, input_layers, output_layers)`, { path });
  }
  if (config.input_layers.length !== 1 || config.output_layers.length !== 1) {
    throw invalid(
      `${path}: ${config.input_layers.length} inputs and ${config.output_layers.length} outputs; an SR model has one of each`,
      { path },
    );
  }
  const shards: Uint8Array[] = [];
  const weightSpecs: WeightSpec[] = [];
  for (const group of model.weightsManifest ?? []) {
    for (const shard of group.paths) shards.push(await readShard(shard));
    weightSpecs.push(...group.weights);
  }
  const total = shards.reduce((n, s) => n + s.byteLength, 0);
  const expected = weightSpecs.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (weightSpecs.some((w) => w.dtype !== "float32") || total !== expected) {
    throw invalid(`${path}: weight shards hold ${total} bytes, the manifest's float32 weights ${expected}`, { path });
  }
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const shard of shards) {
    weightData.set(shard, offset);
    offset += shard.byteLength;
  }
  return {
    layers: config.layers,
    inputName: String(config.input_layers[0]?.[0]),
    outputName: String(config.output_layers[0]?.[0]),
    weightSpecs,
    weightData: weightData.buffer,
  };
}

/** Source layer names of a layer's single inbound node (Keras 2 format). */
function inboundNames(layer: KerasLayer): string[] {
  if (layer.inbound_nodes.length === 0) return [];
  if (layer.inbound_nodes.length !== 1) {
    throw invalid(`layer ${layer.name}: shared layers (${layer.inbound_nodes.length} calls) are not supported`);
  }
  const node = layer.inbound_nodes[0];
  if (!Array.isArray(node) || !node.every((x) => Array.isArray(x) && typeof x[0] === "string" && x[1] === 0)) {
    throw invalid(`layer ${layer.name}: inbound node not in the Keras 2 format [[name, 0, index, {}], ...]`);
  }
  return node.map((x: unknown[]) => x[0] as string);
}

const ACTIVATIONS = new Set(["linear", "relu", "sigmoid", "tanh"]);
const PIXEL_SHUFFLE = /^PixelShuffle(\d+)x$/;

function activation(tf: Tf, x: Tensor4D, name: unknown, layer: string): Tensor4D {
  switch (name) {
    case undefined:
    case "linear":
      return x;
    case "relu":
      return tf.relu(x);
    case "sigmoid":
      return tf.sigmoid(x);
    case "tanh":
      return tf.tanh(x);
    default:
      throw invalid(`layer ${layer}: activation ${String(name)} is not supported (${[...ACTIVATIONS].join(", ")})`);
  }
}

function pair(value: unknown, fallback: number): [number, number] {
  if (Array.isArray(value)) return [Number(value[0]), Number(value[1])];
  if (typeof value === "number") return [value, value];
  return [fallback, fallback];
}

/**
 * A layers model with its weights as tensors of the caller's backend. `run` returns the model output and any named
 * layer outputs; `cost` counts params and MACs from the layers.
 */
export class LayersModelNet {
  readonly #layers: readonly KerasLayer[];
  readonly #inputs: Map<string, string[]>;
  readonly #weights: Map<string, Tensor>;
  readonly #shapes: Map<string, LayerShape>;
  readonly inputName: string;
  readonly outputName: string;

  constructor(tf: Tf, files: LayersModelFiles) {
    this.inputName = files.inputName;
    this.outputName = files.outputName;
    this.#inputs = new Map(files.layers.map((l) => [l.name, inboundNames(l)]));
    this.#layers = topologicalOrder(files.layers, this.#inputs);
    for (const layer of this.#layers) checkSupported(layer);
    const decoded = tf.io.decodeWeights(
      files.weightData,
      files.weightSpecs as Parameters<Tf["io"]["decodeWeights"]>[1],
    );
    this.#weights = new Map(Object.entries(decoded));
    try {
      this.#shapes = this.#inferShapes();
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  /** Names of all layers, in execution order. */
  get layerNames(): string[] {
    return this.#layers.map((l) => l.name);
  }

  /** Channels of a layer's output; undefined for an unknown layer. */
  channelsOf(name: string): number | undefined {
    return this.#shapes.get(name)?.channels;
  }

  /** Output side / input side of a layer's output; undefined for an unknown layer. */
  factorOf(name: string): number | undefined {
    return this.#shapes.get(name)?.factor;
  }

  cost(): LayersModelCost {
    let params = 0;
    for (const w of this.#weights.values()) params += w.size;
    let macs = 0;
    for (const layer of this.#layers) {
      if (layer.class_name !== "Conv2D") continue;
      const kernel = this.#weight(layer.name, "kernel");
      const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
      const factor = this.#shapes.get(layer.name)?.factor ?? 1;
      macs += kh * kw * cin * cout * factor * factor;
    }
    const input = this.#shapes.get(this.inputName);
    const output = this.#shapes.get(this.outputName);
    return {
      params,
      macsPerInputPixel: macs,
      scale: output?.factor ?? 1,
      inputChannels: input?.channels ?? 0,
      outputChannels: output?.channels ?? 0,
    };
  }

  /**
   * Runs the model on an NHWC batch; returns the model output under its layer name and the outputs of `extra`
   * layers. The caller disposes the returned tensors.
   */
  run(tf: Tf, input: Tensor4D, extra: readonly string[] = []): Map<string, Tensor4D> {
    for (const name of extra) {
      if (!this.#inputs.has(name)) throw invalid(`no layer named ${name} in the model`, { layer: name });
    }
    const wanted = new Set([this.outputName, ...extra]);
    const uses = new Map<string, number>();
    for (const layer of this.#layers) {
      for (const source of this.#inputs.get(layer.name) ?? []) uses.set(source, (uses.get(source) ?? 0) + 1);
    }
    const live = new Map<string, Tensor4D>();
    const out = new Map<string, Tensor4D>();
    try {
      for (const layer of this.#layers) {
        const sources = (this.#inputs.get(layer.name) ?? []).map((s) => live.get(s) as Tensor4D);
        const y = layer.name === this.inputName ? tf.clone(input) : tf.tidy(() => this.#apply(tf, layer, sources));
        if (wanted.has(layer.name)) out.set(layer.name, tf.clone(y));
        for (const source of this.#inputs.get(layer.name) ?? []) {
          const left = (uses.get(source) ?? 1) - 1;
          uses.set(source, left);
          if (left === 0) {
            live.get(source)?.dispose();
            live.delete(source);
          }
        }
        if ((uses.get(layer.name) ?? 0) > 0) live.set(layer.name, y);
        else y.dispose();
      }
    } catch (error) {
      tf.dispose([...out.values()]);
      throw error;
    } finally {
      tf.dispose([...live.values()]);
    }
    return out;
  }

  dispose(): void {
    for (const w of this.#weights.values()) w.dispose();
    this.#weights.clear();
  }

  #weight(layer: string, kind: "kernel" | "bias"): Tensor {
    const w = this.#weights.get(`${layer}/${kind}`);
    if (!w) throw invalid(`layer ${layer}: no weight ${layer}/${kind} in the weights manifest`, { layer });
    return w;
  }

  #apply(tf: Tf, layer: KerasLayer, xs: Tensor4D[]): Tensor4D {
    const c = layer.config;
    const x = xs[0] as Tensor4D;
    switch (layer.class_name) {
      case "Conv2D": {
        const [sh, sw] = pair(c.strides, 1);
        const [dh, dw] = pair(c.dilation_rate, 1);
        let y = tf.conv2d(
          x,
          this.#weight(layer.name, "kernel") as Tensor4D,
          [sh, sw],
          c.padding as "same" | "valid",
          "NHWC",
          [dh, dw],
        );
        if (c.use_bias !== false) y = tf.add(y, this.#weight(layer.name, "bias"));
        return activation(tf, y, c.activation, layer.name);
      }
      case "Activation":
        return activation(tf, x, c.activation, layer.name);
      case "ReLU":
        return tf.relu(x);
      case "LeakyReLU":
        return tf.leakyRelu(x, Number(c.alpha ?? c.negative_slope ?? 0.3));
      case "Add":
        return xs.length === 1 ? tf.clone(x) : tf.addN(xs);
      case "Multiply":
        return xs.slice(1).reduce((a, b) => tf.mul(a, b), x);
      case "Concatenate":
        return tf.concat(xs, 3);
      case "UpSampling2D": {
        const [fh, fw] = pair(c.size, 2);
        return tf.image.resizeNearestNeighbor(x, [x.shape[1] * fh, x.shape[2] * fw]);
      }
      case "MultiplyBeta":
        return tf.mul(x, Number(c.beta ?? 0.2));
      default:
        return tf.depthToSpace(x, pixelShuffleScale(layer), "NHWC");
    }
  }

  /** Channels and spatial factor of every layer, from the weights and the layer configs (input: 3 channels). */
  #inferShapes(): Map<string, LayerShape> {
    const shapes = new Map<string, LayerShape>();
    for (const layer of this.#layers) {
      const c = layer.config;
      const ins = (this.#inputs.get(layer.name) ?? []).map((s) => shapes.get(s) as LayerShape);
      const x = ins[0] as LayerShape;
      let shape: LayerShape;
      switch (layer.class_name) {
        case "InputLayer": {
          const batchShape = (c.batch_input_shape ?? c.batch_shape) as (number | null)[] | undefined;
          if (!batchShape || batchShape.length !== 4 || batchShape[3] !== 3) {
            throw invalid(
              `input ${layer.name}: shape [${(batchShape ?? []).join(", ")}], expected an NHWC batch of RGB images [N, H, W, 3]`,
              { layer: layer.name },
            );
          }
          shape = { channels: 3, factor: 1 };
          break;
        }
        case "Conv2D": {
          const kernel = this.#weight(layer.name, "kernel");
          const [, , cin, cout] = kernel.shape as [number, number, number, number];
          const [sh, sw] = pair(c.strides, 1);
          if (cin !== x.channels || sh !== sw || (c.groups ?? 1) !== 1 || c.data_format === "channels_first") {
            throw invalid(
              `layer ${layer.name}: a ${cin}-channel kernel on ${x.channels} channels, or an unsupported conv`,
              {
                layer: layer.name,
              },
            );
          }
          if (c.use_bias !== false) this.#weight(layer.name, "bias");
          shape = { channels: cout, factor: x.factor / sh };
          break;
        }
        case "Concatenate":
          if (c.axis !== -1 && c.axis !== 3)
            throw invalid(`layer ${layer.name}: concatenation on axis ${String(c.axis)}`);
          shape = { channels: ins.reduce((n, s) => n + s.channels, 0), factor: x.factor };
          break;
        case "UpSampling2D":
          shape = { channels: x.channels, factor: x.factor * pair(c.size, 2)[0] };
          break;
        case "Add":
        case "Multiply":
        case "Activation":
        case "ReLU":
        case "LeakyReLU":
        case "MultiplyBeta":
          shape = x;
          break;
        default: {
          const s = pixelShuffleScale(layer);
          shape = { channels: x.channels / (s * s), factor: x.factor * s };
        }
      }
      shapes.set(layer.name, shape);
    }
    return shapes;
  }
}

function pixelShuffleScale(layer: KerasLayer): number {
  const match = PIXEL_SHUFFLE.exec(layer.class_name);
  return Number(layer.config.scale ?? match?.[1]);
}

function checkSupported(layer: KerasLayer): void {
  const known = [
    "InputLayer",
    "Conv2D",
    "Activation",
    "ReLU",
    "LeakyReLU",
    "Add",
    "Multiply",
    "Concatenate",
    "UpSampling2D",
    "MultiplyBeta",
  ];
  if (known.includes(layer.class_name) || PIXEL_SHUFFLE.test(layer.class_name)) return;
  throw invalid(
    `layer ${layer.name}: class ${layer.class_name} is not supported (${known.join(", ")}, PixelShuffle{N}x)`,
    {
      layer: layer.name,
    },
  );
}

/** Layers ordered so that each comes after its inputs (Keras files are usually in order already). */
function topologicalOrder(layers: readonly KerasLayer[], inputs: Map<string, string[]>): KerasLayer[] {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const done = new Set<string>();
  const order: KerasLayer[] = [];
  const visit = (layer: KerasLayer, path: Set<string>) => {
    if (done.has(layer.name)) return;
    if (path.has(layer.name)) throw invalid(`layer ${layer.name}: the graph has a cycle`);
    path.add(layer.name);
    for (const source of inputs.get(layer.name) ?? []) {
      const s = byName.get(source);
      if (!s) throw invalid(`layer ${layer.name}: input ${source} is not a layer of the model`);
      visit(s, path);
    }
    path.delete(layer.name);
    done.add(layer.name);
    order.push(layer);
  };
  for (const layer of layers) visit(layer, new Set());
  return order;
}
