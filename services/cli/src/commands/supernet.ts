import path from "node:path";
import { Command } from "commander";
import { readDocument } from "../files.ts";
import { bar, emit } from "../output.ts";
import type { Context } from "../context.ts";

interface SupernetDetail {
  id: string;
  name: string;
  status: string;
  progress: { step: number; steps: number | null };
}

/** A file holds either the request ({name, trainingConfig}) or a bare training config. */
function trainingRequest(document: unknown, file: string, name: string | undefined): Record<string, unknown> {
  const body = (typeof document === "object" && document !== null ? document : {}) as Record<string, unknown>;
  if ("trainingConfig" in body) return { ...body, ...(name !== undefined ? { name } : {}) };
  return { name: name ?? path.basename(file).replace(/\.(ya?ml|json)$/i, ""), trainingConfig: document };
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
      const created = await ctx.client().post<SupernetDetail>("/supernets", body);
      emit(
        ctx.out,
        created,
        () =>
          `supernet ${created.id} "${created.name}" ${created.status} ${bar(created.progress.step, created.progress.steps)}`,
      );
    });
  return supernet;
}
