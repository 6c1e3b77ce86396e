import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { inspectUpload } from "./uploads.ts";

/** A ustar archive of the given files (names and contents), as `tar` writes it. */
function tar(files: Array<[string, string]>): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const [name, content] of files) {
    const header = new Uint8Array(512);
    const put = (text: string, at: number) => header.set(new TextEncoder().encode(text), at);
    put(name, 0);
    put("0000644\0", 100);
    put(`${content.length.toString(8).padStart(11, "0")}\0`, 124);
    put("0", 156);
    put("ustar\u000000", 257);
    blocks.push(header);
    const body = new Uint8Array(Math.ceil(content.length / 512) * 512);
    body.set(new TextEncoder().encode(content));
    blocks.push(body);
  }
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let offset = 0;
  for (const b of blocks) {
    out.set(b, offset);
    offset += b.length;
  }
  return out;
}

function safetensors(header: object, data = 4): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(8 + json.length + data);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  return bytes;
}

function elf(machine: number, bigEndian = false): Uint8Array {
  const bytes = new Uint8Array(64);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, bigEndian ? 2 : 1], 0);
  new DataView(bytes.buffer).setUint16(18, machine, !bigEndian);
  return bytes;
}

describe("inspectUpload", () => {
  it("reads a safetensors header and counts its tensors", () => {
    const bytes = safetensors({ __metadata__: {}, "conv.weight": { dtype: "F32", shape: [1], data_offsets: [0, 4] } });
    expect(inspectUpload("teacher-weights", bytes)).toMatchObject({
      artifactKind: "weights",
      metadata: { tensors: 1 },
    });
    const lying = safetensors({ a: 1 });
    new DataView(lying.buffer).setBigUint64(0, 1_000_000n, true);
    expect(() => inspectUpload("teacher-weights", lying)).toThrow(/header of 1000000 bytes/);
    expect(() => inspectUpload("teacher-weights", safetensors({ __metadata__: {} }))).toThrow(/lists no tensors/);
  });

  it("lists a model.json's shards and refuses file-name paths", () => {
    const sha = "c".repeat(64);
    const model = { modelTopology: {}, weightsManifest: [{ paths: [sha], weights: [] }] };
    const ok = inspectUpload("tfjs-model", new TextEncoder().encode(JSON.stringify(model)));
    expect(ok.references).toEqual([sha]);
    const named = { ...model, weightsManifest: [{ paths: ["group1-shard1of1.bin"] }] };
    expect(() => inspectUpload("tfjs-model", new TextEncoder().encode(JSON.stringify(named)))).toThrow(
      /weightsManifest\.0\.paths holds "group1-shard1of1\.bin"/,
    );
  });

  it("takes tar and tar.gz archives of images, and refuses traversal, truncation and archives without images", () => {
    const archive = tar([
      ["photos/a.png", "png"],
      ["photos/b.JPG", "jpeg"],
      ["photos/notes.txt", "x"],
    ]);
    expect(inspectUpload("dataset", archive).metadata).toMatchObject({ images: 2, files: 3 });
    expect(inspectUpload("dataset", gzipSync(archive))).toMatchObject({ mediaType: "application/gzip" });
    expect(() => inspectUpload("dataset", tar([["../etc/a.png", "x"]]))).toThrow(/outside its folder/);
    expect(() => inspectUpload("dataset", tar([["notes.txt", "x"]]))).toThrow(/no PNG or JPEG image/);
    const mac = tar([
      ["set/._a.png", "AppleDouble"],
      ["set/a.png", "x"],
    ]);
    expect(inspectUpload("dataset", mac).metadata).toMatchObject({ images: 1, files: 2 });
    const cut = tar([["a.png", "y".repeat(2_000)]]).subarray(0, 1_024);
    expect(() => inspectUpload("dataset", cut)).toThrow(/truncated/);
  });

  it("checks a runner's ELF machine against its ABI, in either byte order", () => {
    expect(inspectUpload("runner", elf(0xb7), { abi: "arm64-v8a" }).metadata).toMatchObject({ abi: "arm64-v8a" });
    expect(inspectUpload("runner", elf(0x28, true), { abi: "armeabi-v7a" }).artifactKind).toBe("runner");
    expect(() => inspectUpload("runner", elf(0x3e), { abi: "arm64-v8a" })).toThrow(/built for x86_64, not arm64-v8a/);
    expect(() => inspectUpload("runner", elf(0xb7), { abi: "mips" })).toThrow(/abi "mips" is not one of/);
    expect(() => inspectUpload("tfjs-shard", new Uint8Array(8), { abi: "x86" })).toThrow(/abi is only for runner/);
  });
});
