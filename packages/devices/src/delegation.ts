import type { RuntimeConfig } from "@mfnas/core";
import { toolLine } from "./tool-line.ts";

/**
 * How much of the graph a delegate took, as benchmark_model and the TFLite runtime say it:
 * - `complete`: "Explicitly applied GPU delegate, and the model graph will be completely executed by the delegate."
 *   (TF 2.3 on), "Applied GPU delegate, and the model graph will be completely executed w/ the delegate." (TF 2.1/2.2),
 *   or "Replacing N out of N node(s) with delegate (..) node, yielding 1 partitions";
 * - `partial`: "... partially executed by the delegate w/ K delegate kernels.", "Replacing N out of M node(s)" with
 *   N < M, more than one partition, or the GPU delegate's "N operations will run on the GPU, and the remaining M
 *   operations will run on the CPU";
 * - `none`: "Though NNAPI delegate is explicitly applied, the model graph will not be executed by the delegate.";
 * - `failed`: "Failed to apply NNAPI delegate." (the tool then stops, or runs on the CPU).
 */
export type DelegationStatus = "complete" | "partial" | "none" | "failed";

export interface Delegation {
  /** Per delegate name as the tool prints it ("GPU", "NNAPI", "XNNPACK", "Hexagon"), the last word said. */
  readonly delegates: Readonly<Record<string, DelegateReport>>;
}

export interface DelegateReport {
  readonly status: DelegationStatus;
  /** Delegate kernels (partitions) when the tool said. */
  readonly kernels: number | null;
  /** Nodes replaced and nodes in the graph, from "Replacing N out of M node(s)". */
  readonly nodesDelegated: number | null;
  readonly nodesTotal: number | null;
  /** The tool's lines this was read from. */
  readonly evidence: readonly string[];
}

const KERNEL_NAMES: Readonly<Record<string, string>> = {
  TfLiteGpuDelegate: "GPU",
  TfLiteGpuDelegateV2: "GPU",
  TfLiteNnapiDelegate: "NNAPI",
  TfLiteXNNPackDelegate: "XNNPACK",
  TfLiteHexagonDelegate: "Hexagon",
};

/** Reads every delegate statement in benchmark_model's output; null when there is none. */
export function parseDelegation(output: string): Delegation | null {
  const delegates: Record<string, DelegateReport> = {};
  const set = (name: string, report: Omit<DelegateReport, "evidence">, line: string) => {
    const before = delegates[name];
    // A "Replacing .." line and the tool's own verdict both count; the more specific figures are kept.
    delegates[name] = {
      status: report.status,
      kernels: report.kernels ?? before?.kernels ?? null,
      nodesDelegated: report.nodesDelegated ?? before?.nodesDelegated ?? null,
      nodesTotal: report.nodesTotal ?? before?.nodesTotal ?? null,
      evidence: [...(before?.evidence ?? []), line],
    };
  };
  const none = { kernels: null, nodesDelegated: null, nodesTotal: null };
  let gpuSplit = false;
  for (const raw of output.split(/\r?\n/)) {
    const line = toolLine(raw);
    let m =
      /^Explicitly applied (\w+) delegate, and the model graph will be (completely|partially) executed by the delegate(?: w\/ (\d+) delegate kernels)?/.exec(
        line,
      );
    if (m) {
      set(
        m[1] as string,
        { ...none, status: m[2] === "completely" ? "complete" : "partial", kernels: m[3] ? Number(m[3]) : null },
        line,
      );
      continue;
    }
    m = /^Applied (\w+) delegate, and the model graph will be (completely|partially) executed w\/ the delegate/.exec(
      line,
    );
    if (m) {
      set(m[1] as string, { ...none, status: m[2] === "completely" ? "complete" : "partial" }, line);
      continue;
    }
    m = /^Though (\w+) delegate is explicitly applied, the model graph will not be executed by the delegate/.exec(line);
    if (m) {
      set(m[1] as string, { ...none, status: "none", kernels: 0 }, line);
      continue;
    }
    m = /^Failed to apply (\w+) delegate/.exec(line);
    if (m) {
      set(m[1] as string, { ...none, status: "failed" }, line);
      continue;
    }
    m = /^Replacing (\d+)(?: out of (\d+))? node\(s\) with delegate \((\w+)\) node, yielding (\d+) partitions/.exec(
      line,
    );
    if (m) {
      const kernel = m[3] ?? "";
      const name: string = KERNEL_NAMES[kernel] ?? kernel;
      const delegated = Number(m[1]);
      const total = m[2] ? Number(m[2]) : null;
      const partitions = Number(m[4]);
      const partial = (total !== null && delegated < total) || partitions > 1;
      if (delegates[name]?.status === "partial" && !partial) continue;
      set(
        name,
        {
          status: delegated === 0 ? "none" : partial ? "partial" : "complete",
          kernels: partitions,
          nodesDelegated: delegated,
          nodesTotal: total,
        },
        line,
      );
      continue;
    }
    if (/operations will run on the GPU, and the remaining \d+ operations? will run on the CPU/.test(line)) {
      gpuSplit = true;
      set("GPU", { ...none, status: "partial" }, line);
    }
  }
  // The tool's "completely executed" verdict cannot overrule the GPU delegate's own count of CPU operations.
  if (gpuSplit && delegates.GPU && delegates.GPU.status === "complete") {
    delegates.GPU = { ...delegates.GPU, status: "partial" };
  }
  return Object.keys(delegates).length > 0 ? { delegates } : null;
}

/** The name benchmark_model prints for the delegate a runtime config asks for; null for plain CPU kernels. */
export function requestedDelegateName(delegate: RuntimeConfig["delegate"]): string | null {
  switch (delegate) {
    case "cpu":
      return null;
    case "xnnpack":
      return "XNNPACK";
    case "gpu":
      return "GPU";
    case "nnapi":
      return "NNAPI";
    case "hexagon":
      return "Hexagon";
  }
}

/**
 * Whether the requested accelerator ran the whole graph: `clean` when it said so; `fallback` when it left part
 * (or all) of the graph on the CPU or failed; `unconfirmed` when it said nothing; `not-applicable` for CPU
 * configs (XNNPACK is a CPU delegate: the nodes it leaves run on the CPU anyway).
 */
export interface DelegationVerdict {
  readonly requested: string | null;
  readonly outcome: "clean" | "fallback" | "unconfirmed" | "not-applicable";
  readonly report: DelegateReport | null;
}

export function delegationVerdict(
  delegate: RuntimeConfig["delegate"],
  delegation: Delegation | null,
): DelegationVerdict {
  const requested = requestedDelegateName(delegate);
  const report = requested ? (delegation?.delegates[requested] ?? null) : null;
  if (requested === null || requested === "XNNPACK") return { requested, outcome: "not-applicable", report };
  if (!report) return { requested, outcome: "unconfirmed", report };
  return { requested, outcome: report.status === "complete" ? "clean" : "fallback", report };
}

/**
 * The verdict over a measurement's repetitions: `fallback` when any repetition's delegate left graph on the CPU (a
 * measurement of a partly delegated model is not a clean delegate measurement), else `unconfirmed` when any
 * repetition said nothing, else the shared outcome. The report kept is the first one that decided it.
 */
export function measurementDelegation(
  delegate: RuntimeConfig["delegate"],
  delegations: ReadonlyArray<Delegation | null>,
): DelegationVerdict {
  const verdicts = delegations.map((d) => delegationVerdict(delegate, d));
  const first = verdicts[0] ?? delegationVerdict(delegate, null);
  return verdicts.find((v) => v.outcome === "fallback") ?? verdicts.find((v) => v.outcome === "unconfirmed") ?? first;
}
