/**
 * A line of benchmark_model's output as the tool wrote it: without a logcat prefix (`05-30 15:16:44.857  3380  3380
 * I tflite  : `, as the benchmark APK logs it), the `INFO: ` / `VERBOSE: ` / `WARNING: ` / `ERROR: ` prefixes of
 * newer tools, and surrounding whitespace.
 */
export function toolLine(line: string): string {
  return line
    .replace(/^\d\d-\d\d \d\d:\d\d:\d\d\.\d+\s+\d+\s+\d+ [VDIWEF] [\w.]+\s*: ?/, "")
    .replace(/^(?:INFO|VERBOSE|WARNING|ERROR): /, "")
    .trim();
}
