import { createHash, randomBytes } from "node:crypto";
import { access, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { MfnasError } from "@mfnas/core";
import type { Db } from "../client.ts";
import type { ArtifactKind, Prisma } from "../generated/prisma/client.ts";

const SHA256 = /^[0-9a-f]{64}$/;

export interface PutArtifact {
  readonly bytes: Uint8Array;
  readonly kind: ArtifactKind;
  readonly mediaType?: string;
  /** Genome hash, input shape, precision, exporter version, ... (JSON). */
  readonly metadata?: Prisma.InputJsonObject;
}

export interface StoredArtifact {
  readonly sha256: string;
  readonly uri: string;
  readonly sizeBytes: number;
  /** False when the same bytes were already stored (content addressing makes a second put a no-op). */
  readonly created: boolean;
}

/**
 * Content-addressed artifact store on a local directory (the default; an S3-compatible store implements the same
 * surface). A file's name is its sha256, so the same bytes are stored once; it is written to a temporary file,
 * flushed and renamed into place, so a crash or a full disk never leaves a half-written artifact under its name.
 * Every artifact is also recorded as an Artifact row (sha256 primary key: recording twice is a no-op).
 */
export class LocalArtifactStore {
  constructor(
    private readonly root: string,
    private readonly db: Db,
  ) {}

  /** `file://` URI of an artifact by its digest. */
  uriOf(sha256: string): string {
    return `file://${this.pathOf(sha256)}`;
  }

  async put(artifact: PutArtifact): Promise<StoredArtifact> {
    const sha256 = createHash("sha256").update(artifact.bytes).digest("hex");
    const target = this.pathOf(sha256);
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      const handle = await open(temp, "wx");
      try {
        await handle.writeFile(artifact.bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    } catch (cause) {
      await rm(temp, { force: true });
      throw new MfnasError(
        "transient",
        `could not store artifact ${sha256}: ${(cause as Error).message}`,
        { sha256 },
        { cause },
      );
    }
    const existing = await this.db.artifact.findUnique({ where: { sha256 }, select: { sha256: true } });
    if (!existing) {
      await this.db.artifact.createMany({
        data: [
          {
            sha256,
            kind: artifact.kind,
            uri: this.uriOf(sha256),
            sizeBytes: BigInt(artifact.bytes.byteLength),
            mediaType: artifact.mediaType ?? null,
            metadata: artifact.metadata ?? {},
          },
        ],
        skipDuplicates: true,
      });
    }
    return { sha256, uri: this.uriOf(sha256), sizeBytes: artifact.bytes.byteLength, created: !existing };
  }

  /**
   * The artifact put with `metadata.cacheKey === cacheKey` (derived data cached by what it was computed from, e.g.
   * a teacher's outputs on an image), or null when there is none or its file is gone; the oldest if several.
   */
  async findByCacheKey(cacheKey: string): Promise<string | null> {
    const rows = await this.db.artifact.findMany({
      where: { metadata: { path: ["cacheKey"], equals: cacheKey } },
      select: { sha256: true },
      orderBy: { createdAt: "asc" },
    });
    for (const { sha256 } of rows) {
      try {
        await access(this.pathOf(sha256));
        return sha256;
      } catch {
        // recorded but deleted from disk: not a hit
      }
    }
    return null;
  }

  /** Reads an artifact and checks its digest, so a corrupted file is an error rather than a wrong model. */
  async get(sha256: string): Promise<Uint8Array> {
    if (!SHA256.test(sha256))
      throw new MfnasError("invalid_input", `artifact id must be a sha256 hex digest, got ${JSON.stringify(sha256)}`);
    let bytes: Buffer;
    try {
      bytes = await readFile(this.pathOf(sha256));
    } catch (cause) {
      throw new MfnasError("not_found", `artifact ${sha256} is not in the store`, { sha256 }, { cause });
    }
    const actual = createHash("sha256").update(bytes).digest("hex");
    if (actual !== sha256) {
      throw new MfnasError("conflict", `artifact ${sha256} is corrupt on disk (its bytes hash to ${actual})`, {
        sha256,
      });
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new MfnasError("invalid_input", `not a sha256 digest: ${JSON.stringify(sha256)}`);
    return path.join(this.root, sha256.slice(0, 2), sha256);
  }
}
