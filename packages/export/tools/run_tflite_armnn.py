"""Runs .tflite models with Arm NN's TfLite parser on its CpuRef backend (Debian's python3-pyarmnn).

Usage: run_tflite_armnn.py JOBS.json
JOBS.json is a list of {"model": path, "input": path, "output": path}; inputs are raw little-endian float32 in the
model's input shape, and each output is written the same way. Prints one JSON line per job, {"ok": true} or
{"ok": false, "error": "..."}, so the caller can tell a parser refusal (an op Arm NN lacks) from a wrong result.
"""
import json
import sys

import numpy as np
import pyarmnn as ann


def run(runtime, job):
    parser = ann.ITfLiteParser()
    network = parser.CreateNetworkFromBinaryFile(job["model"])
    (input_name,) = parser.GetSubgraphInputTensorNames(0)
    (output_name,) = parser.GetSubgraphOutputTensorNames(0)
    input_info = parser.GetNetworkInputBindingInfo(0, input_name)
    output_info = parser.GetNetworkOutputBindingInfo(0, output_name)
    optimized, _ = ann.Optimize(
        network, [ann.BackendId("CpuRef")], runtime.GetDeviceSpec(), ann.OptimizerOptions()
    )
    net_id, _ = runtime.LoadNetwork(optimized)
    try:
        shape = tuple(input_info[1].GetShape()[i] for i in range(input_info[1].GetNumDimensions()))
        data = np.fromfile(job["input"], dtype="<f4").reshape(shape)
        inputs = ann.make_input_tensors([input_info], [data])
        outputs = ann.make_output_tensors([output_info])
        runtime.EnqueueWorkload(net_id, inputs, outputs)
        (result,) = ann.workload_tensors_to_ndarray(outputs)
        result.astype("<f4").tofile(job["output"])
    finally:
        runtime.UnloadNetwork(net_id)


def main():
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    runtime = ann.IRuntime(ann.CreationOptions())
    for job in jobs:
        try:
            run(runtime, job)
            print(json.dumps({"ok": True}), flush=True)
        except Exception as error:  # a parser or backend refusal is a result to report, not a crash
            print(json.dumps({"ok": False, "error": f"{type(error).__name__}: {error}"}), flush=True)


if __name__ == "__main__":
    main()
