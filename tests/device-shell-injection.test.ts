import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EMULATED_RUNNER_PATH,
  benchmarkArgv,
  flag,
  startEmulatedPhones,
  type AdbDriver,
  type RunningEmulatedPhone,
} from "@mfnas/devices";
import { SMALL_RUN, startAdbServer, stopPhones } from "./support/device-lab.ts";

// Values carrying shell metacharacters go through the real adb server to an emulated phone whose shell parses
// `;`, `$(...)`, backquotes and quotes like sh does. None of them may run a command on the phone or on the host.
describe("shell metacharacters in serials, paths and flags", () => {
  const ADB_PORT = 5048;
  let adb: { driver: AdbDriver; stop(): Promise<void> };
  let phone: RunningEmulatedPhone;
  const hostMarker = path.join(os.tmpdir(), `mfnas-injected-${process.pid}`);

  beforeAll(async () => {
    adb = await startAdbServer(ADB_PORT);
    [phone] = (await startEmulatedPhones(1, { adb: { port: ADB_PORT } })) as [RunningEmulatedPhone];
  });
  afterAll(async () => {
    await stopPhones([phone]);
    await adb.stop();
  });

  const payloads = (target: string) => [
    `/data/local/tmp/a; touch ${target}`,
    `/data/local/tmp/a && touch ${target}`,
    `/data/local/tmp/$(touch ${target})`,
    `/data/local/tmp/\`touch ${target}\``,
    `/data/local/tmp/a' ; touch ${target} ; echo '`,
    `/data/local/tmp/a" ; touch ${target} ; echo "`,
    `/data/local/tmp/a\ntouch ${target}`,
    `/data/local/tmp/a | touch ${target}`,
    `/data/local/tmp/a > ${target}`,
  ];

  async function phoneFiles(): Promise<string[]> {
    return readdir(path.join(phone.root, "data/local/tmp"));
  }

  it("the phone's shell would run an unquoted injection (so the checks below can fail)", async () => {
    const stream = await adb.driver.client
      .getDevice(phone.serial)
      .shell("ls /data/local/tmp; touch /data/local/tmp/control");
    await new Promise((resolve) => stream.on("close", resolve).resume());
    expect(await phoneFiles()).toContain("control");
  });

  it("argv elements stay single words on the phone: no payload creates a file", async () => {
    const before = await phoneFiles();
    for (const value of payloads("/data/local/tmp/pwned")) {
      const { output } = await adb.driver.shell(phone.serial, ["echo", value]);
      expect(output).toBe(`${value}\n`);
      await adb.driver.shell(phone.serial, ["ls", value]);
      await adb.driver.shell(phone.serial, ["sha256sum", value]);
    }
    expect(await phoneFiles()).toEqual(before);
  });

  it("serials, phone paths and flag values with metacharacters are refused before anything runs", async () => {
    for (const value of payloads(hostMarker)) {
      await expect(adb.driver.shell(`${phone.serial}${value}`, ["true"])).rejects.toMatchObject({
        code: "invalid_input",
      });
      await expect(adb.driver.push(phone.serial, new Uint8Array([1]), value)).rejects.toMatchObject({
        code: "invalid_input",
      });
      expect(() => flag("num_threads", value)).toThrow(/has characters outside/);
      expect(() => benchmarkArgv({ path: EMULATED_RUNNER_PATH, version: "x" }, value, SMALL_RUN)).toThrow(/graph path/);
      expect(() => benchmarkArgv({ path: value, version: "x" }, "/data/local/tmp/m.tflite", SMALL_RUN)).toThrow(
        /runner path/,
      );
    }
    expect(() =>
      benchmarkArgv({ path: EMULATED_RUNNER_PATH, version: "x" }, "/a/b.tflite", {
        ...SMALL_RUN,
        cpuAffinity: "f0; reboot",
      }),
    ).toThrow();
    expect(existsSync(hostMarker)).toBe(false);
    expect(await phoneFiles()).not.toContain("pwned");
  });
});
