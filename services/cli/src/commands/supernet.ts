import path from "node:path";
import { Command, Option } from "commander";
import { renderTable, type ApiBody, type ApiResponse } from "@mfnas/core";
import { readDocument } from "../files.ts";
import { bar, emit, when } from "../output.ts";
import type { Context } from "../context.ts";

type SupernetDetail = ApiResponse<"getSupernet">;
type Status = SupernetDetail["status"];
const STATUSES: readonly Status[] = ["queued", "training", "ready", "failed", "cancelled"];

/** A file holds either the request ({name, trainingConfig}) or a bare training config. */
function trainingRequest(document: unknown, file: string, name: string | undefined): ApiBody<"trainSupernet"> {
  const body = (typeof document === "object" && document !== null ? document : {}) as Record<string, unknown>;
  if ("trainingConfig" in body) {
    return { ...body, ...(name !== undefined ? { name } : {}) } as ApiBody<"trainSupernet">;
  }
  return {
    name: name ?? path.basename(file).replace(/\.(ya?ml|json)$/i, ""),
    trainingConfig: document,
  } as ApiBody<"trainSupernet">;
}

function supernetLine(s: SupernetDetail): string {
  return `supernet ${s.id} "${s.name}" ${s.status} ${bar(s.progress.step, s.progress.steps)}${s.error ? ` error: ${s.error}` : ""}`;
}

/** A supernet's state, its latest losses and image rate, and its checkpoints. */
function statusText(s: SupernetDetail): string {
  const latest = s.progress.latest;
  const losses =
    latest && typeof latest.losses === "object" && latest.losses !== null
      ? Object.entries(latest.losses as Record<string, unknown>)
          .filter((entry): entry is [string, number] => typeof entry[1] === "number")
          .map(([name, value]) => `${name} ${value.toPrecision(4)}`)
          .join(", ")
      : "";
  const lines = [
    supernetLine(s),
    `created ${when(s.createdAt)}, started ${when(s.startedAt)}, finished ${when(s.finishedAt)}`,
    ...(latest
      ? [`step ${latest.step}: ${latest.imagesPerSecond.toFixed(2)} images/s${losses ? `; ${losses}` : ""}`]
      : []),
  ];
  if (s.checkpoints.length > 0) {
    lines.push(
      renderTable(
        ["checkpoint step", "artifact", "saved"],
        s.checkpoints.map((c) => [c.step, c.artifactSha256, when(c.createdAt)]),
      ),
    );
  }
  return lines.join("\n");
}

export function supernetCommand(ctx: Context): Command {
  const supernet = new Command("supernet").description("weight-sharing supernets");
  supernet
    .command("train")
    .description("start training a supernet from a training config (YAML or JSON)")
    .argument("<config>", "config file: {name, trainingConfig} or a bare training config")
    .option("--name <name>", "supernet name (default: the file's name field, else the file name)")
    .action(async (file: string, options: { name?: string }) => {
      const body = trainingRequest(await readDocument(file), file, options.name);
      const created = await ctx.client().call("trainSupernet", { body });
      emit(ctx.out, created, () => supernetLine(created));
    });
  supernet
    .command("list")
    .description("supernets, newest first")
    .addOption(new Option("--status <status...>", "only these states").choices(STATUSES))
    .option("--limit <n>", "rows", "20")
    .action(async (options: { status?: Status[]; limit: string }) => {
      const page = await ctx.client().call("listSupernets", {
        query: { status: options.status, limit: Number(options.limit) },
      });
      emit(ctx.out, page, () =>
        page.items.length === 0
          ? "no supernets"
          : renderTable(
              ["id", "name", "status", "step", "created", "finished", "error"],
              page.items.map((s) => [
                s.id,
                s.name,
                s.status,
                s.step,
                when(s.createdAt),
                when(s.finishedAt),
                s.error ?? "",
              ]),
            ),
      );
    });
  supernet
    .command("status")
    .description("a supernet's progress, latest losses and image rate, and checkpoints")
    .argument("<id>", "supernet id")
    .action(async (id: string) => {
      const detail = await ctx.client().call("getSupernet", { params: { id } });
      emit(ctx.out, detail, () => statusText(detail));
    });
  supernet
    .command("cancel")
    .description("cancel a supernet's training (checkpoints so far are kept)")
    .argument("<id>", "supernet id")
    .action(async (id: string) => {
      const changed = await ctx.client().call("cancelSupernet", { params: { id } });
      emit(ctx.out, changed, () => supernetLine(changed));
    });
  return supernet;
}
