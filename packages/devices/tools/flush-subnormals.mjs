// Puts the calling thread in flush-to-zero mode (see flush-subnormals.c) for the emulated phone's runner: loads
// the library named by MFNAS_FLUSH_SUBNORMALS_LIBRARY (images build it in advance), or else builds the C file once
// per source, architecture and Node-API version with the host's C compiler (cc, or $CC) into the temp directory;
// then checks the mode took effect with a subnormal multiplication.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), "flush-subnormals.c");

/** Whether subnormal doubles read as zero on this thread right now (DAZ applies to JavaScript's doubles too). */
export function subnormalsFlushed() {
  return Number.parseFloat("5e-324") * 2 === 0;
}

/**
 * Sets flush-to-zero on this thread; returns `{ flushed, detail }` and never throws: without a C compiler the
 * runner still runs, and says so in its output.
 */
export function flushSubnormals() {
  if (subnormalsFlushed()) return { flushed: true, detail: "already set" };
  const source = readFileSync(SOURCE);
  const key = createHash("sha256")
    .update(source)
    .update(`${process.arch}\0${process.versions.napi}`)
    .digest("hex")
    .slice(0, 16);
  const prebuilt = process.env.MFNAS_FLUSH_SUBNORMALS_LIBRARY;
  const library = prebuilt || path.join(os.tmpdir(), `mfnas-flush-subnormals-${key}.node`);
  try {
    if (!prebuilt && !existsSync(library)) {
      const partial = `${library}.${process.pid}.tmp`;
      try {
        execFileSync(process.env.CC || "cc", ["-shared", "-fPIC", "-O2", "-o", partial, SOURCE], { stdio: "pipe" });
        renameSync(partial, library);
      } finally {
        rmSync(partial, { force: true });
      }
    }
    process.dlopen({ exports: {} }, library);
  } catch (error) {
    const message = String(error?.stderr?.toString().trim() || error?.message || error).split("\n")[0];
    return { flushed: false, detail: message };
  }
  return subnormalsFlushed()
    ? { flushed: true, detail: library }
    : { flushed: false, detail: `${library} loaded, mode not set` };
}
