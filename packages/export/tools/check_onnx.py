"""Checks .onnx files with the official ONNX checker (Debian's python3-onnx), shape inference included.

Usage: check_onnx.py MODEL.onnx...
Prints one JSON line per file: {"ok": true, "ir_version": 8, "opset": 17} or {"ok": false, "error": "..."}.
"""
import json
import sys

import onnx


def main():
    for path in sys.argv[1:]:
        try:
            model = onnx.load(path)
            onnx.checker.check_model(model, full_check=True)
            opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
            print(json.dumps({"ok": True, "ir_version": model.ir_version, "opset": opset}), flush=True)
        except Exception as error:  # a checker rejection is the result being asked for
            print(json.dumps({"ok": False, "error": f"{type(error).__name__}: {error}"}), flush=True)


if __name__ == "__main__":
    main()
