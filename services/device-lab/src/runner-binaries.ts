import { readFile } from "node:fs/promises";
import path from "node:path";
import { ArtifactQueryRepository, type Db, type LocalArtifactStore } from "@mfnas/store";
import type { RunnerBinaries } from "./agent.ts";

const ABI = /^[A-Za-z0-9_-]+$/;

/**
 * Where the agent finds the benchmark_model binary for a phone's ABI: the runner uploaded last for that ABI
 * (`POST /v1/artifacts?kind=runner&abi=...`, `mfnas upload runner`), else `<dir>/<abi>/benchmark_model` when the
 * operator keeps binaries in a directory on this host; undefined when neither has one.
 */
export function runnerBinaries(db: Db, artifacts: Pick<LocalArtifactStore, "get">, dir?: string): RunnerBinaries {
  const uploads = new ArtifactQueryRepository(db);
  return async (abi) => {
    if (!ABI.test(abi)) return undefined;
    const uploaded = await uploads.latestRunner(abi);
    if (uploaded) return artifacts.get(uploaded.sha256);
    if (dir === undefined) return undefined;
    return readFile(path.join(dir, abi, "benchmark_model")).then(
      (bytes) => new Uint8Array(bytes),
      () => undefined,
    );
  };
}
