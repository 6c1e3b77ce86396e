import { Counter, Gauge, Histogram } from "prom-client";
import type { CatalogWorker, ServiceMetrics } from "@mfnas/queue";
import type { AgentObserver, MeasureOutcome } from "./agent.ts";

/** Device rows by class and state, as the agent's store counts them. */
export type DeviceCounts = () => Promise<ReadonlyArray<{ deviceClass: string; state: string; count: number }>>;

const DEVICE_STATES = ["online", "offline", "unauthorized", "quarantined"] as const;

/**
 * The device lab's Prometheus series: devices of this agent by class and state (read from the store when
 * scraped, so they agree with the dashboard), measurements by class and outcome, and how long a measurement
 * took (push, health gate and cool-down, repetitions). Each phone's measure worker is instrumented by the
 * queue package (`measure.<class>` queue depth, job durations, busy share of the phones).
 */
export class DeviceLabMetrics implements AgentObserver {
  private readonly measurements: Counter<"device_class" | "outcome">;
  private readonly duration: Histogram<"device_class">;
  private readonly detachers = new Map<CatalogWorker, () => void>();

  constructor(
    private readonly metrics: ServiceMetrics,
    private readonly queueWatch: { watch(queue: string): void },
    devices: DeviceCounts,
  ) {
    const registers = [metrics.registry];
    const gauge: Gauge<"device_class" | "state"> = new Gauge({
      name: "mfnas_devicelab_devices",
      help: "Devices registered by this agent, by device class and state (online, offline, unauthorized, quarantined).",
      labelNames: ["device_class", "state"] as const,
      registers,
      collect: async () => {
        const rows = await devices();
        gauge.reset();
        const classes = new Set(rows.map((r) => r.deviceClass));
        // Every state of every known class is exported, 0 included, so "offline > 0" alerts see a drop to 0 too.
        for (const deviceClass of classes)
          for (const state of DEVICE_STATES) gauge.set({ device_class: deviceClass, state }, 0);
        for (const r of rows) gauge.set({ device_class: r.deviceClass, state: r.state }, r.count);
      },
    });
    this.measurements = new Counter({
      name: "mfnas_devicelab_measurements_total",
      help: 'Measure jobs run on this agent\'s phones by device class and outcome ("measured", "reused" when already stored, "failed").',
      labelNames: ["device_class", "outcome"] as const,
      registers,
    });
    this.duration = new Histogram({
      name: "mfnas_devicelab_measurement_duration_seconds",
      help: "Time one measurement took on a phone (model push, health gate and cool-down, repetitions), by device class.",
      labelNames: ["device_class"] as const,
      buckets: [0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600],
      registers,
    });
  }

  workerStarted(worker: CatalogWorker, deviceClass: string): void {
    this.queueWatch.watch(worker.bullWorker.name);
    this.detachers.set(worker, this.metrics.instrumentWorker(worker));
    for (const outcome of ["measured", "reused", "failed"])
      this.measurements.inc({ device_class: deviceClass, outcome }, 0);
  }

  workerStopped(worker: CatalogWorker): void {
    this.detachers.get(worker)?.();
    this.detachers.delete(worker);
  }

  measured(deviceClass: string, seconds: number, outcome: MeasureOutcome): void {
    this.measurements.inc({ device_class: deviceClass, outcome });
    if (outcome === "measured") this.duration.observe({ device_class: deviceClass }, seconds);
  }
}
