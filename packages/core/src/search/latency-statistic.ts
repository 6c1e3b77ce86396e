/** The figures of a device measurement a target's latency can be (see `latencyStatistic` on a target). */
export const LATENCY_STATISTICS = ["median", "min"] as const;
export type LatencyStatistic = (typeof LATENCY_STATISTICS)[number];
