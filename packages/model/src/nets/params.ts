/**
 * A named parameter store: the weights of one network as tf.Variables under BasicSR-style names
 * (`conv_first.weight`, `body.0.rdb1.conv1.bias`), so checkpoints written by and for PyTorch line up name for name.
 *
 * Initial values are seeded per parameter (from the store's seed and the parameter's name), so a parameter's start
 * value does not depend on which other parameters exist or in which order they were created: a narrowed search
 * space or an extra layer does not reshuffle every other weight.
 */
import { MfnasError, createRng, type Rng } from "@mfnas/core";
import type { Tensor, Tf, Variable } from "../tf.ts";

/**
 * How a new parameter is initialised.
 * - `kaiming-normal`: N(0, (sqrt(2) / sqrt(fanIn))^2) times `scale`, as PyTorch's `kaiming_normal_` (a = 0, fan_in)
 *   followed by ESRGAN's `default_init_weights(scale)`; fanIn is the product of all dims but the last (HWIO: kh*kw*cin).
 * - `normal`: N(0, std^2), pix2pix's discriminator init (std 0.02).
 * - `zeros`: biases.
 */
export type ParamInit =
  | { readonly kind: "kaiming-normal"; readonly scale: number }
  | { readonly kind: "normal"; readonly std: number }
  | { readonly kind: "zeros" };

export interface ParamStoreOptions {
  /** Seed of every initial value in the store. Default 0. */
  seed?: number;
}

/** 32-bit FNV-1a, to derive a per-parameter seed from the store seed and the name. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Standard normal samples by Box-Muller (both outputs used). */
function fillNormal(out: Float32Array, rng: Rng, std: number): void {
  for (let i = 0; i < out.length; i += 2) {
    const u1 = 1 - rng.nextFloat(); // in (0, 1], so the log is finite
    const u2 = rng.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u1)) * std;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
}

function checkShape(name: string, shape: readonly number[]): void {
  if (shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new MfnasError("invalid_input", `${name}: shape must be positive integers, got [${shape.join(", ")}]`, {
      path: name,
    });
  }
}

export class ParamStore {
  readonly #tf: Tf;
  readonly #seed: number;
  readonly #vars = new Map<string, Variable>();
  #disposed = false;

  constructor(tf: Tf, options: ParamStoreOptions = {}) {
    this.#tf = tf;
    this.#seed = options.seed ?? 0;
    createRng(this.#seed); // validates the seed up front (32-bit integer)
  }

  /** The seed the store was created with. */
  get seed(): number {
    return this.#seed;
  }

  /** Create a trainable parameter with a fresh seeded value; names must be unique in the store. */
  create(name: string, shape: readonly number[], init: ParamInit): Variable {
    this.#checkNew(name);
    checkShape(name, shape);
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (init.kind === "kaiming-normal") {
      const fanIn = size / (shape[shape.length - 1] ?? 1);
      fillNormal(values, createRng(fnv1a(`${this.#seed}:${name}`)), (Math.SQRT2 / Math.sqrt(fanIn)) * init.scale);
    } else if (init.kind === "normal") {
      fillNormal(values, createRng(fnv1a(`${this.#seed}:${name}`)), init.std);
    }
    const initial = this.#tf.tensor(values, [...shape], "float32");
    try {
      return this.#register(name, initial);
    } finally {
      initial.dispose();
    }
  }

  /**
   * A conv layer's `${name}.weight` (HWIO: [k, k, cin, cout]) and `${name}.bias` ([cout], zeros), the weight
   * initialised with `init`.
   */
  conv(name: string, kernel: number, cin: number, cout: number, init: ParamInit): void {
    this.create(`${name}.weight`, [kernel, kernel, cin, cout], init);
    this.create(`${name}.bias`, [cout], { kind: "zeros" });
  }

  /** Register a copy of an existing tensor's value as a new trainable parameter; `value` stays the caller's. */
  adopt(name: string, value: Tensor): Variable {
    this.#checkNew(name);
    return this.#register(name, value);
  }

  /** The parameter called `name`; throws if there is none. */
  get(name: string): Variable {
    this.#checkLive();
    const v = this.#vars.get(name);
    if (v === undefined) throw new MfnasError("invalid_input", `${name}: no such parameter`, { path: name });
    return v;
  }

  has(name: string): boolean {
    return this.#vars.has(name);
  }

  /** Parameter names in creation order (execution order for the generators). */
  names(): string[] {
    return [...this.#vars.keys()];
  }

  /** [name, variable] pairs in creation order. */
  entries(): [string, Variable][] {
    this.#checkLive();
    return [...this.#vars.entries()];
  }

  /** Number of scalars over all parameters (weights + biases), as PyTorch's `sum(p.numel())`. */
  count(): number {
    let n = 0;
    for (const v of this.#vars.values()) n += v.size;
    return n;
  }

  /** Free every variable; the store is unusable afterwards. Idempotent. */
  dispose(): void {
    for (const v of this.#vars.values()) v.dispose();
    this.#vars.clear();
    this.#disposed = true;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  #register(name: string, value: Tensor): Variable {
    // No tfjs variable name: tfjs names are global to the engine, and two nets may hold the same BasicSR name.
    const v = this.#tf.variable(value, true, undefined, "float32");
    this.#vars.set(name, v);
    return v;
  }

  #checkNew(name: string): void {
    this.#checkLive();
    if (name.length === 0) throw new MfnasError("invalid_input", "parameter name must not be empty");
    if (this.#vars.has(name)) {
      throw new MfnasError("invalid_input", `${name}: parameter already exists`, { path: name });
    }
  }

  #checkLive(): void {
    if (this.#disposed) throw new MfnasError("invalid_input", "parameter store has been disposed");
  }
}
