// Generated from the API's OpenAPI document by scripts/generate-api-types.ts (npm run api-types): do not edit.
// A test fails when this file and the document disagree.

/** Every operation of the API by its operationId: method, path, parameters, body and success answer. */
export interface ApiOperations {
  /** A device-lab agent reports one of its phones (register, state, health) */
  reportAgentDevice: {
    method: "put";
    path: "/v1/agent/devices/{serial}";
    params: {
      serial: string;
    };
    query: Record<string, never>;
    body: {
      deviceClass: string;
      model: string;
      manufacturer?: string | null;
      soc?: string | null;
      abi?: string | null;
      androidVersion?: string | null;
      sdkLevel?: number | null;
      agentHost?: string | null;
      state: "online" | "offline" | "unauthorized";
      health?: {
        [key: string]: unknown;
      };
    };
    response: {
      id: string;
      serial: string;
      model: string;
      manufacturer: string | null;
      soc: string | null;
      abi: string | null;
      androidVersion: string | null;
      sdkLevel: number | null;
      deviceClass: string;
      agentHost: string | null;
      state: "online" | "offline" | "unauthorized" | "quarantined";
      quarantineReason: string | null;
      lastSeenAt: string | null;
      /** latest snapshot: battery, thermal zones, screen state */
      health: unknown;
      createdAt: string;
      updatedAt: string;
    };
  };
  /** List keys (never their secrets) */
  listApiKeys: {
    method: "get";
    path: "/v1/api-keys";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      items: Array<{
        id: string;
        name: string;
        prefix: string;
        scopes: Array<"read" | "submit" | "admin" | "agent">;
        deviceClass: string | null;
        createdAt: string;
        lastUsedAt: string | null;
        revokedAt: string | null;
      }>;
    };
  };
  /** Create an API key or a device-lab agent token; the token is shown only in this response */
  createApiKey: {
    method: "post";
    path: "/v1/api-keys";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      name: string;
      scopes: Array<"read" | "submit" | "admin" | "agent">;
      deviceClass?: string;
    };
    response: {
      id: string;
      name: string;
      prefix: string;
      scopes: Array<"read" | "submit" | "admin" | "agent">;
      deviceClass: string | null;
      createdAt: string;
      lastUsedAt: string | null;
      revokedAt: string | null;
      token: string;
    };
  };
  /** Revoke a key */
  revokeApiKey: {
    method: "delete";
    path: "/v1/api-keys/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: undefined;
  };
  /** An architecture: its genome, per-layer cost and ESRGAN's cost at the same input */
  getArchitecture: {
    method: "get";
    path: "/v1/architectures/{hash}";
    params: {
      hash: string;
    };
    query: {
      height?: number;
      width?: number;
    };
    body: never;
    response: {
      hash: string;
      genome: unknown;
      encoded: string;
      input: {
        height: number;
        width: number;
      };
      cost: {
        params: number;
        macs: number;
        peakActivationBytes: number;
        memoryTrafficBytes: number;
        layers: Array<{
          name: string;
          op: string;
          inputShapes: Array<number[]>;
          outputShape: number[];
          kernel?: number;
          dilation?: number;
          activation?: string;
          params: number;
          macs: number;
          outputBytes: number;
        }>;
      };
      esrgan: {
        params: number;
        macs: number;
        peakActivationBytes: number;
        memoryTrafficBytes: number;
        description: string;
      };
    };
  };
  /** Stored artifacts (exported SubGenerators, checkpoints, reports), newest first */
  listArtifacts: {
    method: "get";
    path: "/v1/artifacts";
    params: Record<string, never>;
    query: {
      kind?: "checkpoint" | "weights" | "tflite" | "onnx" | "tfjs" | "dataset" | "report" | "runner";
      genomeHash?: string;
      /** nextCursor of the previous page */
      cursor?: string;
      limit?: number;
    };
    body: never;
    response: {
      items: Array<{
        sha256: string;
        kind: string;
        sizeBytes: number;
        mediaType: string | null;
        metadata: unknown;
        createdAt: string;
        downloadUrl: string;
      }>;
      nextCursor: string | null;
    };
  };
  /** Upload a teacher, a TF.js model or shard, a dataset archive or a runner binary */
  uploadArtifact: {
    method: "post";
    path: "/v1/artifacts";
    params: Record<string, never>;
    query: {
      kind: "teacher-weights" | "tfjs-model" | "tfjs-shard" | "dataset" | "runner";
      /** the ABI of a runner binary */
      abi?: "arm64-v8a" | "armeabi-v7a" | "x86_64" | "x86";
      /** a label, e.g. the file name */
      name?: string;
      /** the digest the sender computed; a mismatch is a 400 */
      sha256?: string;
    };
    body: Uint8Array;
    response: {
      sha256: string;
      kind: string;
      sizeBytes: number;
      mediaType: string | null;
      metadata: unknown;
      createdAt: string;
      downloadUrl: string;
      /** false when the same bytes were stored already */
      created: boolean;
    };
  };
  /** An artifact's metadata */
  getArtifact: {
    method: "get";
    path: "/v1/artifacts/{sha256}";
    params: {
      sha256: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      sha256: string;
      kind: string;
      sizeBytes: number;
      mediaType: string | null;
      metadata: unknown;
      createdAt: string;
      downloadUrl: string;
    };
  };
  /** Download an artifact's bytes (checked against its digest) */
  downloadArtifact: {
    method: "get";
    path: "/v1/artifacts/{sha256}/download";
    params: {
      sha256: string;
    };
    query: Record<string, never>;
    body: never;
    response: string;
  };
  /** The device lab at a glance: phones, queue depth per device class, utilization in the last hour */
  getDeviceLab: {
    method: "get";
    path: "/v1/device-lab";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      windowStart: string;
      windowEnd: string;
      classes: Array<{
        deviceClass: string;
        queue: string;
        devices: number;
        online: number;
        counts: {
          waiting: number;
          active: number;
          delayed: number;
          prioritized: number;
          failed: number;
        };
      }>;
      devices: Array<{
        id: string;
        serial: string;
        model: string;
        soc: string | null;
        deviceClass: string;
        agentHost: string | null;
        state: string;
        quarantineReason: string | null;
        lastSeenAt: string | null;
        health: unknown;
        /** measurements recorded in the window */
        measurements: number;
        /** wall time of their benchmark repetitions */
        busyMs: number;
        /** measurements in the window without per-repetition wall times */
        untimed: number;
        /** busyMs / window length, at most 1 */
        utilization: number;
        lastMeasuredAt: string | null;
      }>;
      /** queued or running searches waiting for phones of device classes that have none online */
      waitingSearches: Array<{
        id: string;
        name: string;
        status: string;
        deviceClasses: string[];
      }>;
    };
  };
  /** Phones of the device lab (an agent token sees its own device class only) */
  listDevices: {
    method: "get";
    path: "/v1/devices";
    params: Record<string, never>;
    query: {
      deviceClass?: string;
      state?: "online" | "offline" | "unauthorized" | "quarantined";
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        serial: string;
        model: string;
        manufacturer: string | null;
        soc: string | null;
        abi: string | null;
        androidVersion: string | null;
        sdkLevel: number | null;
        deviceClass: string;
        agentHost: string | null;
        state: "online" | "offline" | "unauthorized" | "quarantined";
        quarantineReason: string | null;
        lastSeenAt: string | null;
        /** latest snapshot: battery, thermal zones, screen state */
        health: unknown;
        createdAt: string;
        updatedAt: string;
      }>;
    };
  };
  /** A phone with its health */
  getDevice: {
    method: "get";
    path: "/v1/devices/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      serial: string;
      model: string;
      manufacturer: string | null;
      soc: string | null;
      abi: string | null;
      androidVersion: string | null;
      sdkLevel: number | null;
      deviceClass: string;
      agentHost: string | null;
      state: "online" | "offline" | "unauthorized" | "quarantined";
      quarantineReason: string | null;
      lastSeenAt: string | null;
      /** latest snapshot: battery, thermal zones, screen state */
      health: unknown;
      createdAt: string;
      updatedAt: string;
      /** measurements taken on this phone */
      measurements: number;
    };
  };
  /** Take a phone out of service */
  quarantineDevice: {
    method: "post";
    path: "/v1/devices/{id}/quarantine";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: {
      reason: string;
    };
    response: {
      id: string;
      serial: string;
      model: string;
      manufacturer: string | null;
      soc: string | null;
      abi: string | null;
      androidVersion: string | null;
      sdkLevel: number | null;
      deviceClass: string;
      agentHost: string | null;
      state: "online" | "offline" | "unauthorized" | "quarantined";
      quarantineReason: string | null;
      lastSeenAt: string | null;
      /** latest snapshot: battery, thermal zones, screen state */
      health: unknown;
      createdAt: string;
      updatedAt: string;
      /** measurements taken on this phone */
      measurements: number;
    };
  };
  /** End a quarantine */
  releaseDevice: {
    method: "post";
    path: "/v1/devices/{id}/release";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      serial: string;
      model: string;
      manufacturer: string | null;
      soc: string | null;
      abi: string | null;
      androidVersion: string | null;
      sdkLevel: number | null;
      deviceClass: string;
      agentHost: string | null;
      state: "online" | "offline" | "unauthorized" | "quarantined";
      quarantineReason: string | null;
      lastSeenAt: string | null;
      /** latest snapshot: battery, thermal zones, screen state */
      health: unknown;
      createdAt: string;
      updatedAt: string;
      /** measurements taken on this phone */
      measurements: number;
    };
  };
  /** Latency measurements with their conditions, newest first */
  listMeasurements: {
    method: "get";
    path: "/v1/measurements";
    params: Record<string, never>;
    query: {
      architectureHash?: string;
      deviceId?: string;
      deviceClass?: string;
      runtime?: string;
      /** nextCursor of the previous page */
      cursor?: string;
      limit?: number;
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        requestKey: string;
        architectureHash: string;
        deviceId: string;
        device: {
          serial: string;
          model: string;
          soc: string | null;
        };
        deviceClass: string;
        runtime: string;
        runtimeVersion: string;
        runtimeConfig: unknown;
        input: {
          height: number;
          width: number;
        };
        samples: number;
        medianMs: number;
        meanMs: number;
        stdMs: number;
        p90Ms: number;
        minMs: number;
        maxMs: number;
        initMs: number | null;
        peakMemoryMb: number | null;
        conditions: unknown;
        createdAt: string;
        /** the benchmark tool's output; only with ?raw=true */
        rawOutput?: string;
      }>;
      nextCursor: string | null;
    };
  };
  /** One measurement; the benchmark tool's raw output with ?raw=true */
  getMeasurement: {
    method: "get";
    path: "/v1/measurements/{id}";
    params: {
      id: string;
    };
    query: {
      raw?: boolean;
    };
    body: never;
    response: {
      id: string;
      requestKey: string;
      architectureHash: string;
      deviceId: string;
      device: {
        serial: string;
        model: string;
        soc: string | null;
      };
      deviceClass: string;
      runtime: string;
      runtimeVersion: string;
      runtimeConfig: unknown;
      input: {
        height: number;
        width: number;
      };
      samples: number;
      medianMs: number;
      meanMs: number;
      stdMs: number;
      p90Ms: number;
      minMs: number;
      maxMs: number;
      initMs: number | null;
      peakMemoryMb: number | null;
      conditions: unknown;
      createdAt: string;
      /** the benchmark tool's output; only with ?raw=true */
      rawOutput?: string;
    };
  };
  /** Latency-predictor reports of every device class (empty until a predictor has been fitted) */
  listPredictors: {
    method: "get";
    path: "/v1/predictors";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      items: Array<{
        sha256: string;
        kind: string;
        sizeBytes: number;
        mediaType: string | null;
        metadata: unknown;
        createdAt: string;
        downloadUrl: string;
      }>;
    };
  };
  /** Profile the latency kernels of a device class */
  profileLatencyKernels: {
    method: "post";
    path: "/v1/predictors/{deviceClass}/profile";
    params: {
      deviceClass: string;
    };
    query: Record<string, never>;
    body: {
      runtimeConfig: {
        runtime: "tflite";
        threads: number;
        delegate: "cpu" | "xnnpack" | "gpu" | "nnapi" | "hexagon";
        precision: "fp32" | "fp16";
        cpuAffinity?: string;
        warmupRuns: number;
        runs: number;
      };
      inputHeight: number;
      inputWidth: number;
      statistic?: "median" | "min";
      space?: {
        [key: string]: unknown;
      };
      blockShare?: number;
      seed?: number;
    };
    response: {
      jobId: string;
      deviceClass: string;
    };
  };
  /** The latest latency-predictor report of a device class */
  getPredictorReport: {
    method: "get";
    path: "/v1/predictors/{deviceClass}/report";
    params: {
      deviceClass: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      deviceClass: string;
      latest: {
        sha256: string;
        kind: string;
        sizeBytes: number;
        mediaType: string | null;
        metadata: unknown;
        createdAt: string;
        downloadUrl: string;
      };
      history: Array<{
        sha256: string;
        kind: string;
        sizeBytes: number;
        mediaType: string | null;
        metadata: unknown;
        createdAt: string;
        downloadUrl: string;
      }>;
    };
  };
  /** List schedules, newest first */
  listSchedules: {
    method: "get";
    path: "/v1/schedules";
    params: Record<string, never>;
    query: {
      enabled?: boolean;
      /** nextCursor of the previous page */
      cursor?: string;
      limit?: number;
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        name: string;
        cron: string;
        timezone: string;
        searchSpec: unknown;
        enabled: boolean;
        missedRunPolicy: "skip" | "run_once";
        /** the next three slots (empty while disabled) */
        nextRuns: string[];
        createdAt: string;
        updatedAt: string;
      }>;
      nextCursor: string | null;
    };
  };
  /** Create a recurring search */
  createSchedule: {
    method: "post";
    path: "/v1/schedules";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      name: string;
      /** five fields: minute hour day-of-month month day-of-week */
      cron: string;
      /** IANA time zone, default UTC */
      timezone?: string;
      /** a search spec, as for POST /v1/searches */
      searchSpec: {
        [key: string]: unknown;
      };
      enabled?: boolean;
      missedRunPolicy?: "skip" | "run_once";
    };
    response: {
      id: string;
      name: string;
      cron: string;
      timezone: string;
      searchSpec: unknown;
      enabled: boolean;
      missedRunPolicy: "skip" | "run_once";
      /** the next three slots (empty while disabled) */
      nextRuns: string[];
      createdAt: string;
      updatedAt: string;
    };
  };
  /** A schedule and its next slots */
  getSchedule: {
    method: "get";
    path: "/v1/schedules/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      name: string;
      cron: string;
      timezone: string;
      searchSpec: unknown;
      enabled: boolean;
      missedRunPolicy: "skip" | "run_once";
      /** the next three slots (empty while disabled) */
      nextRuns: string[];
      createdAt: string;
      updatedAt: string;
    };
  };
  /** Change a schedule (any subset of its fields) */
  updateSchedule: {
    method: "patch";
    path: "/v1/schedules/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: {
      name?: string;
      /** five fields: minute hour day-of-month month day-of-week */
      cron?: string;
      /** IANA time zone, default UTC */
      timezone?: string;
      /** a search spec, as for POST /v1/searches */
      searchSpec?: {
        [key: string]: unknown;
      };
      enabled?: boolean;
      missedRunPolicy?: "skip" | "run_once";
    };
    response: {
      id: string;
      name: string;
      cron: string;
      timezone: string;
      searchSpec: unknown;
      enabled: boolean;
      missedRunPolicy: "skip" | "run_once";
      /** the next three slots (empty while disabled) */
      nextRuns: string[];
      createdAt: string;
      updatedAt: string;
    };
  };
  /** Delete a schedule and its slot history (the searches it started stay) */
  deleteSchedule: {
    method: "delete";
    path: "/v1/schedules/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: undefined;
  };
  /** History of a schedule: its slots, newest first, with the search each started */
  listScheduleRuns: {
    method: "get";
    path: "/v1/schedules/{id}/runs";
    params: {
      id: string;
    };
    query: {
      /** nextCursor of the previous page */
      cursor?: string;
      limit?: number;
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        slot: string;
        searchId: string | null;
        createdAt: string;
        search: {
          name: string;
          status: string;
          lastGeneration: number | null;
          finishedAt: string | null;
        } | null;
      }>;
      nextCursor: string | null;
    };
  };
  /** Tonight's front against earlier nights: final-front hypervolume and size per run, newest first */
  getScheduleTrend: {
    method: "get";
    path: "/v1/schedules/{id}/trend";
    params: {
      id: string;
    };
    query: {
      limit?: number;
    };
    body: never;
    response: {
      runs: Array<{
        runId: string;
        slot: string;
        searchId: string | null;
        searchName: string | null;
        /** the search's status, or skipped when the slot started none */
        status: string;
        finishedAt: string | null;
        generations: number;
        hypervolume: number | null;
        frontSize: number | null;
      }>;
      comparison: {
        latest: {
          runId: string;
          slot: string;
          searchId: string | null;
          searchName: string | null;
          /** the search's status, or skipped when the slot started none */
          status: string;
          finishedAt: string | null;
          generations: number;
          hypervolume: number | null;
          frontSize: number | null;
        } | null;
        previous: {
          runId: string;
          slot: string;
          searchId: string | null;
          searchName: string | null;
          /** the search's status, or skipped when the slot started none */
          status: string;
          finishedAt: string | null;
          generations: number;
          hypervolume: number | null;
          frontSize: number | null;
        } | null;
        changeFromPrevious: number | null;
        bestEarlierHypervolume: number | null;
        meanEarlierHypervolume: number | null;
        latestIsBest: boolean | null;
      };
    };
  };
  /** List searches, newest first */
  listSearches: {
    method: "get";
    path: "/v1/searches";
    params: Record<string, never>;
    query: {
      status?: Array<"queued" | "running" | "succeeded" | "failed" | "cancelled">;
      /** case-insensitive substring */
      name?: string;
      supernetId?: string;
      scheduleId?: string;
      createdAfter?: string;
      createdBefore?: string;
      /** nextCursor of the previous page */
      cursor?: string;
      limit?: number;
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        name: string;
        status: "queued" | "running" | "succeeded" | "failed" | "cancelled";
        seed: number;
        supernetId: string | null;
        scheduleId: string | null;
        lastGeneration: number | null;
        error: string | null;
        createdAt: string;
        updatedAt: string;
        startedAt: string | null;
        finishedAt: string | null;
      }>;
      nextCursor: string | null;
    };
  };
  /** Submit a search */
  submitSearch: {
    method: "post";
    path: "/v1/searches";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      name: string;
      seed?: number;
      supernet?: {
        id: string;
        checkpointStep?: number;
      };
      validationSet?: string;
      space?: {
        [key: string]: unknown;
      };
      referenceInput?: {
        height: number;
        width: number;
      };
      targets?: Array<{
        name?: string;
        deviceClass: string;
        runtimeConfig?: {
          runtime: "tflite";
          threads: number;
          delegate: "cpu" | "xnnpack" | "gpu" | "nnapi" | "hexagon";
          precision: "fp32" | "fp16";
          cpuAffinity?: string;
          warmupRuns: number;
          runs: number;
        };
        input?: {
          height: number;
          width: number;
        };
        latencyStatistic?: "median" | "min";
        maxLatencyMs?: number;
        maxPeakMemoryMb?: number;
      }>;
      constraints?: {
        maxMacs?: number;
        maxParams?: number;
        maxMemoryTrafficMb?: number;
      };
      objectives?: Array<"psnr" | "ssim" | "latency" | "memory" | "macs" | "traffic">;
      algorithm?:
        | {
            kind: "nsga2";
            crossoverProbability?: number;
            mutationProbability?: number;
          }
        | {
            kind: "evolution";
            parentRatio?: number;
            mutationRatio?: number;
            mutationProbability?: number;
          }
        | {
            kind: "random";
          };
      latencySource?: "measured" | "predicted";
      activeMeasurement?: {
        maxShare?: number;
        z?: number;
      };
      budget: {
        generations: number;
        population: number;
        maxMeasurements?: number;
        wallTimeMinutes?: number;
      };
      final?: {
        remeasure?: boolean;
        exportFormats?: Array<"tflite" | "onnx" | "tfjs">;
      };
    };
    response: {
      id: string;
      name: string;
      status: "queued" | "running" | "succeeded" | "failed" | "cancelled";
      seed: number;
      supernetId: string | null;
      scheduleId: string | null;
      lastGeneration: number | null;
      error: string | null;
      createdAt: string;
      updatedAt: string;
      startedAt: string | null;
      finishedAt: string | null;
      spec: unknown;
      supernet: {
        id: string;
        name: string;
        status: string;
      } | null;
      progress: {
        generationsDone: number;
        generations: number | null;
        fraction: number | null;
      };
      counts: {
        candidates: number;
        generations: number;
      };
      /** device classes of the search's targets that no online phone serves while it is queued or running: its measurements wait in measure.<class> until a phone of the class attaches */
      waitingForPhones: string[];
      warnings: string[];
    };
  };
  /** A search with its spec and progress */
  getSearch: {
    method: "get";
    path: "/v1/searches/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      name: string;
      status: "queued" | "running" | "succeeded" | "failed" | "cancelled";
      seed: number;
      supernetId: string | null;
      scheduleId: string | null;
      lastGeneration: number | null;
      error: string | null;
      createdAt: string;
      updatedAt: string;
      startedAt: string | null;
      finishedAt: string | null;
      spec: unknown;
      supernet: {
        id: string;
        name: string;
        status: string;
      } | null;
      progress: {
        generationsDone: number;
        generations: number | null;
        fraction: number | null;
      };
      counts: {
        candidates: number;
        generations: number;
      };
      /** device classes of the search's targets that no online phone serves while it is queued or running: its measurements wait in measure.<class> until a phone of the class attaches */
      waitingForPhones: string[];
    };
  };
  /** Cancel a queued or running search */
  cancelSearch: {
    method: "post";
    path: "/v1/searches/{id}/cancel";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      name: string;
      status: "queued" | "running" | "succeeded" | "failed" | "cancelled";
      seed: number;
      supernetId: string | null;
      scheduleId: string | null;
      lastGeneration: number | null;
      error: string | null;
      createdAt: string;
      updatedAt: string;
      startedAt: string | null;
      finishedAt: string | null;
      spec: unknown;
      supernet: {
        id: string;
        name: string;
        status: string;
      } | null;
      progress: {
        generationsDone: number;
        generations: number | null;
        fraction: number | null;
      };
      counts: {
        candidates: number;
        generations: number;
      };
      /** device classes of the search's targets that no online phone serves while it is queued or running: its measurements wait in measure.<class> until a phone of the class attaches */
      waitingForPhones: string[];
    };
  };
  /** Candidates of a search with metrics, cost and latency per target */
  listCandidates: {
    method: "get";
    path: "/v1/searches/{id}/candidates";
    params: {
      id: string;
    };
    query: {
      target?: string;
      feasible?: boolean;
      rank?: number;
      generation?: number;
      /** nextCursor of the previous page */
      cursor?: string;
      limit?: number;
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        searchId: string;
        generationIndex: number;
        genome: unknown;
        genomeHash: string;
        psnr: number | null;
        ssim: number | null;
        rank: number | null;
        feasible: boolean | null;
        /** why its evaluation or a measurement failed for good; null when every figure is there */
        error: string | null;
        cost: {
          params: number;
          macs: number;
          peakActivationBytes: number;
          memoryTrafficBytes: number;
          costModelVersion: string;
          referenceInput: {
            height: number;
            width: number;
          };
        };
        /** per target; predicted and measured figures kept apart */
        latencies: Array<{
          target: string;
          predictedMs: number | null;
          predictedStdMs: number | null;
          predictorVersion: string | null;
          measuredMs: number | null;
          measuredPeakMemMb: number | null;
          measurementId: string | null;
        }>;
        createdAt: string;
        updatedAt: string;
      }>;
      nextCursor: string | null;
    };
  };
  /** One candidate with its measurements (and their conditions), exported models and sample crops */
  getCandidate: {
    method: "get";
    path: "/v1/searches/{id}/candidates/{candidateId}";
    params: {
      id: string;
      candidateId: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      searchId: string;
      generationIndex: number;
      genome: unknown;
      genomeHash: string;
      psnr: number | null;
      ssim: number | null;
      rank: number | null;
      feasible: boolean | null;
      /** why its evaluation or a measurement failed for good; null when every figure is there */
      error: string | null;
      cost: {
        params: number;
        macs: number;
        peakActivationBytes: number;
        memoryTrafficBytes: number;
        costModelVersion: string;
        referenceInput: {
          height: number;
          width: number;
        };
      };
      /** per target; predicted and measured figures kept apart */
      latencies: Array<{
        target: string;
        predictedMs: number | null;
        predictedStdMs: number | null;
        predictorVersion: string | null;
        measuredMs: number | null;
        measuredPeakMemMb: number | null;
        measurementId: string | null;
      }>;
      createdAt: string;
      updatedAt: string;
      measurements: Array<{
        id: string;
        requestKey: string;
        architectureHash: string;
        deviceId: string;
        device: {
          serial: string;
          model: string;
          soc: string | null;
        };
        deviceClass: string;
        runtime: string;
        runtimeVersion: string;
        runtimeConfig: unknown;
        input: {
          height: number;
          width: number;
        };
        samples: number;
        medianMs: number;
        meanMs: number;
        stdMs: number;
        p90Ms: number;
        minMs: number;
        maxMs: number;
        initMs: number | null;
        peakMemoryMb: number | null;
        conditions: unknown;
        createdAt: string;
        /** the benchmark tool's output; only with ?raw=true */
        rawOutput?: string;
      }>;
      exports: Array<{
        sha256: string;
        kind: string;
        sizeBytes: number;
        mediaType: string | null;
        metadata: unknown;
        createdAt: string;
        downloadUrl: string;
      }>;
      /** side-by-side sample crops (bicubic / SubGenerator / teacher / HR) of its evaluation on the search's validation set; null until it is evaluated */
      samples: {
        sha256: string;
        /** the PNG: panels left to right, each the HR window's size */
        imageUrl: string;
        checkpointStep: number;
        /** the validation image the window is taken from */
        image: string;
        scale: number;
        window: {
          top: number;
          left: number;
          size: number;
        };
        panels: Array<{
          name: "bicubic" | "subgenerator" | "teacher" | "hr";
          psnrY: number | null;
        }>;
        /** why the teacher's panel is missing, when it is */
        teacherMissing?: string;
      } | null;
    };
  };
  /** Submit a new search with the spec of an existing one */
  cloneSearch: {
    method: "post";
    path: "/v1/searches/{id}/clone";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: {
      name?: string;
      seed?: number;
    } | null;
    response: {
      id: string;
      name: string;
      status: "queued" | "running" | "succeeded" | "failed" | "cancelled";
      seed: number;
      supernetId: string | null;
      scheduleId: string | null;
      lastGeneration: number | null;
      error: string | null;
      createdAt: string;
      updatedAt: string;
      startedAt: string | null;
      finishedAt: string | null;
      spec: unknown;
      supernet: {
        id: string;
        name: string;
        status: string;
      } | null;
      progress: {
        generationsDone: number;
        generations: number | null;
        fraction: number | null;
      };
      counts: {
        candidates: number;
        generations: number;
      };
      /** device classes of the search's targets that no online phone serves while it is queued or running: its measurements wait in measure.<class> until a phone of the class attaches */
      waitingForPhones: string[];
      warnings: string[];
    };
  };
  /** Stream a search's progress (server-sent events) */
  streamSearchEvents: {
    method: "get";
    path: "/v1/searches/{id}/events";
    params: {
      id: string;
    };
    query: {
      /** like Last-Event-ID */
      after?: number;
    };
    body: never;
    response: string;
  };
  /** Targets of a search that have fronts */
  listFronts: {
    method: "get";
    path: "/v1/searches/{id}/fronts";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      searchId: string;
      targets: string[];
    };
  };
  /** The Pareto front of a search on one target: quality up, latency (or another cost) down */
  getFront: {
    method: "get";
    path: "/v1/searches/{id}/fronts/{target}";
    params: {
      id: string;
      target: string;
    };
    query: {
      quality?: "psnr" | "ssim";
      latency?: "measured" | "predicted" | "measured-else-predicted";
      axis?: "latency" | "memory" | "traffic" | "macs";
      generation?: number;
    };
    body: never;
    response: {
      searchId: string;
      target: string;
      quality: "psnr" | "ssim";
      latency: "measured" | "predicted" | "measured-else-predicted";
      axis: "latency" | "memory" | "traffic" | "macs";
      /** unit of each point's `x` */
      axisUnit: string;
      generation: number | null;
      /** candidates with both a quality and a latency figure */
      rankedCandidates: number;
      points: Array<{
        candidateId: string;
        genomeHash: string;
        genome: unknown;
        generationIndex: number;
        quality: number;
        psnr: number | null;
        ssim: number | null;
        latencyMs: number;
        latencyBasis: "measured" | "predicted";
        /** the point's figure on the front's `axis`, in `axisUnit` */
        x: number;
        predictedMs: number | null;
        predictedStdMs: number | null;
        predictorVersion: string | null;
        measuredMs: number | null;
        measuredPeakMemMb: number | null;
        measurementId: string | null;
        cost: {
          params: number;
          macs: number;
          peakActivationBytes: number;
          memoryTrafficBytes: number;
          costModelVersion: string;
          referenceInput: {
            height: number;
            width: number;
          };
        };
      }>;
    };
  };
  /** Generations of a search, in order */
  listGenerations: {
    method: "get";
    path: "/v1/searches/{id}/generations";
    params: {
      id: string;
    };
    query: {
      /** nextCursor of the previous page */
      cursor?: string;
      limit?: number;
    };
    body: never;
    response: {
      items: Array<{
        index: number;
        hypervolume: number | null;
        populationSize: number;
        front: unknown;
        createdAt: string;
      }>;
      nextCursor: string | null;
    };
  };
  /** One generation with its population */
  getGeneration: {
    method: "get";
    path: "/v1/searches/{id}/generations/{index}";
    params: {
      id: string;
      index: number;
    };
    query: Record<string, never>;
    body: never;
    response: {
      index: number;
      hypervolume: number | null;
      populationSize: number;
      front: unknown;
      createdAt: string;
      population: unknown;
    };
  };
  /** A search's final result: its Pareto set re-measured on phones, with exported models */
  getSearchResult: {
    method: "get";
    path: "/v1/searches/{id}/result";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      searchId: string;
      status: string;
      finishedAt: string | null;
      result: {
        /** the objectives, in the order of each member's `objectives`: psnr (dB) or ssim, latency:<target> (ms), memory (MB: weights plus peak activations), macs (GMAC), traffic (MB: memory traffic, the memory access cost); quality is stored negated */
        axes: Array<{
          name: string;
          unit: string;
          negated: boolean;
        }>;
        reference: number[] | null;
        checkpointStep: number | null;
        measurementsRequested: number;
        /** hypervolume of the final front against `reference` */
        hypervolume: number | null;
        /** latencies answered by a predictor instead of a phone (searches with latencySource predicted) */
        measurementsSaved?: number;
        front: Array<{
          hash: string;
          /** this search's candidate with the genome */
          candidateId: string | null;
          /** encoded genome (x<scale>-c<trunk>-u:<nc|ps>-b[...]) */
          genome: string;
          objectives: number[];
          params: number;
          macs: number;
          /** peak activation memory at the reference input (cost model), bytes */
          peakActivationBytes?: number;
          /** memory traffic (memory access cost) at the reference input: bytes every op reads and writes (cost model) */
          memoryTrafficBytes?: number;
          /** per target: the latency the search used and the final re-measurement of the exported model */
          latency: {
            [key: string]: {
              searchMs: number | null;
              finalMs: number | null;
              finalMeasurementId?: string;
            };
          };
          /** sha256 of the exported file per format, at the reference input */
          exports: {
            [key: string]: string;
          };
          /** sha256 of the TFLite model measured on each target */
          targetModels: {
            [key: string]: string;
          };
          errors?: string[];
        }>;
      } | null;
    };
  };
  /** Resume a failed or cancelled search */
  resumeSearch: {
    method: "post";
    path: "/v1/searches/{id}/resume";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      name: string;
      status: "queued" | "running" | "succeeded" | "failed" | "cancelled";
      seed: number;
      supernetId: string | null;
      scheduleId: string | null;
      lastGeneration: number | null;
      error: string | null;
      createdAt: string;
      updatedAt: string;
      startedAt: string | null;
      finishedAt: string | null;
      spec: unknown;
      supernet: {
        id: string;
        name: string;
        status: string;
      } | null;
      progress: {
        generationsDone: number;
        generations: number | null;
        fraction: number | null;
      };
      counts: {
        candidates: number;
        generations: number;
      };
      /** device classes of the search's targets that no online phone serves while it is queued or running: its measurements wait in measure.<class> until a phone of the class attaches */
      waitingForPhones: string[];
    };
  };
  /** List supernets, newest first */
  listSupernets: {
    method: "get";
    path: "/v1/supernets";
    params: Record<string, never>;
    query: {
      status?: Array<"queued" | "training" | "ready" | "failed" | "cancelled">;
      /** nextCursor of the previous page */
      cursor?: string;
      limit?: number;
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        name: string;
        status: "queued" | "training" | "ready" | "failed" | "cancelled";
        /** last finished training step */
        step: number;
        error: string | null;
        createdAt: string;
        updatedAt: string;
        startedAt: string | null;
        finishedAt: string | null;
      }>;
      nextCursor: string | null;
    };
  };
  /** Start training a supernet */
  trainSupernet: {
    method: "post";
    path: "/v1/supernets";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      name: string;
      trainingConfig: {
        space?: {
          [key: string]: unknown;
        };
        teacher?:
          | {
              kind: "rrdbnet";
              weights: string;
              blocks?: number;
              channels?: number;
              growth?: number;
            }
          | {
              kind: "tfjs-layers";
              package?: "@upscalerjs/esrgan-thick";
              artifact?: string;
              featureLayers?: string;
              scale?: number;
              valueRange?: [0, 1 | 255];
              input?: "nhwc-rgb";
            };
        vggWeights?: string;
        data: {
          train: string;
          val: string;
        };
        scale?: 2 | 4;
        steps: number;
        batch?: number;
        patchSize?: number;
        optimizer?: {
          lr: number;
          discriminatorLr?: number;
          betas?: [number, number];
          epsilon?: number;
        };
        schedule?:
          | {
              kind: "constant";
              warmupSteps?: number;
            }
          | {
              kind: "step";
              warmupSteps?: number;
              everySteps: number;
              gamma?: number;
            }
          | {
              kind: "cosine";
              warmupSteps?: number;
              minLr?: number;
            };
        losses?: {
          pixel?: number;
          perceptual?: number;
          adversarial?: number;
          outputDistill?: number;
          featureDistill?: number;
          discriminatorDistill?: number;
        };
        discriminator?: {
          layers?: number;
          teacherBaseWidth?: number;
          studentBaseWidth?: number;
        };
        sampling?:
          | {
              rule: "sandwich";
              random?: number;
            }
          | {
              rule: "progressive";
              random?: number;
              phases: Array<{
                untilStep: number;
                space: {
                  [key: string]: unknown;
                };
              }>;
            };
        checkpointEvery?: number;
        evalEvery?: number;
        logEvery?: number;
        seed?: number;
      };
    };
    response: {
      id: string;
      name: string;
      status: "queued" | "training" | "ready" | "failed" | "cancelled";
      /** last finished training step */
      step: number;
      error: string | null;
      createdAt: string;
      updatedAt: string;
      startedAt: string | null;
      finishedAt: string | null;
      searchSpace: unknown;
      trainingConfig: unknown;
      progress: {
        step: number;
        steps: number | null;
        fraction: number | null;
        latest: {
          step: number;
          losses: unknown;
          imagesPerSecond: number;
          at: string;
        } | null;
      };
      checkpoints: Array<{
        step: number;
        artifactSha256: string;
        metrics: unknown;
        createdAt: string;
      }>;
    };
  };
  /** A supernet with its training progress and checkpoints */
  getSupernet: {
    method: "get";
    path: "/v1/supernets/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      name: string;
      status: "queued" | "training" | "ready" | "failed" | "cancelled";
      /** last finished training step */
      step: number;
      error: string | null;
      createdAt: string;
      updatedAt: string;
      startedAt: string | null;
      finishedAt: string | null;
      searchSpace: unknown;
      trainingConfig: unknown;
      progress: {
        step: number;
        steps: number | null;
        fraction: number | null;
        latest: {
          step: number;
          losses: unknown;
          imagesPerSecond: number;
          at: string;
        } | null;
      };
      checkpoints: Array<{
        step: number;
        artifactSha256: string;
        metrics: unknown;
        createdAt: string;
      }>;
    };
  };
  /** Cancel training */
  cancelSupernet: {
    method: "post";
    path: "/v1/supernets/{id}/cancel";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      name: string;
      status: "queued" | "training" | "ready" | "failed" | "cancelled";
      /** last finished training step */
      step: number;
      error: string | null;
      createdAt: string;
      updatedAt: string;
      startedAt: string | null;
      finishedAt: string | null;
      searchSpace: unknown;
      trainingConfig: unknown;
      progress: {
        step: number;
        steps: number | null;
        fraction: number | null;
        latest: {
          step: number;
          losses: unknown;
          imagesPerSecond: number;
          at: string;
        } | null;
      };
      checkpoints: Array<{
        step: number;
        artifactSha256: string;
        metrics: unknown;
        createdAt: string;
      }>;
    };
  };
  /** Stream a supernet's training progress (server-sent events) */
  streamSupernetEvents: {
    method: "get";
    path: "/v1/supernets/{id}/events";
    params: {
      id: string;
    };
    query: {
      /** like Last-Event-ID */
      after?: number;
    };
    body: never;
    response: string;
  };
  /** The key this request authenticated with */
  whoami: {
    method: "get";
    path: "/v1/whoami";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      name: string;
      prefix: string;
      scopes: string[];
      deviceClass: string | null;
    };
  };
}

export type ApiOperationId = keyof ApiOperations;
/** The JSON a successful answer of the operation carries. */
export type ApiResponse<Op extends ApiOperationId> = ApiOperations[Op]["response"];
/** The operation's request body. */
export type ApiBody<Op extends ApiOperationId> = ApiOperations[Op]["body"];
/** The operation's query string. */
export type ApiQuery<Op extends ApiOperationId> = ApiOperations[Op]["query"];
/** The operation's path parameters. */
export type ApiParams<Op extends ApiOperationId> = ApiOperations[Op]["params"];

/** Method and path template of every operation, for clients that call operations by their id. */
export const API_ROUTES = {
  reportAgentDevice: { method: "PUT", path: "/v1/agent/devices/{serial}" },
  listApiKeys: { method: "GET", path: "/v1/api-keys" },
  createApiKey: { method: "POST", path: "/v1/api-keys" },
  revokeApiKey: { method: "DELETE", path: "/v1/api-keys/{id}" },
  getArchitecture: { method: "GET", path: "/v1/architectures/{hash}" },
  listArtifacts: { method: "GET", path: "/v1/artifacts" },
  uploadArtifact: { method: "POST", path: "/v1/artifacts" },
  getArtifact: { method: "GET", path: "/v1/artifacts/{sha256}" },
  downloadArtifact: { method: "GET", path: "/v1/artifacts/{sha256}/download" },
  getDeviceLab: { method: "GET", path: "/v1/device-lab" },
  listDevices: { method: "GET", path: "/v1/devices" },
  getDevice: { method: "GET", path: "/v1/devices/{id}" },
  quarantineDevice: { method: "POST", path: "/v1/devices/{id}/quarantine" },
  releaseDevice: { method: "POST", path: "/v1/devices/{id}/release" },
  listMeasurements: { method: "GET", path: "/v1/measurements" },
  getMeasurement: { method: "GET", path: "/v1/measurements/{id}" },
  listPredictors: { method: "GET", path: "/v1/predictors" },
  profileLatencyKernels: { method: "POST", path: "/v1/predictors/{deviceClass}/profile" },
  getPredictorReport: { method: "GET", path: "/v1/predictors/{deviceClass}/report" },
  listSchedules: { method: "GET", path: "/v1/schedules" },
  createSchedule: { method: "POST", path: "/v1/schedules" },
  getSchedule: { method: "GET", path: "/v1/schedules/{id}" },
  updateSchedule: { method: "PATCH", path: "/v1/schedules/{id}" },
  deleteSchedule: { method: "DELETE", path: "/v1/schedules/{id}" },
  listScheduleRuns: { method: "GET", path: "/v1/schedules/{id}/runs" },
  getScheduleTrend: { method: "GET", path: "/v1/schedules/{id}/trend" },
  listSearches: { method: "GET", path: "/v1/searches" },
  submitSearch: { method: "POST", path: "/v1/searches" },
  getSearch: { method: "GET", path: "/v1/searches/{id}" },
  cancelSearch: { method: "POST", path: "/v1/searches/{id}/cancel" },
  listCandidates: { method: "GET", path: "/v1/searches/{id}/candidates" },
  getCandidate: { method: "GET", path: "/v1/searches/{id}/candidates/{candidateId}" },
  cloneSearch: { method: "POST", path: "/v1/searches/{id}/clone" },
  streamSearchEvents: { method: "GET", path: "/v1/searches/{id}/events" },
  listFronts: { method: "GET", path: "/v1/searches/{id}/fronts" },
  getFront: { method: "GET", path: "/v1/searches/{id}/fronts/{target}" },
  listGenerations: { method: "GET", path: "/v1/searches/{id}/generations" },
  getGeneration: { method: "GET", path: "/v1/searches/{id}/generations/{index}" },
  getSearchResult: { method: "GET", path: "/v1/searches/{id}/result" },
  resumeSearch: { method: "POST", path: "/v1/searches/{id}/resume" },
  listSupernets: { method: "GET", path: "/v1/supernets" },
  trainSupernet: { method: "POST", path: "/v1/supernets" },
  getSupernet: { method: "GET", path: "/v1/supernets/{id}" },
  cancelSupernet: { method: "POST", path: "/v1/supernets/{id}/cancel" },
  streamSupernetEvents: { method: "GET", path: "/v1/supernets/{id}/events" },
  whoami: { method: "GET", path: "/v1/whoami" },
} as const satisfies Record<ApiOperationId, { method: string; path: string }>;
