// Runs one emulated phone as its own process (what `startEmulatedPhones` spawns, and what users without phones
// run to measure on the host CPU). Arguments: --serial NAME --root DIR [--port N] [--profile host|sm8250]
// [--battery PERCENT]. Prints
// "emulated phone <serial> listening on 127.0.0.1:<port>" once it accepts `adb connect`.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { errorMessage } from "@mfnas/core";
import { EmulatedPhone } from "./emulated-phone.ts";
import { parseEmulatedProfile } from "./profiles.ts";

const { values } = parseArgs({
  options: {
    serial: { type: "string" },
    root: { type: "string" },
    port: { type: "string" },
    profile: { type: "string" },
    battery: { type: "string" },
  },
});
const port = Number(values.port ?? "0");
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`--port: must be a port number, got ${JSON.stringify(values.port)}\n`);
  process.exit(64);
}
const batteryLevel = values.battery === undefined ? undefined : Number(values.battery);
const serial = values.serial ?? `emulated-${process.pid}`;
const root = values.root ?? mkdtempSync(path.join(os.tmpdir(), "mfnas-phone-"));
let phone: EmulatedPhone;
try {
  phone = new EmulatedPhone({
    serial,
    root,
    port,
    profile: parseEmulatedProfile(values.profile),
    ...(batteryLevel !== undefined ? { batteryLevel } : {}),
    onEvent: (event) => process.stdout.write(`${serial}: ${event}\n`),
  });
} catch (error) {
  process.stderr.write(`emulated phone: ${errorMessage(error)}\n`);
  process.exit(64);
}
const listening = await phone.start();
process.stdout.write(`emulated phone ${serial} listening on 127.0.0.1:${listening} (root ${root})\n`);
const stop = () => void phone.stop().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
