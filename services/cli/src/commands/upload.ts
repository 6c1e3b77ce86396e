import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { Argument, Command, Option } from "commander";
import { RUNNER_ABIS, UPLOAD_KINDS, type ApiResponse, type RunnerAbi, type UploadKind } from "@mfnas/core";
import { CliError, type ApiClient } from "../client.ts";
import { emit } from "../output.ts";
import type { Context } from "../context.ts";

type Uploaded = ApiResponse<"uploadArtifact">;

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (error) {
    throw new CliError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

function send(
  client: ApiClient,
  kind: UploadKind,
  bytes: Uint8Array,
  label: string,
  abi?: RunnerAbi,
): Promise<Uploaded> {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  return client.call("uploadArtifact", {
    query: { kind, sha256, name: label.slice(0, 200), ...(abi !== undefined ? { abi } : {}) },
    body: bytes,
  });
}

/**
 * A TF.js layers model from its folder (or its model.json): every shard is uploaded first, then the model.json
 * with each weight path replaced by its shard's sha256, which is how the store refers to files.
 */
async function uploadTfjsModel(client: ApiClient, given: string, name: string | undefined) {
  const file = (await stat(given).catch(() => null))?.isDirectory() ? path.join(given, "model.json") : given;
  let model: { weightsManifest?: Array<{ paths?: unknown }> };
  try {
    model = JSON.parse(new TextDecoder().decode(await readBytes(file))) as typeof model;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${file}: not JSON: ${(error as Error).message}`);
  }
  const shards: Uploaded[] = [];
  for (const group of model.weightsManifest ?? []) {
    if (!Array.isArray(group.paths)) continue;
    const digests: string[] = [];
    for (const shard of group.paths as unknown[]) {
      if (typeof shard !== "string") throw new CliError(`${file}: a weight path is not a string`);
      if (/^[0-9a-f]{64}$/.test(shard)) {
        digests.push(shard);
        continue;
      }
      const uploaded = await send(client, "tfjs-shard", await readBytes(path.join(path.dirname(file), shard)), shard);
      shards.push(uploaded);
      digests.push(uploaded.sha256);
    }
    group.paths = digests;
  }
  const bytes = new TextEncoder().encode(JSON.stringify(model));
  const stored = await send(client, "tfjs-model", bytes, name ?? path.basename(path.dirname(path.resolve(file))));
  return { ...stored, shards };
}

function line(kind: UploadKind, a: Uploaded): string {
  return `${a.created ? "uploaded" : "already stored"} ${kind} ${a.sha256} (${a.sizeBytes} bytes)`;
}

/** How the uploaded artifact is used next. */
function hint(kind: UploadKind, sha256: string): string {
  switch (kind) {
    case "teacher-weights":
      return `use it in a training config: teacher: {kind: rrdbnet, weights: ${sha256}}`;
    case "tfjs-model":
      return `use it in a training config: teacher: {kind: tfjs-layers, artifact: ${sha256}}`;
    case "runner":
      return "device-lab agents push it to phones of its ABI when they attach (and at each heartbeat)";
    case "dataset":
    case "tfjs-shard":
      return `stored as ${sha256}`;
  }
}

export function uploadCommand(ctx: Context): Command {
  return new Command("upload")
    .description("put a teacher, a TF.js model, a dataset archive or a runner binary into the artifact store")
    .addArgument(new Argument("<kind>", "what it is").choices(UPLOAD_KINDS))
    .argument("<path>", "the file (a TF.js model: its folder or its model.json)")
    .addOption(new Option("--abi <abi>", "the Android ABI a runner is built for").choices(Object.keys(RUNNER_ABIS)))
    .option("--name <label>", "a label kept with it (default: the file name)")
    .action(async (kind: UploadKind, file: string, options: { abi?: RunnerAbi; name?: string }) => {
      const client = ctx.client();
      if (kind === "tfjs-model") {
        const stored = await uploadTfjsModel(client, file, options.name);
        emit(ctx.out, stored, () =>
          [...stored.shards.map((s) => line("tfjs-shard", s)), line(kind, stored), hint(kind, stored.sha256)].join(
            "\n",
          ),
        );
        return;
      }
      const stored = await send(client, kind, await readBytes(file), options.name ?? path.basename(file), options.abi);
      emit(ctx.out, stored, () => `${line(kind, stored)}\n${hint(kind, stored.sha256)}`);
    });
}
