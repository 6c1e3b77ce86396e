import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { graph, labelVariable, mfnasDashboard, promql, single } from "./panels.ts";

const WORKERS = "api|searcher|trainer|evaluator|device-lab|scheduler";
// Several processes report the same queue (every consumer reads its depth): take the max per queue.
const Q = 'queue=~"$queue"';

/** Queues, jobs, workers and API latency. */
export function operationsDashboard(): dashboard.Dashboard {
  return mfnasDashboard(
    "mfnas-operations",
    "mfnas / Operations",
    "Queue depth and age, job throughput, durations and failures, worker load and API latency.",
  )
    .withVariable(labelVariable("queue", "Queue", "mfnas_queue_jobs"))
    .withRow(new dashboard.RowBuilder("Services"))
    .withPanel(single("Services up", "short", promql(`sum(up{job=~"${WORKERS}"})`), { span: 6 }))
    .withPanel(
      single("Services down", "short", promql(`count(up{job=~"${WORKERS}"} == 0) or vector(0)`), { span: 6, red: 1 }),
    )
    .withPanel(
      single("Jobs waiting", "short", promql(`sum(max by (queue) (mfnas_queue_jobs{state="waiting"}))`), { span: 6 }),
    )
    .withPanel(
      single("Oldest waiting job", "s", promql(`max(mfnas_queue_oldest_waiting_age_seconds)`), {
        span: 6,
        red: 900,
        description:
          "Age of the oldest waiting job over all queues; MfnasQueueStuck fires past 15 min without completions.",
      }),
    )
    .withRow(new dashboard.RowBuilder("Queues"))
    .withPanel(
      graph("Waiting jobs by queue", "short", [
        promql(`max by (queue) (mfnas_queue_jobs{${Q}, state=~"waiting|prioritized"})`, "{{queue}}"),
      ]),
    )
    .withPanel(
      graph("Oldest waiting job by queue", "s", [
        promql(`max by (queue) (mfnas_queue_oldest_waiting_age_seconds{${Q}})`, "{{queue}}"),
      ]),
    )
    .withPanel(
      graph("Active and delayed jobs by queue", "short", [
        promql(`max by (queue) (mfnas_queue_jobs{${Q}, state="active"})`, "{{queue}} active", "A"),
        promql(`max by (queue) (mfnas_queue_jobs{${Q}, state="delayed"})`, "{{queue}} delayed", "B"),
      ]),
    )
    .withPanel(
      graph("Failed jobs kept by queue", "short", [
        promql(`max by (queue) (mfnas_queue_jobs{${Q}, state="failed"})`, "{{queue}}"),
      ]),
    )
    .withRow(new dashboard.RowBuilder("Jobs"))
    .withPanel(
      graph("Completed jobs per minute by name", "short", [
        promql(`sum by (name) (rate(mfnas_jobs_completed_total{${Q}}[$__rate_interval])) * 60`, "{{name}}"),
      ]),
    )
    .withPanel(
      graph("Failed attempts per minute by name", "short", [
        promql(
          `sum by (name, final) (rate(mfnas_job_failures_total{${Q}}[$__rate_interval])) * 60`,
          "{{name}} final={{final}}",
        ),
      ]),
    )
    .withPanel(
      graph(
        "Job duration p50 / p95 by name",
        "s",
        [
          promql(
            `histogram_quantile(0.5, sum by (le, name) (rate(mfnas_job_duration_seconds_bucket{${Q}}[$__rate_interval])))`,
            "{{name}} p50",
            "A",
          ),
          promql(
            `histogram_quantile(0.95, sum by (le, name) (rate(mfnas_job_duration_seconds_bucket{${Q}}[$__rate_interval])))`,
            "{{name}} p95",
            "B",
          ),
        ],
        { span: 24 },
      ),
    )
    .withRow(new dashboard.RowBuilder("Workers"))
    .withPanel(
      graph(
        "Busy share of job slots by queue",
        "percentunit",
        [
          promql(
            `sum by (queue) (rate(mfnas_worker_busy_seconds_total{${Q}}[$__rate_interval])) / sum by (queue) (mfnas_worker_concurrency{${Q}})`,
            "{{queue}}",
          ),
        ],
        { description: "Trainer and evaluator utilization: time spent running jobs over the slots available." },
      ),
    )
    .withPanel(
      graph("Job slots and running jobs by queue", "short", [
        promql(`sum by (queue) (mfnas_worker_concurrency{${Q}})`, "{{queue}} slots", "A"),
        promql(`sum by (queue) (mfnas_worker_active_jobs{${Q}})`, "{{queue}} running", "B"),
      ]),
    )
    .withPanel(
      graph("Trainer throughput", "short", [
        promql(`sum(rate(mfnas_trainer_images_total[$__rate_interval]))`, "images/s", "A"),
        promql(`sum(rate(mfnas_trainer_steps_total[$__rate_interval]))`, "steps/s", "B"),
      ]),
    )
    .withPanel(
      graph("Evaluator throughput", "short", [
        promql(
          `sum by (path) (rate(mfnas_evaluator_candidates_evaluated_total[$__rate_interval])) * 60`,
          "{{path}} candidates/min",
        ),
      ]),
    )
    .withPanel(
      // Every service (the API included) exports Node's process metrics under the same names with a `service`
      // label, so one query per panel covers them all.
      graph("Process CPU by service", "percentunit", [
        promql(
          `sum by (service) (rate(process_cpu_seconds_total{service=~"${WORKERS}"}[$__rate_interval]))`,
          "{{service}}",
        ),
      ]),
    )
    .withPanel(
      graph("Resident memory by service", "bytes", [
        promql(`sum by (service) (process_resident_memory_bytes{service=~"${WORKERS}"})`, "{{service}}"),
      ]),
    )
    .withRow(new dashboard.RowBuilder("API"))
    .withPanel(
      graph("API latency p50 / p95 / p99", "s", [
        promql(
          `histogram_quantile(0.5, sum by (le) (rate(mfnas_api_request_duration_seconds_bucket[$__rate_interval])))`,
          "p50",
          "A",
        ),
        promql(
          `histogram_quantile(0.95, sum by (le) (rate(mfnas_api_request_duration_seconds_bucket[$__rate_interval])))`,
          "p95",
          "B",
        ),
        promql(
          `histogram_quantile(0.99, sum by (le) (rate(mfnas_api_request_duration_seconds_bucket[$__rate_interval])))`,
          "p99",
          "C",
        ),
      ]),
    )
    .withPanel(
      graph("API requests per second by status", "reqps", [
        promql(
          `sum by (status_code) (rate(mfnas_api_request_duration_seconds_count[$__rate_interval]))`,
          "{{status_code}}",
        ),
      ]),
    )
    .withPanel(
      graph(
        "API p95 latency by route",
        "s",
        [
          promql(
            `histogram_quantile(0.95, sum by (le, method, route) (rate(mfnas_api_request_duration_seconds_bucket[$__rate_interval])))`,
            "{{method}} {{route}}",
          ),
        ],
        { span: 24 },
      ),
    )
    .build();
}
