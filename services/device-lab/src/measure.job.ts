import { MfnasError, errorMessage, isPermanent, type RuntimeConfig } from "@mfnas/core";
import {
  awaitHealthy,
  cpusOfMask,
  measureUntilConfident,
  measurementDelegation,
  pinningFor,
  pushArtifact,
  readCoreFrequencies,
  readHealth,
  throttlingBetween,
  type CoreFrequency,
  type CpuCluster,
  type PinningPolicy,
  runnerFailureOf,
  runnerFor,
  type ConfidenceRule,
  type DeviceDriver,
  type HealthThresholds,
  type RunnerConfig,
} from "@mfnas/devices";
import { throwIfAborted, type JobHandler, type WorkerLog } from "@mfnas/queue";
import type { Prisma } from "@mfnas/store";
import type { DeviceLabStore } from "./device-lab-store.ts";

/** The phone a measure handler runs on. */
export interface PhoneContext {
  readonly serial: string;
  readonly deviceId: string;
  readonly deviceClass: string;
  readonly model: string;
  readonly soc: string | null;
  /** SoC code (`sm8250`): picks the thermal zone map the health gate reads the phone with. */
  readonly socCode: string | null;
  readonly emulated: boolean;
  readonly runner: RunnerConfig;
  /** Facts kept next to every health reading written to the device (CPU clusters, the runner check). */
  readonly healthFacts?: Readonly<Record<string, unknown>>;
  /** CPU clusters read at attach: the pinning mask comes from them. */
  readonly cpuClusters?: readonly CpuCluster[];
}

export interface MeasureOptions {
  readonly thresholds: HealthThresholds;
  /** Thresholds per device class, over `thresholds`. */
  readonly classThresholds?: Readonly<Record<string, HealthThresholds>>;
  readonly cooldown: { readonly maxWaitMs: number; readonly pollMs: number };
  readonly confidence: ConfidenceRule;
  /**
   * Cores a measurement is pinned to when its runtime config names no `cpuAffinity`: `big` (default: all but the
   * slowest cluster), `prime` or `none`.
   */
  readonly pinning?: PinningPolicy;
}

export interface MeasureDeps {
  readonly store: DeviceLabStore;
  readonly artifacts: { get: (sha256: string) => Promise<Uint8Array> };
  readonly driver: DeviceDriver;
  readonly phone: PhoneContext;
  readonly options: MeasureOptions;
  readonly log: WorkerLog;
  /**
   * Told when the phone itself cannot run the runner (missing, not executable, wrong ABI): the phone's problem,
   * which the agent acts on (the job goes back to the queue for another phone).
   */
  readonly onPhoneProblem?: (reason: string) => void;
  /** Told each health gate's outcome (passed, or refused after the cool-down wait), for the device's health. */
  readonly onGate?: (gate: GateOutcome) => void;
}

/** A health gate's outcome for one request, kept with the phone's health (`lastGate`). */
export interface GateOutcome {
  readonly at: string;
  readonly requestKey: string;
  readonly fit: boolean;
  /** What kept it from measuring, naming the zones (`thermal_zone6 (cpu-1-7-usr, cpu) at 61.5 °C > 45 °C`). */
  readonly problems: readonly string[];
  readonly waitedMs: number;
  readonly readings: number;
}

/** A plain JSON copy (drops undefined, turns Infinity into null) for a JSON column. */
function json(value: object): Prisma.InputJsonObject {
  return JSON.parse(JSON.stringify(value)) as Prisma.InputJsonObject;
}

/**
 * `devicelab.measure` on one phone: fetch the artifact, push it (hash-cached, checksum verified), wait (bounded)
 * until the phone is cool and idle, run benchmark_model until the confidence target, then write one Measurement
 * row with its conditions and raw output in one transaction. Nothing is written before that, so an unplugged phone
 * or a dropped adb leaves nothing behind; those failures are transient and the job goes back to the class's queue.
 * Runner failures are classified: a model the runtime cannot load fails the job for good at once and is recorded
 * against the architecture (a MeasurementFailure row; a later request with the same key and runner version fails
 * at once without touching a phone); a phone that cannot run the tool is reported to the agent (`onPhoneProblem`)
 * and the job goes back to the queue; anything else, a lost connection included, is transient.
 */
export function createMeasureHandler(deps: MeasureDeps): JobHandler<"devicelab.measure"> {
  const { store, driver, phone, options, log } = deps;
  return async (ctx) => {
    const { payload, signal } = ctx;
    const progress = (value: object) => ctx.progress(value);
    const done = await store.findMeasurement(payload.requestKey);
    if (done) return { measurementId: done.id, skipped: true };
    if (!(await store.architectureExists(payload.architectureHash))) {
      throw new MfnasError("not_found", `architecture ${payload.architectureHash} is not stored`, {
        architectureHash: payload.architectureHash,
      });
    }
    const failed = await store.findMeasurementFailure(payload.requestKey);
    if (failed && failed.runtimeVersion === phone.runner.version) {
      throw new MfnasError(
        "unsupported",
        `${phone.runner.version} cannot run this model (recorded on ${failed.serial}): ${failed.reason}`,
        { architectureHash: payload.architectureHash, failureId: failed.id },
      );
    }
    const config: RuntimeConfig = payload.runtimeConfig;
    const bytes = await deps.artifacts.get(payload.artifactSha256);
    throwIfAborted(signal);

    try {
      await progress({ serial: phone.serial, phase: "push" });
      const runtime = runnerFor(config.runtime);
      const pushed = await pushArtifact(driver, phone.serial, bytes, { signal, extension: runtime.modelExtension });
      // Pinning: the request's own affinity, else the big cores from the phone's clusters (SD865: f0).
      const pinning =
        config.cpuAffinity !== undefined
          ? { policy: "requested", mask: config.cpuAffinity, cpus: cpusOfMask(config.cpuAffinity) }
          : pinningFor(phone.cpuClusters ?? [], options.pinning ?? "big");
      const command = runtime.command(phone.runner, pushed.remotePath, {
        ...config,
        ...(pinning.mask !== null ? { cpuAffinity: pinning.mask } : {}),
      });
      // The cores whose frequencies are read around each repetition: the pinned ones, else every CPU.
      const watched =
        pinning.cpus.length > 0 ? pinning.cpus : (phone.cpuClusters ?? []).flatMap((c) => c.cpus).slice(0, 16);
      const frequencies: { before: CoreFrequency[]; after: CoreFrequency[]; throttling: string[] }[] = [];
      let frequenciesBefore: CoreFrequency[] = [];
      await progress({ serial: phone.serial, phase: "health" });
      const thresholds = { ...options.thresholds, ...options.classThresholds?.[phone.deviceClass] };
      const outcome = (fit: boolean, problems: readonly string[], waitedMs: number, readings: number) =>
        deps.onGate?.({
          at: new Date().toISOString(),
          requestKey: payload.requestKey,
          fit,
          problems,
          waitedMs,
          readings,
        });
      const gate = await awaitHealthy(driver, phone.serial, {
        thresholds,
        ...options.cooldown,
        signal,
        socCode: phone.socCode,
      }).catch((error: unknown) => {
        const refused = error instanceof MfnasError ? error.details : undefined;
        if (Array.isArray(refused?.["problems"])) {
          outcome(false, refused["problems"] as string[], Number(refused["waitedMs"]), Number(refused["readings"]));
        }
        throw error;
      });
      outcome(true, [], gate.waitedMs, gate.readings);
      await progress({ serial: phone.serial, phase: "measure", repetition: 0 });
      const measured = await measureUntilConfident(driver, phone.serial, command, {
        rule: options.confidence,
        signal,
        beforeRun: async () => {
          frequenciesBefore = await readCoreFrequencies(driver, phone.serial, watched, signal);
        },
        onRun: async (_, index) => {
          const after = await readCoreFrequencies(driver, phone.serial, watched, signal);
          const throttling = throttlingBetween(frequenciesBefore, after);
          frequencies.push({ before: frequenciesBefore, after, throttling });
          if (throttling.length > 0) {
            log.warn("repetition throttled", { serial: phone.serial, repetition: index + 1, throttling });
          }
          await progress({ serial: phone.serial, phase: "measure", repetition: index + 1 });
        },
      });
      const after = await readHealth(driver, phone.serial, { signal, socCode: phone.socCode });
      throwIfAborted(signal);

      const runs = measured.runs.map((r) => r.result);
      const peaks = runs.map((r) => r.memory?.peakMb).filter((p): p is number => p !== null && p !== undefined);
      // A peak the tool did not report is recorded as missing, with the tool's reason; never filled in from the
      // analytic cost model here.
      const memoryMissing = runs.map((r) => r.memoryMissingReason).find((reason) => reason !== null) ?? null;
      // Whether the requested accelerator ran the whole graph: a GPU/NNAPI run that left part of it on the CPU is
      // stored flagged as a fallback, with the tool's own words, never as a clean delegate measurement.
      const delegation = measurementDelegation(
        config.delegate,
        runs.map((r) => r.delegation),
      );
      const inits = runs.map((r) => r.initUs / 1000).sort((a, b) => a - b);
      const s = measured.summary;
      const conditions = json({
        serial: phone.serial,
        deviceModel: phone.model,
        soc: phone.soc,
        emulated: phone.emulated,
        runner: phone.runner,
        command: command.argv.join(" "),
        threads: config.threads,
        cpuAffinity: pinning.mask,
        pinning,
        throttledRepetitions: frequencies.filter((f) => f.throttling.length > 0).length,
        delegate: config.delegate,
        precision: config.precision,
        warmupRuns: config.warmupRuns,
        runsPerRepetition: config.runs,
        inputHeight: payload.inputHeight,
        inputWidth: payload.inputWidth,
        artifactSha256: payload.artifactSha256,
        modelCachedOnDevice: pushed.cached,
        repetitions: measured.runs.length,
        stopReason: measured.stopReason,
        confidenceRule: measured.rule,
        relativeCiHalfWidth: Number.isFinite(s.relativeCiHalfWidth) ? s.relativeCiHalfWidth : null,
        cooldown: { waitedMs: gate.waitedMs, readings: gate.readings },
        thresholds,
        healthDecision: gate.decision,
        healthBefore: gate.health,
        healthAfter: after,
        delegation,
        memory: {
          measured: peaks.length > 0,
          peakMb: peaks.length > 0 ? Math.max(...peaks) : null,
          wording: runs[0]?.memory?.wording ?? null,
          missingReason: peaks.length > 0 ? null : memoryMissing,
        },
        perRepetition: measured.runs.map((r, i) => ({
          initUs: r.result.initUs,
          firstInferenceUs: r.result.firstInferenceUs,
          warmupAvgUs: r.result.warmupAvgUs,
          inferenceAvgUs: r.result.inferenceAvgUs,
          inference: r.result.inference,
          memory: r.result.memory,
          memoryMissingReason: r.result.memoryMissingReason,
          wallMs: r.wallMs,
          frequencies: frequencies[i] ?? null,
        })),
      });
      const written = await store.recordMeasurement(
        {
          requestKey: payload.requestKey,
          architectureHash: payload.architectureHash,
          deviceId: phone.deviceId,
          deviceClass: phone.deviceClass,
          runtime: config.runtime,
          runtimeVersion: phone.runner.version,
          runtimeConfig: json(config),
          inputHeight: payload.inputHeight,
          inputWidth: payload.inputWidth,
          samples: measured.runs.length,
          medianMs: s.median,
          meanMs: s.mean,
          stdMs: s.std,
          p90Ms: s.p90,
          minMs: Math.min(...runs.map((r) => r.inference.minUs)) / 1000,
          maxMs: Math.max(...runs.map((r) => r.inference.maxUs)) / 1000,
          initMs: inits[Math.floor(inits.length / 2)] ?? null,
          peakMemoryMb: peaks.length > 0 ? Math.max(...peaks) : null,
          conditions,
          rawOutput: measured.runs
            .map((r, i) => `=== repetition ${i + 1}: ${command.argv.join(" ")}\n${r.rawOutput}`)
            .join("\n"),
        },
        json({ ...after, ...phone.healthFacts }),
      );
      if (delegation.outcome === "fallback") {
        log.warn("delegate left part of the graph on the CPU", {
          serial: phone.serial,
          requestKey: payload.requestKey,
          delegate: delegation.requested,
          status: delegation.report?.status,
        });
      }
      if (peaks.length === 0) {
        log.warn("peak memory not measured", { serial: phone.serial, requestKey: payload.requestKey, memoryMissing });
      }
      log.info("measured", {
        serial: phone.serial,
        requestKey: payload.requestKey,
        medianMs: s.median,
        repetitions: measured.runs.length,
        created: written.created,
      });
      return {
        measurementId: written.id,
        medianMs: s.median,
        repetitions: measured.runs.length,
        delegation: delegation.outcome,
        peakMemoryMeasured: peaks.length > 0,
      };
    } catch (error) {
      if (signal.aborted) throw error;
      const failure = runnerFailureOf(error);
      if (failure?.failure === "model") {
        await store.recordMeasurementFailure({
          requestKey: payload.requestKey,
          architectureHash: payload.architectureHash,
          deviceClass: phone.deviceClass,
          serial: phone.serial,
          runtime: config.runtime,
          runtimeVersion: phone.runner.version,
          runtimeConfig: json(config),
          reason: failure.reason,
          rawOutput: failure.output,
        });
        log.warn("the runtime cannot run this model; failed for good", {
          serial: phone.serial,
          requestKey: payload.requestKey,
          architectureHash: payload.architectureHash,
          reason: failure.reason,
        });
        throw error;
      }
      if (failure?.failure === "phone") {
        deps.onPhoneProblem?.(failure.reason);
        throw new MfnasError(
          "transient",
          `${phone.serial} cannot run benchmark_model (${failure.reason}); the job goes to another phone`,
          { serial: phone.serial },
          { cause: error },
        );
      }
      // A runner that printed garbage or failed may be a phone going away: only a phone still attached can be
      // blamed, and even then another phone of the class may do better, so the job is retried, not dropped.
      if (isPermanent(error) && !(error instanceof MfnasError && error.code === "invalid_input")) throw error;
      const attached = await driver.list().catch(() => []);
      const online = attached.some((d) => d.serial === phone.serial && d.state === "device");
      throw new MfnasError(
        "transient",
        online
          ? `measurement on ${phone.serial} failed: ${errorMessage(error)}`
          : `device ${phone.serial} dropped mid-measurement: ${errorMessage(error)}`,
        { serial: phone.serial },
        { cause: error },
      );
    }
  };
}
