import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const MODULE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../tools/flush-subnormals.mjs");

/** Runs a fresh Node process that loads the module, so each case starts with IEEE subnormals. */
async function inFreshProcess(env: Record<string, string>) {
  const script = `import { flushSubnormals, subnormalsFlushed } from ${JSON.stringify(MODULE)};
const before = subnormalsFlushed();
const result = flushSubnormals();
console.log(JSON.stringify({ before, result, after: subnormalsFlushed(), product: Number.parseFloat("1e-310") * 3 }));`;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...process.env, ...env },
  });
  return JSON.parse(stdout) as {
    before: boolean;
    result: { flushed: boolean; detail: string };
    after: boolean;
    product: number;
  };
}

describe("flush-to-zero for the emulated phone's runner", () => {
  it("builds the library with the host's compiler, and subnormals then read as zero on the thread", async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), "mfnas-ftz-"));
    const first = await inFreshProcess({ TMPDIR: tmp });
    expect(first.before).toBe(false);
    expect(first.result).toEqual({ flushed: true, detail: expect.stringContaining(tmp) as string });
    expect(first.after).toBe(true);
    expect(first.product).toBe(0);
    // A second process loads the built library without compiling again.
    const second = await inFreshProcess({ TMPDIR: tmp, CC: "/nonexistent/cc" });
    expect(second.result.flushed).toBe(true);
  });

  it("without a compiler it says why and leaves the thread as it was", async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), "mfnas-ftz-"));
    const result = await inFreshProcess({ TMPDIR: tmp, CC: "/nonexistent/cc" });
    expect(result.result.flushed).toBe(false);
    expect(result.result.detail).toMatch(/nonexistent\/cc/);
    expect(result.after).toBe(false);
    expect(result.product).toBeGreaterThan(0);
  });

  it("the runner reports the mode in its output, and warns when subnormals are kept", async () => {
    const tool = path.resolve(path.dirname(MODULE), "benchmark-model-litert.mjs");
    const flags = ["--graph=/nonexistent.tflite"];
    const failed = (env: Record<string, string>) =>
      run(process.execPath, [tool, ...flags], { env: { ...process.env, ...env } }).catch(
        (error: { stdout: string }) => error.stdout,
      );
    expect(await failed({})).not.toMatch(/WARNING: Emulated phone: subnormal/);
    expect(await failed({ MFNAS_EMULATED_SUBNORMALS: "keep" })).toMatch(
      /WARNING: Emulated phone: subnormal floats are not flushed \(MFNAS_EMULATED_SUBNORMALS=keep\)/,
    );
  });
});
