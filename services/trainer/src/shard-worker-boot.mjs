// Entry of a data-parallel training worker thread: on Node 20 a worker does not inherit the parent's TypeScript
// loader, so it registers tsx (as every service of the workspace runs) and then runs the worker's module.
import { register } from "tsx/esm/api";

register();
await import("./shard-worker.ts");
