import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { graph, labelVariable, mfnasDashboard, promql, single } from "./panels.ts";

const C = 'device_class=~"$device_class"';

/** Devices by state and class, measurement throughput and duration per class, the measure queues. */
export function deviceLabDashboard(): dashboard.Dashboard {
  return mfnasDashboard(
    "mfnas-device-lab",
    "mfnas / Device lab",
    "Phones by state and device class, measurements per hour and their duration, the measure.<class> queues.",
  )
    .withVariable(labelVariable("device_class", "Device class", "mfnas_devicelab_devices"))
    .withRow(new dashboard.RowBuilder("Devices"))
    .withPanel(single("Online", "short", promql(`sum(mfnas_devicelab_devices{${C}, state="online"})`)))
    .withPanel(
      single(
        "Offline or unauthorized",
        "short",
        promql(`sum(mfnas_devicelab_devices{${C}, state=~"offline|unauthorized"})`),
        {
          red: 1,
        },
      ),
    )
    .withPanel(
      single("Quarantined", "short", promql(`sum(mfnas_devicelab_devices{${C}, state="quarantined"})`), { red: 1 }),
    )
    .withPanel(
      single("Agents up", "short", promql(`sum(up{job="device-lab"})`), {
        description: "Device-lab agents Prometheus scrapes (one per USB-hub host).",
      }),
    )
    .withPanel(
      graph("Devices by state", "short", [promql(`sum by (state) (mfnas_devicelab_devices{${C}})`, "{{state}}")], {
        stack: true,
      }),
    )
    .withPanel(
      graph("Devices by class and state", "short", [
        promql(`sum by (device_class, state) (mfnas_devicelab_devices{${C}})`, "{{device_class}} {{state}}"),
      ]),
    )
    .withRow(new dashboard.RowBuilder("Measurements"))
    .withPanel(
      graph("Measurements per hour by class", "short", [
        promql(
          `sum by (device_class) (rate(mfnas_devicelab_measurements_total{${C}, outcome="measured"}[$__rate_interval])) * 3600`,
          "{{device_class}}",
        ),
      ]),
    )
    .withPanel(
      graph("Measure jobs per hour by outcome", "short", [
        promql(
          `sum by (outcome) (rate(mfnas_devicelab_measurements_total{${C}}[$__rate_interval])) * 3600`,
          "{{outcome}}",
        ),
      ]),
    )
    .withPanel(
      graph("Measurement duration p50 / p95 by class", "s", [
        promql(
          `histogram_quantile(0.5, sum by (le, device_class) (rate(mfnas_devicelab_measurement_duration_seconds_bucket{${C}}[$__rate_interval])))`,
          "{{device_class}} p50",
          "A",
        ),
        promql(
          `histogram_quantile(0.95, sum by (le, device_class) (rate(mfnas_devicelab_measurement_duration_seconds_bucket{${C}}[$__rate_interval])))`,
          "{{device_class}} p95",
          "B",
        ),
      ]),
    )
    .withPanel(
      graph("Busy share of the phones by class queue", "percentunit", [
        promql(
          `sum by (queue) (rate(mfnas_worker_busy_seconds_total{queue=~"measure\\\\..+"}[$__rate_interval])) / sum by (queue) (mfnas_worker_concurrency{queue=~"measure\\\\..+"})`,
          "{{queue}}",
        ),
      ]),
    )
    .withRow(new dashboard.RowBuilder("Queues"))
    .withPanel(
      graph("Waiting measurements by class queue", "short", [
        promql(`max by (queue) (mfnas_queue_jobs{queue=~"measure\\\\..+", state="waiting"})`, "{{queue}}"),
      ]),
    )
    .withPanel(
      graph("Oldest waiting measurement by class queue", "s", [
        promql(`max by (queue) (mfnas_queue_oldest_waiting_age_seconds{queue=~"measure\\\\..+"})`, "{{queue}}"),
      ]),
    )
    .build();
}
