// The main job's process handling without its work: starts two services and one other child (standing in for an
// emulated phone) the way scripts/main.ts does, prints their pids, and waits to be stopped by a signal.
import { spawn } from "node:child_process";
import path from "node:path";
import { startService, stopEverythingOnSignal } from "../../scripts/main-job/services.ts";

const root = path.resolve(import.meta.dirname, "../..");
const logDir = process.argv[2] ?? "/tmp";
const entry = "tests/support/idle-service.ts";
const services = [startService(root, "first", entry, {}, logDir), startService(root, "second", entry, {}, logDir)];
const phone = spawn(process.execPath, ["--import", "tsx", path.join(root, entry)], { cwd: root, stdio: "ignore" });
stopEverythingOnSignal(async () => {
  phone.kill("SIGTERM");
  await new Promise((resolve) => (phone.exitCode === null ? phone.once("exit", resolve) : resolve(undefined)));
});
await Promise.all(services.map((s) => s.waitFor(/ready/, 60_000)));
process.stdout.write(`${JSON.stringify({ pids: [...services.map((s) => s.child.pid), phone.pid] })}\n`);
setInterval(() => undefined, 60_000);
