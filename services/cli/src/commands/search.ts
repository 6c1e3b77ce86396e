import { createHash } from "node:crypto";
import { Command, Option } from "commander";
import {
  EXPORT_FORMATS,
  FRONT_AXES,
  SEARCH_STATUSES,
  SEARCH_STATUSES_FINAL,
  FRONT_AXIS_LABELS,
  renderFrontSvg,
  renderTable,
  type ApiBody,
  type ApiResponse,
  type ExportFormat,
  type FrontAxis,
} from "@mfnas/core";
import { CliError, type ApiClient } from "../client.ts";
import { readDocument, writeAtomically } from "../files.ts";
import { LiveLine, bar, emit, shortId, when } from "../output.ts";
import type { Context } from "../context.ts";

type SearchSummary = ApiResponse<"listSearches">["items"][number];
/** A search as submit, cancel, resume and clone answer it; submit adds warnings. */
type SearchDetail = ApiResponse<"getSearch"> & { warnings?: string[] };
type Front = ApiResponse<"getFront">;
type FrontPoint = Front["points"][number];
type Status = SearchSummary["status"];

/** Statuses after which a watched search sends no more events: its final ones, or deleted. */
const TERMINAL = new Set<string>([...SEARCH_STATUSES_FINAL, "deleted"]);

function searchLine(s: SearchDetail): string {
  const progress = bar(s.progress.generationsDone, s.progress.generations);
  const warnings = (s.warnings ?? []).map((w) => `\nwarning: ${w}`).join("");
  return `search ${s.id} "${s.name}" ${s.status} ${progress}${s.error ? ` error: ${s.error}` : ""}${warnings}`;
}

async function submit(ctx: Context, file: string, options: { watch?: boolean; supernet?: string }): Promise<void> {
  const document = (await readDocument(file)) as ApiBody<"submitSearch">;
  const spec = options.supernet !== undefined ? { ...document, supernet: { id: options.supernet } } : document;
  const created = await ctx.client().call("submitSearch", { body: spec });
  if (!options.watch) {
    emit(ctx.out, created, () => `${searchLine(created)}\nwatch it: mfnas search watch ${created.id}`);
    return;
  }
  // Under --json the watch prints one JSON line per event; the created search comes first, as one line too.
  ctx.out.write(ctx.out.json ? JSON.stringify({ event: "submitted", data: created }) : searchLine(created));
  await watch(ctx, created.id);
}

/** Follows a search's events: a bar per generation with the front's hypervolume, until a terminal state. */
async function watch(ctx: Context, id: string): Promise<void> {
  const client = ctx.client();
  const detail = await client.call("getSearch", { params: { id } });
  const total = detail.progress.generations;
  const line = new LiveLine(ctx.out);
  let status: string = detail.status;
  let error: string | null = detail.error;
  let hypervolume: number | null = null;
  let done = detail.progress.generationsDone;
  if (!ctx.out.json) ctx.out.write(`watching ${id} "${detail.name}" (${status})`);
  await client.events(`/searches/${id}/events`, (event) => {
    if (ctx.out.json) {
      ctx.out.write(JSON.stringify({ event: event.event, id: event.id, data: event.data }));
    }
    const data = (event.data ?? {}) as Record<string, unknown>;
    switch (event.event) {
      case "generation": {
        done = Number(data["index"] ?? done - 1) + 1;
        hypervolume = typeof data["hypervolume"] === "number" ? data["hypervolume"] : hypervolume;
        const front = Array.isArray(data["front"]) ? data["front"].length : 0;
        const hv = hypervolume === null ? "-" : hypervolume.toPrecision(5);
        if (!ctx.out.json) line.update(`generation ${bar(done, total)}  hypervolume ${hv}  front ${front}`);
        break;
      }
      case "status":
        status = typeof data["status"] === "string" ? data["status"] : status;
        error = typeof data["error"] === "string" ? data["error"] : error;
        break;
      default:
        break;
    }
    return TERMINAL.has(status) && event.event === "end";
  });
  if (!ctx.out.json) {
    line.finish();
    ctx.out.write(`search ${id} ${status}${error ? `: ${error}` : ""}`);
  }
  if (status === "failed") throw new CliError(`search ${id} failed${error ? `: ${error}` : ""}`, 1);
}

async function list(
  ctx: Context,
  options: {
    status?: Status[];
    name?: string;
    schedule?: string;
    supernet?: string;
    createdAfter?: string;
    createdBefore?: string;
    limit: string;
    cursor?: string;
    all?: boolean;
  },
): Promise<void> {
  const items: SearchSummary[] = [];
  let cursor = options.cursor;
  let nextCursor: string | null = null;
  do {
    const page = await ctx.client().call("listSearches", {
      query: {
        status: options.status,
        name: options.name,
        scheduleId: options.schedule,
        supernetId: options.supernet,
        createdAfter: options.createdAfter,
        createdBefore: options.createdBefore,
        limit: Number(options.limit),
        cursor,
      },
    });
    items.push(...page.items);
    nextCursor = page.nextCursor;
    cursor = nextCursor ?? undefined;
  } while (options.all && nextCursor !== null);
  emit(ctx.out, { items, nextCursor }, () => {
    const table = renderTable(
      ["id", "name", "status", "generations", "schedule", "created", "finished"],
      items.map((s) => [
        s.id,
        s.name,
        s.status,
        (s.lastGeneration ?? -1) + 1,
        shortId(s.scheduleId),
        when(s.createdAt),
        when(s.finishedAt),
      ]),
    );
    const more = nextCursor !== null ? `\nmore: mfnas search list --cursor ${nextCursor}` : "";
    return `${items.length === 0 ? "no searches" : table}${more}`;
  });
}

/** The front of one target (the first target of the search when none is named). */
async function fetchFront(
  client: ApiClient,
  id: string,
  options: { target?: string; quality?: Front["quality"]; latency?: Front["latency"]; axis?: Front["axis"] },
): Promise<Front> {
  let target = options.target;
  if (target === undefined) {
    const { targets } = await client.call("listFronts", { params: { id } });
    target = targets[0];
    if (target === undefined) throw new CliError(`search ${id} has no target with a front yet`);
  }
  return client.call("getFront", {
    params: { id, target },
    query: { quality: options.quality, latency: options.latency, axis: options.axis },
  });
}

async function front(
  ctx: Context,
  id: string,
  options: {
    target?: string;
    quality?: Front["quality"];
    latency?: Front["latency"];
    axis?: Front["axis"];
    svg?: string;
  },
): Promise<void> {
  const result = await fetchFront(ctx.client(), id, options);
  const axisLabel =
    result.axis === "latency"
      ? `latency on ${result.target} (ms, ${result.latency})`
      : `${FRONT_AXIS_LABELS[result.axis as FrontAxis] ?? result.axis} (${result.axisUnit})`;
  let svgPath: string | undefined;
  if (options.svg !== undefined) {
    if (result.points.length === 0) throw new CliError(`search ${id} has no front on ${result.target} to plot`);
    const svg = renderFrontSvg(
      result.points.map((p) => ({
        x: p.x,
        y: p.quality,
        front: true,
        label: `${p.genomeHash.slice(0, 12)}: ${qualityText(result.quality, p.quality)} ${result.quality}, ${p.x.toFixed(2)} ${result.axisUnit}`,
      })),
      {
        title: `Pareto front of ${id.slice(0, 8)} on ${result.target}`,
        xLabel: axisLabel,
        yLabel: result.quality === "psnr" ? "PSNR (dB)" : "SSIM",
      },
    );
    svgPath = await writeAtomically(options.svg, svg);
  }
  emit(ctx.out, svgPath !== undefined ? { ...result, svg: svgPath } : result, () => {
    const rows = result.points.map((p, i) => [
      i + 1,
      p.genomeHash.slice(0, 12),
      qualityText(result.quality, p.quality),
      p.latencyMs,
      p.latencyBasis,
      p.cost.params,
      Number((p.cost.macs / 1e6).toFixed(1)),
      Number((p.cost.peakActivationBytes / 1e6).toFixed(3)),
      Number((p.cost.memoryTrafficBytes / 1e6).toFixed(2)),
      p.generationIndex,
    ]);
    const against = result.axis === "latency" ? "" : ` against ${axisLabel}`;
    const header =
      `front of ${result.searchId} on ${result.target}${against}: ` +
      `${result.points.length} of ${result.rankedCandidates} ranked candidates`;
    const columns = ["#", "genome", result.quality, "latency ms", "basis", "params", "MMACs", "peak act. MB"];
    const table = renderTable([...columns, "mem. traffic MB", "gen"], rows);
    return [header, table, ...(svgPath ? [`plot: ${svgPath}`] : [])].join("\n");
  });
}

/** A candidate's full genome hash: given in full, or a prefix found on the front or among the candidates. */
async function resolveCandidate(client: ApiClient, id: string, prefix: string, points: FrontPoint[]): Promise<string> {
  const wanted = prefix.toLowerCase();
  if (!/^[0-9a-f]{6,64}$/.test(wanted)) throw new CliError("--candidate: must be 6 to 64 hex digits of a genome hash");
  if (wanted.length === 64) return wanted;
  const matches = new Set(points.filter((p) => p.genomeHash.startsWith(wanted)).map((p) => p.genomeHash));
  let cursor: string | undefined;
  while (matches.size === 0) {
    const page = await client.call("listCandidates", { params: { id }, query: { limit: 200, cursor } });
    for (const c of page.items) if (c.genomeHash.startsWith(wanted)) matches.add(c.genomeHash);
    if (page.nextCursor === null) break;
    cursor = page.nextCursor;
  }
  if (matches.size !== 1) {
    throw new CliError(`--candidate: ${prefix} matches ${matches.size} candidates of search ${id}`);
  }
  return [...matches][0] ?? wanted;
}

async function exportModel(
  ctx: Context,
  id: string,
  options: { candidate?: string; target?: string; format: ExportFormat; out: string },
): Promise<void> {
  const client = ctx.client();
  const result = await fetchFront(client, id, options);
  let genomeHash: string;
  if (options.candidate !== undefined) {
    genomeHash = await resolveCandidate(client, id, options.candidate, result.points);
  } else {
    const best = [...result.points].sort((a, b) => b.quality - a.quality)[0];
    if (!best) throw new CliError(`search ${id} has no front on ${result.target}; name one with --candidate`);
    genomeHash = best.genomeHash;
  }
  const { items } = await client.call("listArtifacts", { query: { kind: options.format, genomeHash, limit: 1 } });
  const artifact = items[0];
  if (!artifact) {
    throw new CliError(
      `no ${options.format} export of candidate ${genomeHash.slice(0, 12)} (search ${id}); ` +
        "a search exports its final Pareto set when it finishes",
    );
  }
  const bytes = await client.download(`/artifacts/${artifact.sha256}/download`);
  const digest = createHash("sha256").update(bytes).digest("hex");
  if (digest !== artifact.sha256) {
    throw new CliError(`download of ${artifact.sha256} arrived with sha256 ${digest}; nothing written`);
  }
  const written = await writeAtomically(options.out, bytes);
  const summary = {
    searchId: id,
    genomeHash,
    format: options.format,
    sha256: digest,
    sizeBytes: bytes.length,
    out: written,
  };
  emit(
    ctx.out,
    summary,
    () => `wrote ${written} (${bytes.length} bytes, ${options.format}, candidate ${genomeHash.slice(0, 12)})`,
  );
}

/**
 * Quality as the front and the tables print it: PSNR to 3 decimals (0.001 dB) and SSIM to 4, enough to tell
 * apart the members of a front, which often differ in the second decimal of a dB or the third of an SSIM.
 */
function qualityText(metric: "psnr" | "ssim", value: number | null): string {
  if (value === null || !Number.isFinite(value)) return "-";
  return metric === "psnr" ? value.toFixed(3) : value.toFixed(4);
}

/** Cancel, resume or clone: the search as it is after the change. */
async function change(ctx: Context, operation: "cancelSearch" | "resumeSearch", id: string): Promise<void> {
  const changed: SearchDetail = await ctx.client().call(operation, { params: { id } });
  emit(ctx.out, changed, () => searchLine(changed));
}

async function clone(ctx: Context, id: string, options: { name?: string; seed?: string }): Promise<void> {
  const body = {
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.seed !== undefined ? { seed: Number(options.seed) } : {}),
  };
  const created: SearchDetail = await ctx.client().call("cloneSearch", { params: { id }, body });
  emit(ctx.out, created, () => `${searchLine(created)}\ncloned from ${id}`);
}

export function searchCommand(ctx: Context): Command {
  const search = new Command("search").description("submit, follow and read architecture searches");
  search
    .command("submit")
    .description("submit a search spec (YAML or JSON)")
    .argument("<spec>", "spec file: .yaml, .yml or .json")
    .option("--supernet <id>", "the supernet whose weights the candidates inherit (sets the spec's supernet)")
    .option("--watch", "follow the search until it ends")
    .action((file: string, options: { watch?: boolean; supernet?: string }) => submit(ctx, file, options));
  search
    .command("watch")
    .description("follow a search live: a bar per generation and the front's hypervolume, until it ends")
    .argument("<id>", "search id")
    .action((id: string) => watch(ctx, id));
  search
    .command("list")
    .description("list searches, newest first")
    .addOption(new Option("--status <status...>", "only these states").choices(SEARCH_STATUSES))
    .option("--name <text>", "name contains (case-insensitive)")
    .option("--schedule <id>", "started by this schedule")
    .option("--supernet <id>", "over this supernet")
    .option("--created-after <iso>", "created at or after this time")
    .option("--created-before <iso>", "created before this time")
    .option("--limit <n>", "rows per page", "20")
    .option("--cursor <cursor>", "continue from a previous page")
    .option("--all", "follow every page")
    .action((options: Parameters<typeof list>[1]) => list(ctx, options));
  search
    .command("front")
    .description("the Pareto front of a search on a target (quality up, latency or --axis down)")
    .argument("<id>", "search id")
    .option("--target <name>", "target (default: the search's first)")
    .addOption(new Option("--quality <metric>", "quality axis").choices(["psnr", "ssim"]))
    .addOption(
      new Option("--latency <basis>", "latency figure").choices(["measured", "predicted", "measured-else-predicted"]),
    )
    .addOption(
      new Option(
        "--axis <cost>",
        "cost ranked against quality: latency (ms), memory (MB, weights + peak activations), traffic (MB, memory traffic = memory access cost), macs (GMAC)",
      ).choices([...FRONT_AXES]),
    )
    .option("--svg <file>", "also write the front as an SVG plot")
    .action((id: string, options: Parameters<typeof front>[2]) => front(ctx, id, options));
  search
    .command("export")
    .description("download an exported SubGenerator of a search (default: the front's best quality)")
    .argument("<id>", "search id")
    .option("--candidate <hash>", "genome hash (or a unique prefix of it)")
    .option("--target <name>", "target whose front picks the default candidate")
    .addOption(new Option("--format <format>", "model format").choices(EXPORT_FORMATS).default("tflite"))
    .requiredOption("--out <file>", "where to write the model")
    .action((id: string, options: Parameters<typeof exportModel>[2]) => exportModel(ctx, id, options));
  search
    .command("cancel")
    .description("cancel a queued or running search (its results so far are kept)")
    .argument("<id>", "search id")
    .action((id: string) => change(ctx, "cancelSearch", id));
  search
    .command("resume")
    .description("resume a failed or cancelled search from its last finished generation")
    .argument("<id>", "search id")
    .action((id: string) => change(ctx, "resumeSearch", id));
  search
    .command("clone")
    .description("submit a new search with the spec of an existing one")
    .argument("<id>", "search id")
    .option("--name <name>", "name of the new search (default: the original's)")
    .option("--seed <n>", "seed of the new search (default: the original's)")
    .action((id: string, options: { name?: string; seed?: string }) => clone(ctx, id, options));
  return search;
}
