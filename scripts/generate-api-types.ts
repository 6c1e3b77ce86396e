// Writes packages/core/src/api/api-types.ts from the API's OpenAPI document. The API is built, not started:
// nothing connects to PostgreSQL or Redis, so this runs anywhere the dependencies are installed.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildApi } from "@mfnas/api";
import { LocalArtifactStore, createDb } from "@mfnas/store";
import { API_TYPES_FILE, apiTypesSource, type OpenApiDocument } from "./api-types/render.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const db = createDb("postgresql://unused@127.0.0.1:1/unused");
const artifactDir = await mkdtemp(path.join(os.tmpdir(), "mfnas-api-types-"));
const unused = () => Promise.reject(new Error("the API is only built here, never called"));
const app = await buildApi({
  db,
  jobs: { enqueue: unused, queue: () => ({}) as never } as never,
  artifacts: new LocalArtifactStore(artifactDir, db),
  options: { rateLimit: false },
});
const document = app.swagger() as unknown as OpenApiDocument;
await app.close();
await rm(artifactDir, { recursive: true, force: true });
await writeFile(path.join(ROOT, API_TYPES_FILE), await apiTypesSource(document, ROOT));
console.log(`api-types: wrote ${API_TYPES_FILE} (${Object.keys(document.paths).length} paths)`);
