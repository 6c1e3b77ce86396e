import { describe, expect, it } from "vitest";
import { MfnasError } from "@mfnas/core";
import { selectBackend } from "./select-backend.ts";
import { tf } from "./test-support.ts";

const notFound = (specifier: string) =>
  Object.assign(new Error(`Cannot find package '${specifier}' imported from here`), { code: "ERR_MODULE_NOT_FOUND" });

/** Loads the real wasm/cpu packages; the tfjs-node packages behave as `node` says. */
function importer(node: Record<string, () => Promise<unknown>> = {}) {
  return async (specifier: string): Promise<unknown> => {
    const fake = node[specifier];
    if (fake !== undefined) return fake();
    if (specifier.includes("tfjs-node")) throw notFound(specifier);
    return import(specifier);
  };
}

describe("selectBackend", () => {
  it("falls through to wasm when tfjs-node is absent, and says why", async () => {
    const lines: string[] = [];
    const chosen = await selectBackend(tf, { importModule: importer(), log: (l) => lines.push(l) });
    expect(chosen.name).toBe("wasm");
    expect(chosen.tf).toBe(tf);
    expect(tf.getBackend()).toBe("wasm");
    expect(chosen.threads).toBeGreaterThanOrEqual(1);
    expect(chosen.reason).toContain("@tensorflow/tfjs-node-gpu is not installed");
    expect(chosen.reason).toContain("@tensorflow/tfjs-node is not installed");
    expect(chosen.reason).toMatch(/SIMD (on|off)/);
    expect(lines).toEqual([expect.stringContaining("tfjs backend: wasm")]);
    // Prepared for training: the wasm backprop kernel and the gradients tfjs-core lacks are registered.
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeDefined();
    expect(tf.getGradient("DepthToSpace")).toBeDefined();
  });

  it("reports a tfjs-node that is installed but broken, then moves on", async () => {
    const chosen = await selectBackend(tf, {
      importModule: importer({
        "@tensorflow/tfjs-node-gpu": () =>
          Promise.reject(new Error("libcudart.so.11.0: cannot open shared object file")),
      }),
    });
    expect(chosen.name).toBe("wasm");
    expect(chosen.reason).toContain("@tensorflow/tfjs-node-gpu failed to load: libcudart.so.11.0");
  });

  it("uses tfjs-node's own tf namespace when it loads", async () => {
    // A stand-in for the tfjs-node module: a whole tf namespace whose "tensorflow" backend initialises.
    const nodeTf = { ...tf, setBackend: () => Promise.resolve(true), getBackend: () => "tensorflow" };
    const chosen = await selectBackend(tf, {
      importModule: importer({ "@tensorflow/tfjs-node": () => Promise.resolve(nodeTf) }),
    });
    expect(chosen.name).toBe("tensorflow");
    expect(chosen.tf).toBe(nodeTf);
    expect(chosen.reason).toContain("@tensorflow/tfjs-node-gpu is not installed");
    expect(chosen.reason).toContain("native TensorFlow");
  });

  it("passes over a tfjs-node whose backend does not initialise", async () => {
    const nodeTf = { ...tf, setBackend: () => Promise.resolve(false) };
    const chosen = await selectBackend(tf, {
      importModule: importer({ "@tensorflow/tfjs-node": () => Promise.resolve(nodeTf) }),
    });
    expect(chosen.name).toBe("wasm");
    expect(chosen.reason).toContain("@tensorflow/tfjs-node loaded but its backend did not initialise");
  });

  it("honours an available preference", async () => {
    const chosen = await selectBackend(tf, { prefer: "cpu", importModule: importer() });
    expect(chosen).toMatchObject({ name: "cpu", threads: 1 });
    expect(chosen.reason).toContain("preferred");
    expect(tf.getBackend()).toBe("cpu");
  });

  it("rejects an unavailable preference with an unsupported MfnasError instead of falling back", async () => {
    const error: unknown = await selectBackend(tf, { prefer: "tensorflow", importModule: importer() }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MfnasError);
    expect((error as MfnasError).code).toBe("unsupported");
    expect((error as MfnasError).message).toContain(
      'backend "tensorflow" is not available: tensorflow: @tensorflow/tfjs-node is not installed',
    );
  });

  it("works with its default importer, telling a missing tfjs-node from a broken one", async () => {
    const chosen = await selectBackend(tf);
    if (chosen.name === "wasm") {
      // The case on machines without tfjs-node (like CI here): both are reported as not installed.
      expect(chosen.reason).toContain("@tensorflow/tfjs-node-gpu is not installed");
      expect(chosen.reason).toContain("@tensorflow/tfjs-node is not installed");
    } else {
      expect(["tensorflow-gpu", "tensorflow"]).toContain(chosen.name);
    }
  });
});
