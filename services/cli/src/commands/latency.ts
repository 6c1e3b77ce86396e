import { Command, Option } from "commander";
import { LATENCY_STATISTICS, parseSearchSpec, type ApiBody } from "@mfnas/core";
import { CliError } from "../client.ts";
import { readDocument } from "../files.ts";
import { emit } from "../output.ts";
import type { Context } from "../context.ts";

type ProfileRequest = ApiBody<"profileLatencyKernels">;

interface ProfileOptions {
  spec?: string;
  space?: string;
  runtime: string;
  threads: string;
  delegate: string;
  precision: string;
  warmup: string;
  runs: string;
  input: string;
  statistic?: string;
  blockShare?: string;
  seed?: string;
}

/** Flags a spec's target gives: refused together with --spec, never silently ignored. */
const TARGET_FLAGS = ["runtime", "threads", "delegate", "precision", "warmup", "runs", "input", "statistic"] as const;

function integer(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new CliError(`${flag}: ${JSON.stringify(value)} is not a whole number`);
  return Number(value);
}

/** `HxW`, e.g. 64x64. */
function inputSize(value: string): { inputHeight: number; inputWidth: number } {
  const match = /^(\d+)x(\d+)$/.exec(value);
  if (!match) throw new CliError(`--input: ${JSON.stringify(value)} is not HxW (e.g. 64x64)`);
  return { inputHeight: Number(match[1]), inputWidth: Number(match[2]) };
}

/**
 * The profile request: from a search spec's target of the class (its runtime config, input, statistic and space),
 * so the profile serves exactly that search; or from the flags. The API validates every field again.
 */
async function profileRequest(deviceClass: string, o: ProfileOptions): Promise<ProfileRequest> {
  const sampling = {
    ...(o.blockShare !== undefined ? { blockShare: Number(o.blockShare) } : {}),
    ...(o.space !== undefined ? { space: (await readDocument(o.space)) as NonNullable<ProfileRequest["space"]> } : {}),
    ...(o.seed !== undefined ? { seed: integer(o.seed, "--seed") } : {}),
  };
  if (o.spec !== undefined) {
    const spec = parseSearchSpec(await readDocument(o.spec));
    const target = spec.targets.find((t) => t.deviceClass === deviceClass);
    if (!target) throw new CliError(`${o.spec}: no target has device class ${deviceClass}`);
    return {
      runtimeConfig: target.runtimeConfig,
      inputHeight: target.input.height,
      inputWidth: target.input.width,
      ...(target.latencyStatistic ? { statistic: target.latencyStatistic } : {}),
      ...(spec.space ? { space: spec.space } : {}),
      ...sampling,
    };
  }
  return {
    runtimeConfig: {
      runtime: o.runtime as ProfileRequest["runtimeConfig"]["runtime"],
      threads: integer(o.threads, "--threads"),
      delegate: o.delegate as ProfileRequest["runtimeConfig"]["delegate"],
      precision: o.precision as ProfileRequest["runtimeConfig"]["precision"],
      warmupRuns: integer(o.warmup, "--warmup"),
      runs: integer(o.runs, "--runs"),
    },
    ...inputSize(o.input),
    ...(o.statistic !== undefined ? { statistic: o.statistic as NonNullable<ProfileRequest["statistic"]> } : {}),
    ...sampling,
  };
}

export function latencyCommand(ctx: Context): Command {
  const latency = new Command("latency").description("latency predictors: kernel profiles per device class");
  latency
    .command("profile")
    .description(
      "queue latency.profile: measure the latency kernels of the search space on a phone of <deviceClass> " +
        "(the kernel profile a predicted-latency search starts from)",
    )
    .argument("<deviceClass>", "device class to profile, e.g. sm8250 or host-cpu")
    .option("--spec <file>", "take runtime config, input, statistic and space from this search spec's target")
    .option("--space <file>", "a narrowing of the default search space (YAML or JSON, as a spec's space)")
    .option("--runtime <runtime>", "runtime", "tflite")
    .option("--threads <n>", "threads", "4")
    .option("--delegate <delegate>", "delegate", "xnnpack")
    .option("--precision <precision>", "precision (fp32 or fp16)", "fp32")
    .option("--warmup <n>", "warm-up runs per measurement", "5")
    .option("--runs <n>", "timed runs per repetition", "50")
    .option("--input <HxW>", "LR input size", "64x64")
    .addOption(new Option("--statistic <statistic>", "the figure the profile keeps").choices(LATENCY_STATISTICS))
    .option("--block-share <share>", "share of per-block kernels measured besides the extremes (default 0.25)")
    .option("--seed <n>", "seed of the per-block sample (default 1)")
    .action(async (deviceClass: string, options: ProfileOptions, command: Command) => {
      if (options.spec !== undefined) {
        const given = TARGET_FLAGS.filter((flag) => command.getOptionValueSource(flag) === "cli");
        if (given.length > 0) {
          throw new CliError(`--spec gives the target; leave out ${given.map((f) => `--${f}`).join(", ")}`);
        }
      }
      const body = await profileRequest(deviceClass, options);
      const queued = await ctx.client().call("profileLatencyKernels", { params: { deviceClass }, body });
      emit(ctx.out, queued, () => `queued latency.profile for ${deviceClass} (job ${queued.jobId})`);
    });
  return latency;
}
