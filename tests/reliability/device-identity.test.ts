// Strange getprop values through a real adb server to an emulated phone: whatever a phone says about itself
// (NUL bytes, control characters, huge or empty values, absurd SDK levels, odd SoC names), the agent's
// identification yields clean bounded texts, a valid device class, and a Device row PostgreSQL accepts.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEVICE_CLASS_PATTERN } from "@mfnas/core";
import { deviceClassOf, deviceRegistration } from "@mfnas/device-lab";
import { EmulatedPhone, identifyDevice } from "@mfnas/devices";
import { DeviceLabRepository } from "@mfnas/store";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { startAdbServer } from "../support/device-lab.ts";
import { freePort } from "./support/private-services.ts";

const KEYS = [
  "ro.product.model",
  "ro.product.manufacturer",
  "ro.build.version.release",
  "ro.build.version.sdk",
  "ro.product.cpu.abi",
  "ro.soc.model",
  "ro.board.platform",
] as const;

const strange = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(
    "\u0000",
    "Pixel\u00007",
    "  ",
    "x".repeat(5_000),
    "99999999999999999",
    "-5",
    "34abc",
    "Ünïcödé 📱",
    "SM8550; reboot",
    "$(reboot)",
    "../../etc",
    "\u202eRTL",
  ),
);

describe("strange getprop values from a phone", () => {
  let database: TestDatabase;
  let adb: Awaited<ReturnType<typeof startAdbServer>>;
  let phone: EmulatedPhone;
  let serial: string;
  let root: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    adb = await startAdbServer(await freePort());
    root = await mkdtemp(path.join(os.tmpdir(), "mfnas-strange-phone-"));
    phone = new EmulatedPhone({ serial: "strange", root, properties: { "ro.mfnas.emulated": "0" } });
    const port = await phone.start();
    serial = await adb.driver.connect("127.0.0.1", port).then(() => `127.0.0.1:${port}`);
    const deadline = Date.now() + 50_000;
    while (!(await adb.driver.list()).some((d) => d.serial === serial && d.state === "device")) {
      if (Date.now() > deadline) throw new Error(`adb never listed ${serial} as a device`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 180_000);
  afterAll(async () => {
    await phone.stop();
    await adb.stop();
    await database.drop();
    await rm(root, { recursive: true, force: true });
  });

  it("identifies the phone with clean bounded texts and registers it", async () => {
    const store = new DeviceLabRepository(database.db);
    // The phone's property table, rewritten between runs (getprop reads it on every call).
    const properties = phone.properties as Map<string, string>;
    await fc.assert(
      fc.asyncProperty(
        fc.record(Object.fromEntries(KEYS.map((k) => [k, strange])) as Record<string, fc.Arbitrary<string>>),
        async (values) => {
          for (const [k, v] of Object.entries(values)) properties.set(k, v);
          const identity = await identifyDevice(adb.driver, serial);
          for (const text of [
            identity.model,
            identity.manufacturer,
            identity.androidVersion,
            identity.abi,
            identity.soc?.name,
          ]) {
            if (text === null || text === undefined) continue;
            expect(text.length).toBeLessThanOrEqual(200);
            // eslint-disable-next-line no-control-regex
            expect(text).not.toMatch(/[\u0000-\u001f\u007f]/);
          }
          if (identity.sdkLevel !== null) expect(identity.sdkLevel).toBeLessThanOrEqual(1_000);
          const deviceClass = deviceClassOf(identity, {});
          expect(deviceClass).toMatch(DEVICE_CLASS_PATTERN);
          const row = await store.registerDevice(deviceRegistration(identity, deviceClass, "strange-host"));
          expect(row.state).toBe("online");
          expect(await database.db.device.count()).toBe(1);
        },
      ),
      { numRuns: 40 },
    );
  }, 360_000);
});
