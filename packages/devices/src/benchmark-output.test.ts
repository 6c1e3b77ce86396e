import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseBenchmarkOutput, parseStatsLine } from "./benchmark-output.ts";
import { delegationVerdict, measurementDelegation, parseDelegation } from "./delegation.ts";

/** A real benchmark_model output from fixtures/benchmark-model (its source is in the sibling .source file). */
const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/benchmark-model/${name}.txt`, import.meta.url), "utf8");

// Written from benchmark_model's documented output (tensorflow/lite/tools/benchmark/README.md): the log lines,
// the per-phase stats lines, the timings summary and the memory footprint lines.
const DOCUMENTED = `STARTING!
Log parameter values verbosely: [0]
Num threads: [4]
Graph: [/data/local/tmp/mobilenet_quant_v1_224.tflite]
#threads used for CPU inference: [4]
Loaded model /data/local/tmp/mobilenet_quant_v1_224.tflite
The input model file size (MB): 4.27635
Initialized session in 28.394ms.
Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if exceeding 150 seconds.
count=11 first=60329 curr=43880 min=43503 max=60329 avg=46121.8 std=4761

Running benchmark for at least 50 iterations and at least 1 seconds but terminate if exceeding 150 seconds.
count=50 first=44106 curr=43846 min=43336 max=46028 avg=44029.2 std=527

Inference timings in us: Init: 28394, First inference: 60329, Warmup (avg): 46121.8, Inference (avg): 44029.2
Note: as the benchmark tool itself affects memory footprint, the following is only APPROXIMATE to the actual memory footprint of the model at runtime. Take the information at your one's own risk.
Memory footprint delta from the start of the tool (MB): init=6.23438 overall=12.5
Overall peak memory footprint (MB) via periodic monitoring: 15.3047
`;

describe("parseBenchmarkOutput", () => {
  it("reads the timings, both phases' stats and the memory footprint", () => {
    const r = parseBenchmarkOutput(DOCUMENTED);
    expect(r).toMatchObject({ initUs: 28394, firstInferenceUs: 60329, warmupAvgUs: 46121.8, inferenceAvgUs: 44029.2 });
    expect(r.warmup).toEqual({
      count: 11,
      firstUs: 60329,
      currUs: 43880,
      minUs: 43503,
      maxUs: 60329,
      avgUs: 46121.8,
      stdUs: 4761,
    });
    expect(r.inference).toMatchObject({ count: 50, minUs: 43336, maxUs: 46028, avgUs: 44029.2, stdUs: 527 });
    expect(r.memory).toEqual({ wording: "delta", initMb: 6.23438, overallMb: 12.5, peakMb: 15.3047 });
    expect(r.memoryMissingReason).toBeNull();
  });

  it("accepts newer tools' INFO: prefixes, CRLF, exponent notation and an unmonitored peak", () => {
    const text = DOCUMENTED.split("\n")
      .map((l) => `INFO: ${l}`)
      .join("\r\n")
      .replace("Inference (avg): 44029.2", "Inference (avg): 1.23457e+06")
      .replace("monitoring: 15.3047", "monitoring: -1");
    const r = parseBenchmarkOutput(text);
    expect(r.inferenceAvgUs).toBe(1234570);
    expect(r.memory?.peakMb).toBeNull();
    expect(r.memoryMissingReason).toMatch(/monitor reported -1 MB/);
  });

  it("says why memory is missing when the tool printed only the delta (no --report_peak_memory_footprint)", () => {
    const r = parseBenchmarkOutput(DOCUMENTED.replace(/Overall peak.*\n/, ""));
    expect(r.memory).toEqual({ wording: "delta", initMb: 6.23438, overallMb: 12.5, peakMb: null });
    expect(r.memoryMissingReason).toMatch(/--report_peak_memory_footprint=true/);
  });

  it("takes output without memory lines (older tools) with memory null", () => {
    const text = DOCUMENTED.split("\n")
      .filter((l) => !l.includes("Memory") && !l.includes("memory"))
      .join("\n");
    expect(parseBenchmarkOutput(text).memory).toBeNull();
    expect(parseBenchmarkOutput(text).memoryMissingReason).toBe("the tool printed no memory figures");
  });

  it("refuses garbage and truncated output, naming what is missing", () => {
    expect(() => parseBenchmarkOutput("Segmentation fault")).toThrow(
      /missing the "Inference timings in us.*and a "count=/,
    );
    const cut = DOCUMENTED.slice(0, DOCUMENTED.indexOf("Inference timings"));
    expect(() => parseBenchmarkOutput(cut)).toThrow(/missing the "Inference timings in us: \.\." summary/);
    expect(() => parseBenchmarkOutput(DOCUMENTED.replace(/count=\d+.*\n/g, ""))).toThrow(
      /missing a "count=\.\." stats line/,
    );
    expect(() => parseBenchmarkOutput("ERROR: Could not open '/x.tflite'.")).toThrow(/Could not open/);
    expect(() => parseBenchmarkOutput(DOCUMENTED.replace("count=50", "count=0"))).toThrow(/ran 0 times/);
  });
});

describe("parseBenchmarkOutput on outputs printed by real phones", () => {
  it("TF 2.4 on a Xiaomi Mi 11: one stats line and `Peak memory footprint (MB): init=.. overall=..`", () => {
    const r = parseBenchmarkOutput(fixture("tf2.4-mi11-cpu-peak-memory"));
    expect(r).toMatchObject({ initUs: 16242, firstInferenceUs: 360262, warmupAvgUs: 304586, inferenceAvgUs: 249684 });
    expect(r.warmup).toBeNull();
    expect(r.inference).toEqual({
      count: 50,
      firstUs: 249042,
      currUs: 250889,
      minUs: 247067,
      maxUs: 254474,
      avgUs: 249684,
      stdUs: 1442,
    });
    expect(r.memory).toEqual({ wording: "max-rss", initMb: 4.92969, overallMb: 138.809, peakMb: 138.809 });
    expect(r.memoryMissingReason).toBeNull();
    expect(r.delegation).toBeNull();
  });

  it("TF 1.x: the `Average inference timings in us: Warmup: .., Init: .., no stats: ..` summary", () => {
    const r = parseBenchmarkOutput(fixture("tf1.x-average-timings"));
    expect(r).toMatchObject({ initUs: 9933, warmupAvgUs: 76605.9, inferenceAvgUs: 66767.6 });
    expect(r.firstInferenceUs).toBe(127425); // from the warm-up line, as the summary does not carry it
    expect(r.warmup).toMatchObject({ count: 7, firstUs: 127425, minUs: 66709, maxUs: 127425, stdUs: 20944 });
    expect(r.inference).toMatchObject({ count: 15, firstUs: 66753, currUs: 66800, minUs: 66699, maxUs: 66838 });
    expect(r.inference.avgUs).toBe(66767.6);
    expect(r.memory).toBeNull();
    expect(r.memoryMissingReason).toBe("the tool printed no memory figures");
  });

  it("TF 1.15 GPU with op profiling: phases by their headers, the delegate complete", () => {
    const r = parseBenchmarkOutput(fixture("tf1.15-gpu-complete-op-profiling"));
    expect(r).toMatchObject({ initUs: 870557, firstInferenceUs: 130565, warmupAvgUs: 122373, inferenceAvgUs: 119375 });
    expect(r.warmup).toEqual({
      count: 4,
      firstUs: 130565,
      currUs: 120829,
      minUs: 117370,
      maxUs: 130565,
      avgUs: 122373,
      stdUs: 4930,
    });
    expect(r.inference).toEqual({
      count: 50,
      firstUs: 119212,
      currUs: 118055,
      minUs: 113737,
      maxUs: 124776,
      avgUs: 119375,
      stdUs: 1948,
    });
    expect(r.delegation?.delegates.GPU).toMatchObject({ status: "complete", kernels: null });
    expect(delegationVerdict("gpu", r.delegation).outcome).toBe("clean");
  });

  it("the benchmark APK's logcat lines (TF 2.9), NNAPI partially executed with 44 kernels", () => {
    const r = parseBenchmarkOutput(fixture("tf2.9-logcat-nnapi-partial"));
    expect(r).toMatchObject({ initUs: 126059, firstInferenceUs: 32942, warmupAvgUs: 12581.9, inferenceAvgUs: 12167.6 });
    expect(r.warmup).toMatchObject({ count: 40, firstUs: 32942, currUs: 12594, minUs: 11340, maxUs: 32942 });
    expect(r.inference).toMatchObject({ count: 75, firstUs: 12840, minUs: 11787, maxUs: 13649, stdUs: 325 });
    expect(r.delegation?.delegates.NNAPI).toMatchObject({ status: "partial", kernels: 44 });
    const verdict = delegationVerdict("nnapi", r.delegation);
    expect(verdict.outcome).toBe("fallback");
    expect(verdict.report?.evidence[0]).toMatch(/partially executed by the delegate w\/ 44 delegate kernels/);
  });

  it("never takes the op profiler's `Timings (microseconds): count=..` lines for the tool's own", () => {
    // The author pasted the profiler's tables only: no summary and no stats line of the tool's own.
    const text = fixture("tf2.4-mi11-nnapi-op-profile-only");
    expect(() => parseBenchmarkOutput(text)).toThrow(/missing the "Inference timings.*and a "count=\.\." stats line/);
    // With the tool's own lines in front (a whole run), the figures are the tool's, not the profiler's 158715.
    const whole = `${fixture("tf2.4-mi11-cpu-peak-memory")}${text}`;
    const r = parseBenchmarkOutput(whole);
    expect(r.inferenceAvgUs).toBe(249684);
    expect(r.inference.avgUs).toBe(249684);
    expect(r.opProfile).toBe(true);
  });

  it("a failed NNAPI delegate is refused with the tool's last words, and said to have failed", () => {
    const text = fixture("tf2.4-mi11-nnapi-failed");
    expect(() => parseBenchmarkOutput(text)).toThrow(/Failed to apply NNAPI delegate\. \| Benchmarking failed\./);
    expect(parseDelegation(text)?.delegates.NNAPI?.status).toBe("failed");
  });

  it("an NNAPI delegate that takes none of the graph", () => {
    const d = parseDelegation(fixture("tf2.9-logcat-nnapi-not-executed"));
    expect(d?.delegates.NNAPI).toMatchObject({ status: "none", kernels: 0 });
    expect(delegationVerdict("nnapi", d).outcome).toBe("fallback");
  });
});

describe("parseStatsLine: every form of TensorFlow's Stat printer (tensorflow/core/util/stats_calculator.h)", () => {
  it("reads the single-run, all-same, empty and old curr-first forms", () => {
    // "count=1 curr=729391" as printed by a real run (fixtures/benchmark-model/tf2.4-mi11-nnapi-op-profile-only).
    expect(parseStatsLine("count=1 curr=729391")).toEqual({
      count: 1,
      firstUs: 729391,
      currUs: 729391,
      minUs: 729391,
      maxUs: 729391,
      avgUs: 729391,
      stdUs: 0,
    });
    expect(parseStatsLine("count=5 curr=1200(all same)")).toMatchObject({ count: 5, avgUs: 1200, stdUs: 0 });
    expect(parseStatsLine("count=0")).toMatchObject({ count: 0 });
    expect(parseStatsLine("curr=66800 count=15 min=66699 max=66838 avg=66767.6 std=39")).toMatchObject({
      count: 15,
      minUs: 66699,
      avgUs: 66767.6,
    });
    expect(parseStatsLine("Timings (microseconds): count=1 curr=729391")).toBeNull();
  });

  it("a single measured run (`--num_runs=1`) is the measured phase, not lost", () => {
    const single = DOCUMENTED.replace(/count=50 first=.*\n/, "count=1 curr=44106\n");
    const r = parseBenchmarkOutput(single);
    expect(r.inference).toMatchObject({ count: 1, avgUs: 44106, minUs: 44106 });
    expect(r.warmup).toMatchObject({ count: 11, avgUs: 46121.8 });
  });
});

describe("delegate fallback over a measurement's repetitions", () => {
  it("a GPU run that the tool says ran completely is clean; one partial repetition makes the measurement a fallback", () => {
    const complete = parseBenchmarkOutput(fixture("tf1.15-gpu-complete-op-profiling")).delegation;
    expect(measurementDelegation("gpu", [complete, complete])).toMatchObject({ requested: "GPU", outcome: "clean" });
    const partial = parseDelegation(
      "INFO: Replacing 41 out of 58 node(s) with delegate (TfLiteGpuDelegateV2) node, yielding 3 partitions.",
    );
    expect(partial?.delegates.GPU).toMatchObject({ status: "partial", nodesDelegated: 41, nodesTotal: 58, kernels: 3 });
    expect(measurementDelegation("gpu", [complete, partial])).toMatchObject({ outcome: "fallback" });
  });

  it("NNAPI partially executed (a real phone's logcat) is a fallback; a silent tool is unconfirmed; CPU is not applicable", () => {
    const nnapi = parseBenchmarkOutput(fixture("tf2.9-logcat-nnapi-partial")).delegation;
    expect(measurementDelegation("nnapi", [nnapi]).outcome).toBe("fallback");
    const silent = parseBenchmarkOutput(fixture("tf2.4-mi11-cpu-peak-memory")).delegation;
    expect(measurementDelegation("nnapi", [silent]).outcome).toBe("unconfirmed");
    expect(measurementDelegation("cpu", [silent]).outcome).toBe("not-applicable");
    expect(measurementDelegation("xnnpack", [nnapi]).outcome).toBe("not-applicable");
  });

  // The GPU delegate's lines as a phone printed them in https://github.com/tensorflow/tensorflow/issues/56301 ("294
  // operations will run on th.." is cut there; the rest of the sentence is the delegate's wording in TensorFlow's
  // source, tensorflow/lite/delegates/gpu/common/model_builder.cc).
  it("the GPU delegate's own count of CPU operations overrules a 'completely executed' line", () => {
    const d = parseDelegation(
      [
        "ERROR: Following operations are not supported by GPU delegate:",
        "UNPACK: Operation is not supported.",
        "294 operations will run on the GPU, and the remaining 3 operations will run on the CPU.",
        "INFO: Explicitly applied GPU delegate, and the model graph will be completely executed by the delegate.",
      ].join("\n"),
    );
    expect(d?.delegates.GPU?.status).toBe("partial");
  });
});
