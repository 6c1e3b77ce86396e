// Checks shared by the trainer's crash and fault tests: an interrupted training run must end with the loss curve
// of an uninterrupted one, and its checkpoints must all be stored.
import { expect } from "vitest";
import type { Db, LocalArtifactStore } from "@mfnas/store";

export interface LossRow {
  readonly step: number;
  readonly losses: Record<string, number>;
}

/** A supernet's per-step losses as the trainer stored them, in step order. */
export async function lossCurve(db: Db, supernetId: string): Promise<LossRow[]> {
  const rows = await db.supernetProgress.findMany({ where: { supernetId }, orderBy: { step: "asc" } });
  return rows.map((r) => ({ step: r.step, losses: r.losses as Record<string, number> }));
}

/**
 * Expects both curves to hold steps 1..`steps` once each and `b` every loss `a` has at each step; returns the
 * largest relative difference between them.
 */
export function lossCurveDifference(a: readonly LossRow[], b: readonly LossRow[], steps: number): number {
  expect(a.map((r) => r.step)).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
  expect(b.map((r) => r.step)).toEqual(a.map((r) => r.step));
  let maxDiff = 0;
  for (const [i, row] of a.entries()) {
    for (const [name, value] of Object.entries(row.losses)) {
      const other = b[i]?.losses[name];
      expect(other, `${name} at step ${row.step}`).toBeTypeOf("number");
      maxDiff = Math.max(maxDiff, Math.abs(value - (other ?? NaN)) / Math.max(1e-6, Math.abs(value)));
    }
  }
  return maxDiff;
}

/** Expects one checkpoint row per checkpointed step, each pointing at an artifact `store` holds. */
export async function expectCheckpointsStored(db: Db, store: LocalArtifactStore, supernetId: string): Promise<void> {
  const checkpoints = await db.supernetCheckpoint.findMany({ where: { supernetId } });
  expect(new Set(checkpoints.map((c) => c.step)).size).toBe(checkpoints.length);
  for (const c of checkpoints) await expect(store.get(c.artifactSha256)).resolves.toBeInstanceOf(Uint8Array);
}
