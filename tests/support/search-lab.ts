import * as tfCore from "@tensorflow/tfjs-core";
import {
  DEFAULT_SEARCH_SPACE,
  narrowSpace,
  parseSearchSpec,
  type SearchSpaceOverride,
  type SearchSpec,
} from "@mfnas/core";
import { MfaSupernet, encodeSupernetCheckpoint, selectBackend, supernetCheckpointEntries } from "@mfnas/model";
import { LocalArtifactStore, SupernetRepository, type Db } from "@mfnas/store";

/** The step the seeded checkpoint is stored at. */
const SEEDED_CHECKPOINT_STEP = 10;

/**
 * A Supernet row over `space` with one checkpoint as the trainer stores one (untrained, seeded weights: they
 * score real, low PSNRs), written through the artifact store. Returns the supernet's id.
 */
export async function seedSupernetCheckpoint(
  db: Db,
  artifactDir: string,
  options: { name: string; space: SearchSpaceOverride; outputInitScale?: number },
): Promise<string> {
  const { tf } = await selectBackend(tfCore, { prefer: "cpu", training: false });
  const supernet = new MfaSupernet(tf, narrowSpace(DEFAULT_SEARCH_SPACE, options.space), {
    seed: 4,
    ...(options.outputInitScale !== undefined ? { outputInitScale: options.outputInitScale } : {}),
  });
  const step = SEEDED_CHECKPOINT_STEP;
  const bytes = await encodeSupernetCheckpoint(supernetCheckpointEntries(supernet), { format: 1, step });
  supernet.dispose();
  const supernets = new SupernetRepository(db);
  const { id } = await supernets.create({ name: options.name, searchSpace: options.space, trainingConfig: {} });
  const { sha256 } = await new LocalArtifactStore(artifactDir, db).put({ bytes, kind: "checkpoint" });
  await supernets.recordCheckpoint({ supernetId: id, step, artifactSha256: sha256, metrics: {} });
  return id;
}

/** A small PSNR-vs-latency search of `space` measured on emulated phones (class host-cpu) at LR 32x32. */
export function hostCpuSearchSpec(options: {
  name: string;
  seed: number;
  supernetId: string;
  space: SearchSpaceOverride;
  generations: number;
  population: number;
  remeasure: boolean;
}): SearchSpec {
  return parseSearchSpec({
    name: options.name,
    seed: options.seed,
    supernet: { id: options.supernetId },
    space: options.space,
    referenceInput: { height: 32, width: 32 },
    targets: [
      {
        deviceClass: "host-cpu",
        runtimeConfig: {
          runtime: "tflite",
          threads: 1,
          delegate: "xnnpack",
          precision: "fp32",
          warmupRuns: 1,
          runs: 3,
        },
        input: { height: 32, width: 32 },
      },
    ],
    objectives: ["psnr", "latency"],
    budget: { generations: options.generations, population: options.population },
    final: { remeasure: options.remeasure, exportFormats: ["tflite"] },
  });
}
