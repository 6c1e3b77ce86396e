// Starts emulated phones (each its own process speaking ADB over TCP) and attaches them to the host's adb server,
// so a machine without phones measures on its CPU through the same path as a real phone (device class
// "host-cpu"). Usage: npm run emulated-phones -w @mfnas/device-lab -- [--count N] [--adb-port 5037]
// [--profile host|sm8250] [--battery PERCENT]; the profile defaults to EMULATED_PHONE_PROFILE (env.ts).
// Runs until SIGINT/SIGTERM, then disconnects them.
import { parseArgs } from "node:util";
import { errorMessage } from "@mfnas/core";
import { parseEmulatedProfile, startEmulatedPhones } from "@mfnas/devices";
import { loadEmulatedPhonesEnv } from "./env.ts";

const { values } = parseArgs({
  options: {
    count: { type: "string" },
    "adb-port": { type: "string" },
    profile: { type: "string" },
    battery: { type: "string" },
  },
});
const count = Number(values.count ?? "1");
const adbPort = Number(values["adb-port"] ?? "5037");
if (!Number.isInteger(count) || count < 1 || count > 64) {
  process.stderr.write(`--count: must be an integer 1..64, got ${JSON.stringify(values.count)}\n`);
  process.exit(64);
}
let profile;
try {
  profile = parseEmulatedProfile(values.profile ?? loadEmulatedPhonesEnv().EMULATED_PHONE_PROFILE);
} catch (error) {
  process.stderr.write(`--profile: ${errorMessage(error)}\n`);
  process.exit(64);
}
const battery = values.battery === undefined ? undefined : Number(values.battery);
if (battery !== undefined && !(Number.isInteger(battery) && battery >= 0 && battery <= 100)) {
  process.stderr.write(`--battery: must be an integer 0-100, got ${JSON.stringify(values.battery)}\n`);
  process.exit(64);
}
const phones = await startEmulatedPhones(count, {
  adb: { port: adbPort },
  profile,
  ...(battery !== undefined ? { batteryLevel: battery } : {}),
});
for (const phone of phones)
  process.stdout.write(`emulated phone attached to adb as ${phone.serial} (root ${phone.root})\n`);
const stop = () => void Promise.all(phones.map((p) => p.stop())).then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
