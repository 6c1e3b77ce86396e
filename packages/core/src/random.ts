/**
 * Seeded pseudo-random numbers for the search: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit
 * state, passes PractRand) seeded through splitmix32 so that neighbouring seeds give unrelated streams.
 *
 * Why not Math.random: a search must be reproducible from its seed, and a sampler must be checkpointable and resumable
 * mid-stream, so the whole state is exposed as plain JSON (`state()` / `Rng.fromState`).
 */
import { MfnasError } from "./errors.ts";

/** The complete generator state; JSON-serialisable so it can be stored in a checkpoint. */
export interface RngState {
  readonly algorithm: "sfc32";
  readonly words: readonly [number, number, number, number];
}

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_53 = 2 ** 53;

function invalid(message: string, details?: Record<string, unknown>): MfnasError {
  return new MfnasError("invalid_input", message, details);
}

/** One splitmix32 step; returns the next state and its output. */
function splitmix32(state: number): [next: number, output: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [next, z >>> 0];
}

export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  private constructor(words: readonly [number, number, number, number]) {
    [this.#a, this.#b, this.#c, this.#d] = words;
  }

  /** A generator for a 32-bit integer seed (anything from -2^31 to 2^32-1; negative seeds wrap to unsigned). */
  static fromSeed(seed: number): Rng {
    if (!Number.isInteger(seed) || seed < -(2 ** 31) || seed >= TWO_POW_32) {
      throw invalid(`seed: must be a 32-bit integer, got ${String(seed)}`, { path: "seed", value: seed });
    }
    let s = seed >>> 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(s);
      s = next;
      words.push(out);
    }
    const rng = new Rng(words as unknown as [number, number, number, number]);
    // Discard a few outputs so the counter word has mixed into the others before the first value is used.
    for (let i = 0; i < 12; i++) rng.nextUint32();
    return rng;
  }

  /** Resume exactly where `state()` was taken. */
  static fromState(state: RngState): Rng {
    // The state usually comes back from a stored checkpoint, so check it as untrusted input.
    const raw = state as unknown as { algorithm?: unknown; words?: unknown } | null;
    const words = raw?.words;
    const ok =
      raw?.algorithm === "sfc32" &&
      Array.isArray(words) &&
      words.length === 4 &&
      words.every((w) => Number.isInteger(w) && (w as number) >= 0 && (w as number) < TWO_POW_32);
    if (!ok) throw invalid('rng state: expected { algorithm: "sfc32", words: four uint32 }', { path: "state" });
    return new Rng(words as unknown as [number, number, number, number]);
  }

  /** A snapshot of the state; the generator can keep running, the snapshot does not change. */
  state(): RngState {
    return { algorithm: "sfc32", words: [this.#a >>> 0, this.#b >>> 0, this.#c >>> 0, this.#d >>> 0] };
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1) with 53 random bits (two draws), like a full-precision Math.random. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO_POW_53;
  }

  /** Uniform integer in [lo, hiInclusive], unbiased (rejection sampling); the range may span at most 2^32 values. */
  int(lo: number, hiInclusive: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hiInclusive) || lo > hiInclusive) {
      throw invalid(`int: need integers lo <= hi, got ${String(lo)}..${String(hiInclusive)}`, { lo, hiInclusive });
    }
    const range = hiInclusive - lo + 1;
    if (range > TWO_POW_32) throw invalid(`int: range ${range} exceeds 2^32`, { lo, hiInclusive });
    // Reject the top partial bucket so that every residue is equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % range);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return lo + (x % range);
  }

  /** A uniformly chosen element; throws on an empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw invalid("pick: cannot pick from an empty array");
    return items[this.int(0, items.length - 1)] as T;
  }

  /** A uniformly shuffled copy (Fisher-Yates); the argument is left untouched. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  /** True with probability p. Always consumes one float, even for p = 0 or 1, so streams stay aligned. */
  bernoulli(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw invalid(`bernoulli: probability must be in [0, 1], got ${String(p)}`, { p });
    return this.nextFloat() < p;
  }
}

/** Shorthand for `Rng.fromSeed(seed)`. */
export function createRng(seed: number): Rng {
  return Rng.fromSeed(seed);
}
