import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as table from "@grafana/grafana-foundation-sdk/table";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";

/** Datasources as ops/grafana/provisioning/datasources/mfnas.yaml provisions them (fixed uids). */
const PROMETHEUS: common.DataSourceRef = { type: "prometheus", uid: "mfnas-prometheus" };
export const POSTGRES: common.DataSourceRef = { type: "grafana-postgresql-datasource", uid: "mfnas-postgres" };

/** A PromQL target; `legend` is Grafana's legend template ({{label}}). */
export function promql(expr: string, legend?: string, refId = "A"): prometheus.DataqueryBuilder {
  const query = new prometheus.DataqueryBuilder().expr(expr).refId(refId).datasource(PROMETHEUS).range();
  return legend === undefined ? query : query.legendFormat(legend);
}

/** The PostgreSQL datasource's query model (the SDK has no builder for it): raw SQL in code mode. */
export interface SqlQuery extends cog.Dataquery {
  refId: string;
  datasource: common.DataSourceRef;
  rawSql: string;
  format: "time_series" | "table";
  rawQuery: true;
  editorMode: "code";
}

export class SqlQueryBuilder implements cog.Builder<cog.Dataquery> {
  constructor(
    private readonly rawSql: string,
    private readonly format: SqlQuery["format"] = "table",
    private readonly refId = "A",
  ) {}

  build(): SqlQuery {
    return {
      refId: this.refId,
      datasource: POSTGRES,
      rawSql: this.rawSql,
      format: this.format,
      rawQuery: true,
      editorMode: "code",
      _implementsDataqueryVariant: () => undefined,
    };
  }
}

export function sql(rawSql: string, format: SqlQuery["format"] = "table", refId = "A"): SqlQueryBuilder {
  return new SqlQueryBuilder(rawSql.trim().replace(/\n\s+/g, "\n"), format, refId);
}

const legendTable = () =>
  new common.VizLegendOptionsBuilder()
    .displayMode(common.LegendDisplayMode.Table)
    .placement(common.LegendPlacement.Bottom)
    .showLegend(true);

/** A time series panel, half a row wide by default. */
export function graph(
  title: string,
  unit: string,
  targets: cog.Builder<cog.Dataquery>[],
  options: { span?: number; description?: string; datasource?: common.DataSourceRef; stack?: boolean } = {},
): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(title)
    .unit(unit)
    .datasource(options.datasource ?? PROMETHEUS)
    .height(8)
    .span(options.span ?? 12)
    .lineWidth(1)
    .fillOpacity(10)
    .legend(legendTable());
  if (options.description) panel.description(options.description);
  if (options.stack) panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  for (const target of targets) panel.withTarget(target);
  return panel;
}

/** A single-value panel. */
export function single(
  title: string,
  unit: string,
  target: cog.Builder<cog.Dataquery>,
  options: { span?: number; description?: string; datasource?: common.DataSourceRef; red?: number } = {},
): stat.PanelBuilder {
  const panel = new stat.PanelBuilder()
    .title(title)
    .unit(unit)
    .datasource(options.datasource ?? PROMETHEUS)
    .height(4)
    .span(options.span ?? 6)
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.Area)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]))
    .withTarget(target);
  if (options.red !== undefined) {
    panel.thresholds(
      new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
        { value: null, color: "green" },
        { value: options.red, color: "red" },
      ]),
    );
  }
  if (options.description) panel.description(options.description);
  return panel;
}

/** A table panel over one query (SQL by default). */
export function grid(
  title: string,
  target: cog.Builder<cog.Dataquery>,
  options: { span?: number; height?: number; description?: string; datasource?: common.DataSourceRef } = {},
): table.PanelBuilder {
  const panel = new table.PanelBuilder()
    .title(title)
    .datasource(options.datasource ?? POSTGRES)
    .height(options.height ?? 10)
    .span(options.span ?? 24)
    .withTarget(target);
  if (options.description) panel.description(options.description);
  return panel;
}

/** A dashboard with the settings every mfnas dashboard shares. */
export function mfnasDashboard(uid: string, title: string, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(["mfnas"])
    .editable()
    .refresh("30s")
    .time({ from: "now-6h", to: "now" })
    .timezone("browser")
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .link(
      new dashboard.DashboardLinkBuilder("mfnas")
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags(["mfnas"])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    );
}

/** A multi-value variable over a label's values in Prometheus. */
export function labelVariable(name: string, label: string, metric: string): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(PROMETHEUS)
    .query({ query: `label_values(${metric}, ${name})`, refId: "PrometheusVariableQueryEditor-VariableQuery" })
    .definition(`label_values(${metric}, ${name})`)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .multi(true)
    .includeAll(true)
    .allValue(".*")
    .sort(dashboard.VariableSort.AlphabeticalAsc);
}
