import { describe, expect, it } from "vitest";
import { selectForMeasurement, type ActiveCandidate } from "./active.ts";

/** Two objectives: -quality (fixed per candidate) and latency; infeasible above 50 ms. */
function candidate(hash: string, quality: number, meanMs: number, stdMs: number): ActiveCandidate {
  return {
    hash,
    meanMs,
    stdMs,
    fitness: (ms) => ({ objectives: [-quality, ms], violation: ms > 50 ? ms / 50 - 1 : 0 }),
  };
}

describe("selectForMeasurement", () => {
  const front = [
    [-30, 20],
    [-32, 40],
  ];

  it("measures candidates that could join the front or straddle the limit, and nothing clearly decided", () => {
    const chosen = selectForMeasurement({
      candidates: [
        candidate("clearly-dominated", 29, 35, 1),
        candidate("could-join", 31, 30, 1),
        candidate("dominated-unless-fast", 30, 21, 1),
        candidate("near-limit", 33, 49, 1),
        candidate("clearly-over", 34, 80, 2),
        candidate("unknown", 35, 45, Number.POSITIVE_INFINITY),
      ],
      front,
      maxLatencyMs: 50,
    });
    expect(Object.fromEntries(chosen)).toEqual({
      "could-join": "near-front",
      "dominated-unless-fast": "near-front",
      "near-limit": "near-limit",
      unknown: "near-front",
    });
  });

  it("a narrower band measures less, and a sure batch member rules out another", () => {
    const wide = selectForMeasurement({ candidates: [candidate("a", 30, 21, 1)], front, z: 2 });
    const narrow = selectForMeasurement({ candidates: [candidate("a", 30, 21, 1)], front, z: 0.5 });
    expect(wide.has("a")).toBe(true);
    expect(narrow.has("a")).toBe(false);
    const batch = selectForMeasurement({
      candidates: [candidate("fast-good", 40, 10, 0.1), candidate("slow-worse", 39, 15, 0.1)],
      front: [],
    });
    expect([...batch.keys()]).toEqual(["fast-good"]);
  });

  it("with a limit keeps the most decision-relevant: nearest the limit first, then the most uncertain", () => {
    const candidates = [
      candidate("front-sure", 31, 30, 0.5),
      candidate("front-unsure", 31.5, 31, 3),
      candidate("limit-far", 33, 47, 2),
      candidate("limit-close", 34, 50.5, 2),
      candidate("unknown", 35, 45, Number.POSITIVE_INFINITY),
    ];
    const all = selectForMeasurement({ candidates, front, maxLatencyMs: 50 });
    expect(all.size).toBe(5);
    const three = selectForMeasurement({ candidates, front, maxLatencyMs: 50, limit: 3 });
    expect([...three.keys()]).toEqual(["unknown", "limit-close", "limit-far"]);
    const four = selectForMeasurement({ candidates, front, maxLatencyMs: 50, limit: 4 });
    expect([...four.keys()]).toEqual(["unknown", "limit-close", "limit-far", "front-unsure"]);
    expect(selectForMeasurement({ candidates, front, maxLatencyMs: 50, limit: 0 }).size).toBe(0);
  });
});
