import { spawnSync } from "node:child_process";

/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), for tests that scrape /metrics:
 * every sample belongs to a family declared by # TYPE before it, names and labels follow the format's grammar,
 * label values use only its escapes, values are floats (or +Inf, -Inf, NaN), no series appears twice, and each
 * histogram has ascending buckets ending in +Inf whose counts never decrease and equal _count.
 */

type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  help: string | undefined;
  readonly samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<MetricType>(["counter", "gauge", "histogram", "summary", "untyped"]);

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const seen = new Set<string>();
  const lines = text.split("\n");
  if (lines.at(-1) !== "") throw new Error("exposition must end with a newline");
  lines.forEach((line, i) => {
    const at = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line === "") return;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // a plain comment
      const [, keyword, name = "", rest = ""] = m;
      if (!METRIC_NAME.test(name)) throw new Error(`${at}: bad metric name`);
      if (keyword === "TYPE") {
        if (!TYPES.has(rest as MetricType)) throw new Error(`${at}: unknown type`);
        if (families.get(name)?.samples.length) throw new Error(`${at}: TYPE after samples`);
        families.set(name, { name, type: rest as MetricType, help: families.get(name)?.help, samples: [] });
      } else {
        const family = families.get(name) ?? { name, type: "untyped" as const, help: undefined, samples: [] };
        if (family.help !== undefined) throw new Error(`${at}: second HELP`);
        family.help = rest;
        families.set(name, family);
      }
      return;
    }
    const sample = parseSample(line, at);
    const family = familyOf(families, sample.name);
    if (!family) throw new Error(`${at}: sample of an undeclared family`);
    const key = `${sample.name}{${Object.entries(sample.labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(",")}}`;
    if (seen.has(key)) throw new Error(`${at}: duplicate series`);
    seen.add(key);
    family.samples.push(sample);
  });
  for (const family of families.values()) if (family.type === "histogram") checkHistogram(family);
  return families;
}

function familyOf(families: Map<string, MetricFamily>, sampleName: string): MetricFamily | undefined {
  const direct = families.get(sampleName);
  if (direct && direct.type !== "histogram" && direct.type !== "summary") return direct;
  const m = /^(.*)_(bucket|sum|count)$/.exec(sampleName);
  const base = m?.[1] ? families.get(m[1]) : undefined;
  if (base?.type === "histogram") return base;
  if (base?.type === "summary" && m?.[2] !== "bucket") return base;
  if (direct?.type === "summary") return direct;
  return undefined;
}

function parseSample(line: string, at: string): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?[0-9]+)?$/.exec(line);
  if (!m) throw new Error(`${at}: not a sample line`);
  const [, name = "", , body, raw = ""] = m;
  const labels: Record<string, string> = {};
  let rest = body ?? "";
  while (rest.length > 0) {
    const l = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"(,|$)/.exec(rest);
    if (!l) throw new Error(`${at}: bad label list`);
    const [whole, key = "", value = ""] = l;
    if (!LABEL_NAME.test(key) || key.startsWith("__")) throw new Error(`${at}: bad label name ${key}`);
    if (key in labels) throw new Error(`${at}: label ${key} twice`);
    labels[key] = value.replace(/\\(["\\n])/g, (_e, c: string) => (c === "n" ? "\n" : c));
    rest = rest.slice(whole.length);
  }
  // Values are read like Go's strconv.ParseFloat, as Prometheus does: Inf and NaN in any letter case.
  const special = /^([-+]?)(inf|infinity|nan)$/i.exec(raw);
  if (!special && !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) throw new Error(`${at}: bad value`);
  const value = special
    ? special[2]?.toLowerCase() === "nan"
      ? NaN
      : special[1] === "-"
        ? -Infinity
        : Infinity
    : Number(raw);
  return { name, labels, value };
}

function checkHistogram(family: MetricFamily): void {
  const groups = new Map<string, Sample[]>();
  for (const s of family.samples) {
    const { le: _le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const [key, samples] of groups) {
    const buckets = samples.filter((s) => s.name.endsWith("_bucket"));
    const count = samples.find((s) => s.name.endsWith("_count"));
    const bounds = buckets.map((b) => (/^\+?inf$/i.test(b.labels["le"] ?? "") ? Infinity : Number(b.labels["le"])));
    if (bounds.some((b, i) => Number.isNaN(b) || (i > 0 && b <= (bounds[i - 1] ?? -Infinity))))
      throw new Error(`${family.name} ${key}: bucket bounds not ascending`);
    if (bounds.at(-1) !== Infinity) throw new Error(`${family.name} ${key}: no +Inf bucket`);
    if (buckets.some((b, i) => i > 0 && b.value < (buckets[i - 1]?.value ?? 0)))
      throw new Error(`${family.name} ${key}: bucket counts decrease`);
    if (!count || count.value !== buckets.at(-1)?.value)
      throw new Error(`${family.name} ${key}: _count != +Inf bucket`);
    if (!samples.some((s) => s.name.endsWith("_sum"))) throw new Error(`${family.name} ${key}: no _sum`);
  }
}

/** Samples of a family (or of a histogram's _bucket/_sum/_count) matching the given labels. */
export function samplesOf(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): Sample[] {
  const base = name.replace(/_(bucket|sum|count)$/, "");
  const family = families.get(name) ?? families.get(base);
  return (family?.samples ?? []).filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

/** Debian's promtool, when installed; tests that need it skip without it unless MFNAS_REQUIRE_RUNTIMES is set. */
export function promtoolPath(): string | undefined {
  const found = spawnSync("sh", ["-c", "command -v promtool"], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/**
 * `promtool check metrics`: Prometheus's own parser and linter over an exposition. Returns its complaints (empty
 * when none), leaving out lint about prom-client's default nodejs_* gauges named *_total, which are not ours.
 * A parse error (exit 1) is returned as a complaint too.
 */
export function promtoolProblems(promtool: string, text: string): string[] {
  const run = spawnSync(promtool, ["check", "metrics"], { input: text, encoding: "utf8" });
  const lines = `${run.stdout}${run.stderr}`.split("\n").filter((l) => l.trim() !== "");
  if (run.status !== 0 && run.status !== 3) return [`promtool exited ${String(run.status)}`, ...lines];
  return lines.filter((l) => !/^(\w+_)?nodejs_\w+_total non-counter metrics should not have "_total" suffix$/.test(l));
}
