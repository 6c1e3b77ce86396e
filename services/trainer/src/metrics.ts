import { Counter, Gauge, type Registry } from "prom-client";
import type { TrainingWindow } from "./train-supernet.job.ts";

/**
 * Training throughput as Prometheus series: steps and images counted as they are logged (rate() of them is
 * steps/s and images/s across restarts), and per supernet the step reached and the last window's speed.
 * Busy share of the GPU slot is the queue package's `mfnas_worker_utilization_ratio{queue="train"}`.
 */
export class TrainerMetrics {
  private readonly steps: Counter;
  private readonly images: Counter;
  private readonly step: Gauge<"supernet_id">;
  private readonly stepsPerSecond: Gauge<"supernet_id">;
  private readonly imagesPerSecond: Gauge<"supernet_id">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.steps = new Counter({ name: "mfnas_trainer_steps_total", help: "Training steps done.", registers });
    this.images = new Counter({
      name: "mfnas_trainer_images_total",
      help: "Training images (batch items) processed.",
      registers,
    });
    const perSupernet = (name: string, help: string) =>
      new Gauge({ name, help, labelNames: ["supernet_id"] as const, registers });
    this.step = perSupernet("mfnas_trainer_step", "Step a supernet's training has reached.");
    this.stepsPerSecond = perSupernet(
      "mfnas_trainer_steps_per_second",
      "Training steps per second over the last logged window.",
    );
    this.imagesPerSecond = perSupernet(
      "mfnas_trainer_images_per_second",
      "Training images per second over the last logged window.",
    );
  }

  /** The handler's onSteps hook. */
  readonly record = (window: TrainingWindow): void => {
    const labels = { supernet_id: window.supernetId };
    this.steps.inc(window.steps);
    this.images.inc(window.images);
    this.step.set(labels, window.step);
    if (window.seconds > 0) {
      this.stepsPerSecond.set(labels, window.steps / window.seconds);
      this.imagesPerSecond.set(labels, window.images / window.seconds);
    }
  };
}
