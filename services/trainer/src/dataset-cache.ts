/**
 * Uploaded dataset archives (training config `data.train` / `data.val` = "artifact:<sha256>") unpacked once into a
 * cache folder named by the archive's sha256, then opened like any image folder. Only the archive's PNG/JPEG files
 * are written, at paths checked to stay inside the folder; they are written into a temporary folder that is renamed
 * into place when complete, so a failed or interrupted unpacking never leaves a half-written dataset under the name.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { MfnasError, readDatasetArchive, type DatasetArchive } from "@mfnas/core";

export interface DatasetCacheOptions {
  /** Largest size the archive may unpack to (bytes). Default `DEFAULT_DATASET_UNPACKED_LIMIT` of @mfnas/core. */
  readonly maxBytes?: number;
}

async function isFolder(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/**
 * The folder the dataset archive `sha256` unpacks to under `cacheDir`, unpacking `load()`'s bytes first unless that
 * was done before. Images under one top folder (`tar czf set.tgz set/`) are opened from that folder. Throws an
 * invalid_input MfnasError saying what is wrong with the archive (not a tar/tar.gz, too large, an unsafe entry, no
 * image); `load()`'s own errors (a missing artifact) pass through, and so do file-system errors (transient).
 */
export async function unpackedDataset(
  cacheDir: string,
  sha256: string,
  load: () => Promise<Uint8Array>,
  options: DatasetCacheOptions = {},
): Promise<string> {
  const root = path.resolve(cacheDir);
  const target = path.join(root, sha256);
  if (!(await isFolder(target))) {
    let archive: DatasetArchive;
    try {
      archive = readDatasetArchive(await load(), options);
    } catch (error) {
      if (error instanceof MfnasError) throw error;
      const why = (error as Error).message;
      throw new MfnasError("invalid_input", `artifact ${sha256} is not a dataset archive: ${why}`, { sha256 });
    }
    await mkdir(root, { recursive: true });
    const temp = path.join(root, `.${sha256}.${randomBytes(6).toString("hex")}.tmp`);
    try {
      for (const image of archive.images) {
        const file = path.resolve(temp, image.name);
        // readDatasetArchive refuses absolute and `..` names; this keeps the guarantee where it matters.
        if (!file.startsWith(temp + path.sep)) {
          throw new MfnasError(
            "invalid_input",
            `artifact ${sha256}: the entry ${JSON.stringify(image.name)} is unsafe`,
          );
        }
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, image.data, { flag: "wx" });
      }
      await rename(temp, target).catch(async (error: unknown) => {
        // Another trainer finished the same archive first: its folder holds the same files.
        if (!(await isFolder(target))) throw error;
      });
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }
  const top = await readdir(target, { withFileTypes: true });
  const only = top[0];
  return top.length === 1 && only?.isDirectory() ? path.join(target, only.name) : target;
}
