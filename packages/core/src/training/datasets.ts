/**
 * The image sets shipped with the model package, addressable by name wherever a dataset is configured (training
 * config `data.train` / `data.val`). A name resolves to a folder inside the package, so it works offline on any
 * machine; "artifact:<sha256>" names an uploaded dataset archive (a tar or tar.gz of images, uploaded as kind
 * dataset), which the trainer unpacks once into its dataset cache; anything else is a user folder (an absolute path,
 * any layout the model package's `resolveLayout` knows).
 *
 * - `photos-train` / `photos-val`: real photographs (public domain / CC0, see the package's assets/photos/LICENSES.md),
 *   7 for training and 3 for validation. The default for real training and for quality figures.
 * - `sample-train` / `sample-val`: the procedural patterns (gratings, zone plates, ...), for unit tests and smoke runs.
 */
export const BUILTIN_DATASETS = ["photos-train", "photos-val", "sample-train", "sample-val"] as const;

export type BuiltinDataset = (typeof BUILTIN_DATASETS)[number];

export function isBuiltinDataset(value: string): value is BuiltinDataset {
  return (BUILTIN_DATASETS as readonly string[]).includes(value);
}

const DATASET_ARTIFACT = /^artifact:([0-9a-f]{64})$/;

/** The sha256 of the uploaded dataset archive a dataset reference names ("artifact:<sha256>"), else undefined. */
export function datasetArtifactSha(ref: string): string | undefined {
  return DATASET_ARTIFACT.exec(ref)?.[1];
}
