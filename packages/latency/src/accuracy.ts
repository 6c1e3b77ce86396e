/**
 * Accuracy of predictions against measurements on held-out SubGenerators: the figures nn-Meter reports (RMSE,
 * MAPE, share of predictions within ±5% and ±10% of the measurement).
 */
export interface AccuracyFigures {
  readonly count: number;
  readonly rmseMs: number;
  /** Mean absolute percentage error, in percent. */
  readonly mapePct: number;
  /** Median and largest absolute percentage error, in percent. */
  readonly medianApePct: number;
  readonly maxApePct: number;
  /** Share (0..1) of predictions within ±5% and ±10% of the measured latency. */
  readonly within5: number;
  readonly within10: number;
  /** Share of measurements inside the predicted mean ± 2 std: whether the uncertainty is honest. */
  readonly coverage2Std: number;
}

export interface PredictedVsMeasured {
  readonly predictedMs: number;
  readonly predictedStdMs: number;
  readonly measuredMs: number;
}

export function accuracyFigures(pairs: readonly PredictedVsMeasured[]): AccuracyFigures {
  const n = pairs.length;
  if (n === 0) {
    return { count: 0, rmseMs: 0, mapePct: 0, medianApePct: 0, maxApePct: 0, within5: 0, within10: 0, coverage2Std: 0 };
  }
  const ape = pairs.map((p) => Math.abs(p.predictedMs - p.measuredMs) / p.measuredMs).sort((a, b) => a - b);
  const share = (ok: (p: PredictedVsMeasured, i: number) => boolean) => pairs.filter(ok).length / n;
  return {
    count: n,
    rmseMs: Math.sqrt(pairs.reduce((s, p) => s + (p.predictedMs - p.measuredMs) ** 2, 0) / n),
    mapePct: (100 * ape.reduce((s, e) => s + e, 0)) / n,
    medianApePct: 100 * (ape[Math.floor(n / 2)] as number),
    maxApePct: 100 * (ape[n - 1] as number),
    within5: share((p) => Math.abs(p.predictedMs - p.measuredMs) <= 0.05 * p.measuredMs),
    within10: share((p) => Math.abs(p.predictedMs - p.measuredMs) <= 0.1 * p.measuredMs),
    coverage2Std: share((p) => Math.abs(p.predictedMs - p.measuredMs) <= 2 * p.predictedStdMs),
  };
}
