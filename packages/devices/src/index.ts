/**
 * Phones over ADB: the `DeviceDriver` port and its adbkit implementation, device identity and health, the
 * runner seam (one `RuntimeRunner` per runtime: argv and output parser, chosen by `runnerFor`; TFLite's
 * benchmark_model today), push with hash cache, repeat-until-confidence statistics,
 * safe shell quoting, and an emulated phone that speaks ADB so the host CPU can stand in for a phone.
 */
export * from "./device-driver.ts";
export { AdbDriver, type AdbDriverOptions } from "./adb-driver.ts";
export * from "./shell-quote.ts";
export * from "./benchmark-output.ts";
export * from "./delegation.ts";
export * from "./runner-failure.ts";
export * from "./runner-provisioning.ts";
export * from "./statistics.ts";
export * from "./soc.ts";
export * from "./identity.ts";
export * from "./cpu-frequency.ts";
export * from "./health.ts";
export * from "./thermal-zones.ts";
export * from "./benchmark.ts";
export * from "./runtime-runner.ts";
export * from "./runtime-runners.ts";
export { benchmarkArgv, tfliteRunner } from "./tflite-runner.ts";
export * from "./start-emulated-phones.ts";
export {
  EMULATED_RUNNER_PATH,
  EmulatedPhone,
  HOST_CPU_DEVICE_CLASS,
  type EmulatedPhoneOptions,
} from "./emulated/emulated-phone.ts";
export { EMULATED_PROFILES, parseEmulatedProfile, type EmulatedProfileName } from "./emulated/profiles.ts";
