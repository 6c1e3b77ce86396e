import { describe, expect, it } from "vitest";
import { MfnasError } from "./errors.ts";
import { Rng, createRng } from "./random.ts";

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextUint32());
}

describe("Rng", () => {
  it("is deterministic per seed and differs across seeds", () => {
    expect(draws(createRng(42), 100)).toEqual(draws(createRng(42), 100));
    expect(draws(createRng(42), 100)).not.toEqual(draws(createRng(43), 100));
    // Negative seeds wrap to their unsigned 32-bit value.
    expect(draws(createRng(-1), 10)).toEqual(draws(createRng(0xffffffff), 10));
  });

  it("resumes exactly from a state snapshot, also after a JSON round trip", () => {
    const rng = createRng(7);
    draws(rng, 37);
    const snapshot = JSON.parse(JSON.stringify(rng.state())) as ReturnType<Rng["state"]>;
    const expected = [
      rng.nextFloat(),
      rng.int(3, 9),
      rng.pick(["a", "b", "c"]),
      rng.bernoulli(0.3),
      rng.shuffle([1, 2, 3, 4]),
    ];
    const resumed = Rng.fromState(snapshot);
    const actual = [
      resumed.nextFloat(),
      resumed.int(3, 9),
      resumed.pick(["a", "b", "c"]),
      resumed.bernoulli(0.3),
      resumed.shuffle([1, 2, 3, 4]),
    ];
    expect(actual).toEqual(expected);
  });

  it("rejects malformed seeds and states", () => {
    expect(() => createRng(1.5)).toThrow(MfnasError);
    expect(() => createRng(2 ** 32)).toThrow(/seed/);
    expect(() => Rng.fromState({ algorithm: "sfc32", words: [1, 2, 3] } as never)).toThrow(/rng state/);
    expect(() => Rng.fromState({ algorithm: "xoshiro", words: [1, 2, 3, 4] } as never)).toThrow(/rng state/);
  });

  it("draws floats in [0, 1) with a roughly uniform histogram", () => {
    const rng = createRng(1);
    const bins = new Array<number>(10).fill(0);
    const n = 100_000;
    let outOfRange = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.nextFloat();
      if (!(x >= 0 && x < 1)) outOfRange++;
      else bins[Math.floor(x * 10)]! += 1;
    }
    expect(outOfRange).toBe(0);
    // Each bin expects 10,000 with a standard deviation of ~95; 500 is over 5 sigma.
    for (const count of bins) expect(Math.abs(count - n / 10)).toBeLessThan(500);
  });

  it("draws integers uniformly over an inclusive range", () => {
    const rng = createRng(2);
    const counts = new Map<number, number>();
    const n = 60_000;
    for (let i = 0; i < n; i++) {
      const k = rng.int(-2, 3);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2, 3]);
    for (const count of counts.values()) expect(Math.abs(count - n / 6)).toBeLessThan(500);
    expect(rng.int(5, 5)).toBe(5);
    expect(() => rng.int(3, 2)).toThrow(MfnasError);
  });

  it("picks, shuffles and flips coins fairly", () => {
    const rng = createRng(3);
    expect(() => rng.pick([])).toThrow(/empty/);
    const input = [1, 2, 3, 4, 5];
    const firsts = new Map<number, number>();
    for (let i = 0; i < 10_000; i++) {
      const s = rng.shuffle(input);
      expect([...s].sort()).toEqual(input);
      firsts.set(s[0]!, (firsts.get(s[0]!) ?? 0) + 1);
    }
    expect(input).toEqual([1, 2, 3, 4, 5]);
    for (const count of firsts.values()) expect(Math.abs(count - 2000)).toBeLessThan(250);

    let heads = 0;
    for (let i = 0; i < 20_000; i++) if (rng.bernoulli(0.25)) heads++;
    expect(Math.abs(heads - 5000)).toBeLessThan(300);
    expect(rng.bernoulli(0)).toBe(false);
    expect(rng.bernoulli(1)).toBe(true);
    expect(() => rng.bernoulli(1.5)).toThrow(MfnasError);
  });
});
