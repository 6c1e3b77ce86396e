import { defineConfig } from "vitest/config";

// The slow reliability suites (npm run reliability): faults injected into a running search on private Redis,
// PostgreSQL, adb server and a loop-mounted artifact disk. Not part of the default `vitest run` (vitest.config.ts
// includes only *.test.ts); their figures are recorded in RELIABILITY.md.
export default defineConfig({
  test: {
    include: ["tests/reliability/**/*.reliability.ts"],
    testTimeout: 900_000,
    hookTimeout: 300_000,
    maxWorkers: 1,
  },
});
