import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { POSTGRES, graph, grid, mfnasDashboard, promql, single, sql } from "./panels.ts";

/**
 * The final generation of each schedule run's search: its hypervolume and front size. Schedule runs are the
 * scheduler's history (ScheduleRun: one row per slot, with the search it started).
 */
const RUNS = `
  FROM "ScheduleRun" r
  JOIN "Schedule" s ON s.id = r."scheduleId"
  LEFT JOIN "Search" se ON se.id = r."searchId"
  LEFT JOIN "Generation" g ON g."searchId" = se.id AND g."index" = se."lastGeneration"
  WHERE $__timeFilter(r.slot) AND s.name IN ($schedule)`;

const FRONT_SIZE = `CASE WHEN jsonb_typeof(g.front::jsonb) = 'array' THEN jsonb_array_length(g.front::jsonb) END`;

/** Pareto history across nightly runs (from Postgres) and the progress of running searches (from Prometheus). */
export function searchesDashboard(): dashboard.Dashboard {
  return mfnasDashboard(
    "mfnas-searches",
    "mfnas / Searches",
    "Pareto fronts across scheduled (nightly) runs from the results store, and the searches running now.",
  )
    .time({ from: "now-30d", to: "now" })
    .withVariable(
      new dashboard.QueryVariableBuilder("schedule")
        .label("Schedule")
        .datasource(POSTGRES)
        .query(`SELECT name FROM "Schedule" ORDER BY name`)
        .definition(`SELECT name FROM "Schedule" ORDER BY name`)
        .refresh(dashboard.VariableRefresh.OnDashboardLoad)
        .multi(true)
        .includeAll(true),
    )
    .withRow(new dashboard.RowBuilder("Nightly runs"))
    .withPanel(
      graph(
        "Final front hypervolume per run",
        "none",
        [
          sql(
            `SELECT r.slot AS "time", s.name AS metric, g.hypervolume AS value ${RUNS} AND g.hypervolume IS NOT NULL ORDER BY 1`,
            "time_series",
          ),
        ],
        {
          datasource: POSTGRES,
          description:
            "Hypervolume of the last generation's first front, one point per schedule slot: higher is a better front.",
        },
      ),
    )
    .withPanel(
      graph(
        "Final front size per run",
        "short",
        [
          sql(
            `SELECT r.slot AS "time", s.name AS metric, ${FRONT_SIZE} AS value ${RUNS} AND g.front IS NOT NULL ORDER BY 1`,
            "time_series",
          ),
        ],
        { datasource: POSTGRES },
      ),
    )
    .withPanel(
      graph(
        "Hypervolume by generation, searches of the period",
        "none",
        [
          sql(
            `SELECT g."createdAt" AS "time", se.name || ' (' || to_char(r.slot, 'YYYY-MM-DD') || ')' AS metric,
                    g.hypervolume AS value
             FROM "Generation" g
             JOIN "Search" se ON se.id = g."searchId"
             JOIN "ScheduleRun" r ON r."searchId" = se.id
             JOIN "Schedule" s ON s.id = r."scheduleId"
             WHERE $__timeFilter(g."createdAt") AND s.name IN ($schedule) AND g.hypervolume IS NOT NULL
             ORDER BY 1`,
            "time_series",
          ),
        ],
        {
          datasource: POSTGRES,
          span: 24,
          description: "How each nightly search's front improved generation by generation.",
        },
      ),
    )
    .withPanel(
      grid(
        "Runs",
        sql(
          `SELECT r.slot AS "slot", s.name AS "schedule", COALESCE(se.status::text, 'skipped') AS "status",
                  se.name AS "search", se."lastGeneration" + 1 AS "generations", g.hypervolume AS "hypervolume",
                  ${FRONT_SIZE} AS "front size",
                  EXTRACT(EPOCH FROM (se."finishedAt" - se."startedAt")) AS "duration (s)", se.error AS "error"
           ${RUNS}
           ORDER BY r.slot DESC
           LIMIT 200`,
        ),
        { height: 12, description: "Every slot of the selected schedules, newest first; skipped = no search started." },
      ),
    )
    .withPanel(
      single("Failed runs in the period", "short", sql(`SELECT count(*) AS value ${RUNS} AND se.status = 'failed'`), {
        datasource: POSTGRES,
        red: 1,
      }),
    )
    .withPanel(
      single(
        "Succeeded runs in the period",
        "short",
        sql(`SELECT count(*) AS value ${RUNS} AND se.status = 'succeeded'`),
        { datasource: POSTGRES },
      ),
    )
    .withPanel(
      single("Latest run failed", "bool", promql(`max(mfnas_schedule_last_run_status{status="failed"}) or vector(0)`), {
        red: 1,
        description:
          "1 when the latest slot of some schedule started a search that failed (alert MfnasNightlyRunFailed).",
      }),
    )
    .withPanel(single("Searches finished (24 h)", "short", promql(`sum(increase(mfnas_searches_finished_total[24h]))`)))
    .withRow(new dashboard.RowBuilder("Running searches"))
    .withPanel(
      graph("Hypervolume of running searches", "none", [
        promql(`max by (search_id) (mfnas_search_hypervolume)`, "{{search_id}}"),
      ]),
    )
    .withPanel(
      graph("Generation reached", "short", [promql(`max by (search_id) (mfnas_search_generation)`, "{{search_id}}")]),
    )
    .withPanel(
      graph("Front size of running searches", "short", [
        promql(`max by (search_id) (mfnas_search_front_size)`, "{{search_id}}"),
      ]),
    )
    .withPanel(
      graph("Generations per minute", "short", [
        promql(`sum(rate(mfnas_search_generations_total[$__rate_interval])) * 60`, "generations/min"),
      ]),
    )
    .build();
}
