import fc from "fast-check";

// Property tests explore a fresh random seed on every local run. In CI (CI set, as .ci/run does) they run from a
// fixed seed so that a run can be repeated exactly; FC_SEED picks another one, and a failure always prints the
// seed and path that reproduce it.
const seed = process.env["FC_SEED"] ?? (process.env["CI"] ? "20261129" : undefined);
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });
