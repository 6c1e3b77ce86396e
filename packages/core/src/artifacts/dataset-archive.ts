import path from "node:path";
import { gunzipSync } from "node:zlib";

/** One regular file of a tar archive: its path inside the archive and its bytes (a view into the archive). */
export interface ArchiveFile {
  readonly name: string;
  readonly data: Uint8Array;
}

/** What a dataset archive holds: its image files (PNG or JPEG) and how many files it has in all. */
export interface DatasetArchive {
  readonly gzipped: boolean;
  readonly images: readonly ArchiveFile[];
  readonly files: number;
}

/**
 * Largest archive a dataset may unpack to, by default (3 GiB): past the 1 GiB upload limit of PNG/JPEG archives
 * (already compressed, so their tar is about as large), under the 4 GiB a Node Buffer can hold.
 */
export const DEFAULT_DATASET_UNPACKED_LIMIT = 3 * 1024 ** 3;

const IMAGE = /\.(png|jpe?g)$/i;

/** Regular files of a ustar archive; throws when the bytes are not one. */
function tarFiles(tar: Uint8Array): ArchiveFile[] {
  const files: ArchiveFile[] = [];
  const text = new TextDecoder();
  let offset = 0;
  while (offset + 512 <= tar.byteLength) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) return files;
    if (text.decode(header.subarray(257, 262)) !== "ustar") throw new Error(`no ustar header at byte ${offset}`);
    const field = (start: number, length: number) =>
      text.decode(header.subarray(start, start + length)).replace(/\0.*$/s, "");
    const name = [field(345, 155), field(0, 100)].filter((s) => s !== "").join("/");
    const size = parseInt(field(124, 12).trim() || "0", 8);
    if (!Number.isFinite(size)) throw new Error(`entry ${name} has no readable size`);
    const type = field(156, 1);
    const start = offset + 512;
    if (start + size > tar.byteLength) break;
    if (type === "0" || type === "") files.push({ name, data: tar.subarray(start, start + size) });
    offset = start + Math.ceil(size / 512) * 512;
  }
  if (offset < tar.byteLength) throw new Error("the archive ends inside an entry (truncated)");
  return files;
}

/**
 * Reads a dataset archive (a tar or tar.gz of HR images): its PNG/JPEG files, every other file (and macOS's
 * "._" metadata files) counted and left out. Throws an Error saying what is wrong when the bytes are not such an archive, unpack past `maxBytes`
 * (default `DEFAULT_DATASET_UNPACKED_LIMIT`), hold an entry that would be written outside its folder (an absolute
 * path or a `..` part) or hold no image.
 */
export function readDatasetArchive(bytes: Uint8Array, options: { maxBytes?: number } = {}): DatasetArchive {
  const maxBytes = options.maxBytes ?? DEFAULT_DATASET_UNPACKED_LIMIT;
  const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
  let tar = bytes;
  if (gzipped) {
    try {
      tar = new Uint8Array(gunzipSync(bytes, { maxOutputLength: maxBytes }));
    } catch (error) {
      const tooLarge = error instanceof RangeError || (error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE";
      throw new Error(
        tooLarge ? `it unpacks to more than ${maxBytes} bytes` : `not gzip data (${(error as Error).message})`,
        { cause: error },
      );
    }
  } else if (bytes.byteLength > maxBytes) {
    throw new Error(`it is ${bytes.byteLength} bytes, more than ${maxBytes}`);
  }
  let files: ArchiveFile[];
  try {
    files = tarFiles(tar);
  } catch (error) {
    throw new Error(`not a tar or tar.gz archive of images (${(error as Error).message})`, { cause: error });
  }
  const unsafe = files.find((f) => f.name.startsWith("/") || f.name.split("/").includes(".."));
  if (unsafe !== undefined)
    throw new Error(`the entry ${JSON.stringify(unsafe.name)} would be written outside its folder`);
  // macOS tar adds an AppleDouble file ("._name.png", metadata, not an image) beside each file it archives.
  const images = files.filter((f) => IMAGE.test(f.name) && !path.posix.basename(f.name).startsWith("._"));
  if (images.length === 0) throw new Error(`the archive holds ${files.length} files and no PNG or JPEG image`);
  return { gzipped, images, files: files.length };
}
