import { z } from "zod";
import { BACKEND_NAMES } from "@mfnas/model";
import { envVar, errorMessage, parseEnv } from "@mfnas/core";

const schema = z.object({
  /** Results store. Prisma's `?schema=` parameter selects the Postgres schema (default public). */
  DATABASE_URL: envVar.postgresUrl(),
  /** BullMQ's Redis. The default is the local Redis of a single-machine install. */
  REDIS_URL: envVar.redisUrl().default("redis://127.0.0.1:6379"),
  /** Key prefix of all queues; deployments sharing one Redis use different prefixes. */
  QUEUE_PREFIX: envVar.queuePrefix().default("mfnas"),
  /** Root of the content-addressed artifact store the trainer writes checkpoints to. Relative = to the cwd. */
  ARTIFACT_DIR: z.string().min(1).default(".mfnas/artifacts"),
  /**
   * Folder whose subfolders are validation sets (`validationSet: "Set5"` reads `<root>/Set5`, in any layout the
   * model package's benchmark loader knows). Unset: only the bundled set (`bundled:val`) can be used.
   */
  EVALUATOR_VALIDATION_ROOT: z.string().min(1).optional(),
  /** Candidates evaluated at once by this process. Default 1: one evaluation already keeps the cores busy. */
  EVALUATOR_CONCURRENCY: envVar.positiveInt().default(1),
  /**
   * How candidates run: `onnxruntime` (the exported ONNX graph on ONNX Runtime's CPU provider), `tfjs` (the
   * SubGenerator on the tfjs backend), or `auto` (default): tfjs on a GPU backend, else ONNX Runtime, the faster
   * of the two on a CPU.
   */
  EVALUATOR_PATH: z.enum(["auto", "onnxruntime", "tfjs"]).default("auto"),
  /** Use exactly this tfjs backend (fail if it does not load); unset = the fastest that loads (GPU, native, wasm). */
  EVALUATOR_BACKEND: z.enum(BACKEND_NAMES).optional(),
  /**
   * ONNX Runtime intra-op threads per evaluation. Default 1: candidate graphs are small, and on a CPU one thread per
   * evaluation (raise EVALUATOR_CONCURRENCY to use more cores) beat more threads each (bench/evaluator.ts).
   */
  EVALUATOR_ORT_THREADS: envVar.positiveInt().default(1),
  /**
   * ONNX Runtime's execution provider on the onnxruntime path: `cpu` (default) or `cuda` (needs the CUDA EP
   * binaries, CUDA 12 and cuDNN 9: the evaluator-gpu image). cuda is checked at start; if it does not load the
   * evaluator stops (exit 69, "no GPU backend loaded") instead of evaluating on the CPU.
   */
  EVALUATOR_ORT_PROVIDER: z.enum(["cpu", "cuda"]).default("cpu"),
  /**
   * 1 = refuse to start unless evaluations run on a GPU (tfjs-node-gpu with a device on the tfjs path, the cuda
   * provider on the onnxruntime path), instead of on a CPU. Set in the GPU image.
   */
  REQUIRE_GPU: envVar.flag().default(false),
  /** Decoded supernet checkpoints kept in memory across jobs (least recently used goes first). Default 2. */
  EVALUATOR_CACHED_CHECKPOINTS: envVar.positiveInt().default(2),
  /** Lock time of a running evaluation; unset = the queue's default. Shorter = faster takeover after a crash. */
  EVALUATOR_LOCK_DURATION_MS: envVar.positiveInt().optional(),
  /** How often to look for evaluations whose worker died; unset = the queue's default. */
  EVALUATOR_STALLED_INTERVAL_MS: envVar.positiveInt().optional(),
  /**
   * Port of the /metrics, /healthz and /readyz server Prometheus scrapes. Each service has its own default
   * (searcher 9461, trainer 9462, evaluator 9463, device-lab 9464, scheduler 9465) so that all of them can run on
   * one machine; 0 picks a free port (logged at start).
   */
  METRICS_PORT: envVar.port().default(9463),
  /** Listen address of that server. Default all interfaces: the scraper runs in another container or host. */
  METRICS_HOST: z.string().min(1).default("0.0.0.0"),
  /**
   * How long to wait at start for PostgreSQL and Redis to answer before stopping with one line naming what is
   * unreachable (exit 69). 30 s covers a database started beside the service.
   */
  STARTUP_WAIT_MS: envVar.positiveInt().default(30_000),
  LOG_LEVEL: envVar.logLevel().default("info"),
});

export type EvaluatorEnv = z.infer<typeof schema>;

/** Parses the environment once; a bad or missing variable stops the process with a message naming it. */
export function loadEnv(source: Readonly<Record<string, string | undefined>> = process.env): EvaluatorEnv {
  try {
    return parseEnv(schema, source);
  } catch (error) {
    process.stderr.write(`evaluator: ${errorMessage(error)}\n`);
    process.exit(78); // EX_CONFIG
  }
}
