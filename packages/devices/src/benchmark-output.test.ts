import { describe, expect, it } from "vitest";
import { parseBenchmarkOutput } from "./benchmark-output.ts";

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
    expect(r.memory).toEqual({ initDeltaMb: 6.23438, overallDeltaMb: 12.5, peakMb: 15.3047 });
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
  });

  it("takes output without memory lines (older tools) with memory null", () => {
    const text = DOCUMENTED.split("\n")
      .filter((l) => !l.includes("Memory") && !l.includes("memory"))
      .join("\n");
    expect(parseBenchmarkOutput(text).memory).toBeNull();
  });

  it("refuses garbage and truncated output, naming what is missing", () => {
    expect(() => parseBenchmarkOutput("Segmentation fault")).toThrow(
      /missing the "Inference timings in us.*and a "count=/,
    );
    const cut = DOCUMENTED.slice(0, DOCUMENTED.indexOf("Inference timings"));
    expect(() => parseBenchmarkOutput(cut)).toThrow(/missing the "Inference timings in us: Init/);
    expect(() => parseBenchmarkOutput(DOCUMENTED.replace(/count=\d+.*\n/g, ""))).toThrow(/missing a "count=\.\./);
    expect(() => parseBenchmarkOutput("ERROR: Could not open '/x.tflite'.")).toThrow(/Could not open/);
    expect(() => parseBenchmarkOutput(DOCUMENTED.replace("count=50", "count=0"))).toThrow(/ran 0 times/);
  });
});
