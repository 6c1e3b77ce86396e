-- Runner binaries (benchmark_model per Android ABI) uploaded through the API.
ALTER TYPE "ArtifactKind" ADD VALUE 'runner';
