/** How the adb server reports a device (adb's own words). */
export type AdbDeviceState = "device" | "offline" | "unauthorized" | "emulator" | "unknown";

export interface AttachedDevice {
  readonly serial: string;
  readonly state: AdbDeviceState;
}

export type DeviceEvent =
  | { readonly type: "added"; readonly serial: string; readonly state: AdbDeviceState }
  | { readonly type: "changed"; readonly serial: string; readonly state: AdbDeviceState }
  | { readonly type: "removed"; readonly serial: string };

export interface ShellResult {
  /** stdout and stderr as the phone's shell wrote them (adb's shell v1 merges them). */
  readonly output: string;
  readonly exitCode: number;
}

export interface CommandOptions {
  readonly signal?: AbortSignal;
  /** Wall-time limit; past it the command's stream is closed and a `timeout` error thrown. */
  readonly timeoutMs?: number;
}

/**
 * What the device lab needs from phones. The ADB implementation (`AdbDriver`) goes through the host's adb server;
 * every value that reaches a phone's shell goes through `shellCommand` (validated and quoted) first.
 *
 * Errors: a phone that drops (unplugged, adb reset) mid-call gives a `transient` MfnasError; a bad serial or path
 * gives `invalid_input`.
 */
export interface DeviceDriver {
  /** Devices the adb server knows now. */
  list(): Promise<AttachedDevice[]>;
  /** Calls `listener` for every device coming, changing state or going, until `stop`. */
  track(listener: (event: DeviceEvent) => void, onError?: (error: Error) => void): Promise<{ stop(): void }>;
  /** Runs argv (each element one shell word) on the phone. */
  shell(serial: string, argv: readonly string[], options?: CommandOptions): Promise<ShellResult>;
  /** Writes bytes to a phone path (mode 0644). */
  push(serial: string, bytes: Uint8Array, remotePath: string, options?: CommandOptions): Promise<void>;
  /** Attaches a network phone (`adb connect host:port`); drivers without network phones leave it out. */
  connect?(host: string, port: number): Promise<unknown>;
}
