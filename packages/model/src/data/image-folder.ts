/**
 * Finding images on disk: recursive, sorted listings of image folders, and the benchmark layouts SR repositories ship
 * (BasicSR, EDSR, SelfExSR, DIV2K), each resolved to an explicit list of HR/LR file pairs.
 */
import { readdir, stat } from "node:fs/promises";
import { basename, dirname, extname, join, relative, sep } from "node:path";
import { MfnasError } from "@mfnas/core";

const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg"]);

export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
}

/** How a benchmark folder is organised; "hr-folder" means HR images only, with LR made by imresize. */
export type DatasetLayout = "hr-folder" | "gtmod-lrbic" | "hr-lr-bicubic" | "div2k" | "srf";

/** One image of a dataset: its HR file and, unless LR is made on the fly, its LR file. */
export interface DatasetEntry {
  /** Path of the HR file relative to the dataset root, with "/" separators; unique and stable. */
  readonly name: string;
  readonly hrPath: string;
  readonly lrPath?: string;
}

export interface ResolvedLayout {
  readonly layout: DatasetLayout;
  readonly root: string;
  readonly entries: readonly DatasetEntry[];
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Image files under `root` (recursively unless told otherwise), as absolute paths sorted by relative path. */
export async function listImages(root: string, recursive = true): Promise<string[]> {
  if (!(await isDirectory(root))) {
    throw new MfnasError("not_found", `${root}: image folder does not exist`, { path: root });
  }
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && recursive && !entry.name.startsWith(".")) await walk(path);
      else if (entry.isFile() && isImageFile(entry.name)) found.push(path);
    }
  };
  await walk(root);
  // Code-unit order of the relative path: the same on every machine and locale, so seeded runs repeat.
  const key = (path: string) => relative(root, path).split(sep).join("/");
  return found.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function stem(path: string): string {
  return basename(path, extname(path));
}

/** Pairs every HR file with the LR file whose stem `lrStem` names; a missing LR file is an error naming both. */
async function pairFiles(
  root: string,
  hrDir: string,
  lrDir: string,
  lrStem: (hrStem: string) => string,
  hrFilter: (path: string) => boolean = () => true,
): Promise<DatasetEntry[]> {
  const hrFiles = (await listImages(hrDir, false)).filter(hrFilter);
  if (hrFiles.length === 0)
    throw new MfnasError("invalid_input", `${hrDir}: no .png/.jpg/.jpeg HR images`, { path: hrDir });
  const lrByStem = new Map((await listImages(lrDir, false)).map((path) => [stem(path), path]));
  return hrFiles.map((hrPath) => {
    const wanted = lrStem(stem(hrPath));
    const lrPath = lrByStem.get(wanted);
    if (lrPath === undefined) {
      throw new MfnasError(
        "invalid_input",
        `no LR image for ${hrPath}: expected ${join(lrDir, wanted)}${extname(hrPath)} (or .png/.jpg/.jpeg)`,
        { hrPath, lrDir },
      );
    }
    return { name: relative(root, hrPath).split(sep).join("/"), hrPath, lrPath };
  });
}

/**
 * Recognises the benchmark layout of `root` for factor `scale`:
 * - `GTmod12/*.png` + `LRbicx{s}/*.png`, same file names (BasicSR's Set5/Set14 downloads);
 * - `HR/*.png` + `LR_bicubic/X{s}/*x{s}.png` (EDSR's benchmark folder: Set5, Set14, B100, Urban100);
 * - `DIV2K_{split}_HR/0801.png` + `DIV2K_{split}_LR_bicubic/X{s}/0801x{s}.png` (root may be either the folder
 *   holding both or the HR folder itself);
 * - `image_SRF_{s}/*_SRF_{s}_HR.png` + `*_SRF_{s}_LR.png` (SelfExSR's original distribution);
 * - otherwise a folder of HR images (searched recursively): LR is made by imresize.
 * An HR folder whose LR folder for this scale is missing is an error naming the folder looked for.
 */
export async function resolveLayout(
  root: string,
  scale: number,
  split: "train" | "valid" | undefined,
): Promise<ResolvedLayout> {
  if (!(await isDirectory(root))) throw new MfnasError("not_found", `${root}: dataset folder does not exist`, { root });

  const div2kHr = /^DIV2K_(train|valid)_HR$/.exec(basename(root));
  if (div2kHr) return resolveLayout(dirname(root), scale, div2kHr[1] as "train" | "valid");

  const requireLr = async (hrDir: string, lrDir: string): Promise<void> => {
    if (!(await isDirectory(lrDir))) {
      throw new MfnasError("invalid_input", `${root}: found HR folder ${hrDir} but no x${scale} LR folder ${lrDir}`, {
        root,
        hrDir,
        lrDir,
      });
    }
  };

  const splits = split ? [split] : (["valid", "train"] as const);
  for (const s of splits) {
    const hrDir = join(root, `DIV2K_${s}_HR`);
    if (await isDirectory(hrDir)) {
      const lrDir = join(root, `DIV2K_${s}_LR_bicubic`, `X${scale}`);
      await requireLr(hrDir, lrDir);
      return { layout: "div2k", root, entries: await pairFiles(root, hrDir, lrDir, (h) => `${h}x${scale}`) };
    }
  }
  if (split) throw new MfnasError("invalid_input", `${root}: no DIV2K_${split}_HR folder`, { root, split });

  const gtmod = join(root, "GTmod12");
  if (await isDirectory(gtmod)) {
    const lrDir = join(root, `LRbicx${scale}`);
    await requireLr(gtmod, lrDir);
    return { layout: "gtmod-lrbic", root, entries: await pairFiles(root, gtmod, lrDir, (h) => h) };
  }

  const hr = join(root, "HR");
  if (await isDirectory(hr)) {
    const lrDir = join(root, "LR_bicubic", `X${scale}`);
    await requireLr(hr, lrDir);
    return { layout: "hr-lr-bicubic", root, entries: await pairFiles(root, hr, lrDir, (h) => `${h}x${scale}`) };
  }

  const srf = join(root, `image_SRF_${scale}`);
  if (await isDirectory(srf)) {
    const hrSuffix = `_SRF_${scale}_HR`;
    const entries = await pairFiles(
      root,
      srf,
      srf,
      (h) => `${h.slice(0, -hrSuffix.length)}_SRF_${scale}_LR`,
      (path) => stem(path).endsWith(hrSuffix),
    );
    return { layout: "srf", root, entries };
  }

  const images = await listImages(root);
  if (images.length === 0) {
    throw new MfnasError(
      "invalid_input",
      `${root}: no images and no known layout (looked for GTmod12/, HR/, DIV2K_*_HR/, image_SRF_${scale}/)`,
      { root },
    );
  }
  const entries = images.map((hrPath) => ({ name: relative(root, hrPath).split(sep).join("/"), hrPath }));
  return { layout: "hr-folder", root, entries };
}
