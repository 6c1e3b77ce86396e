import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "services/*/src/**/*.test.ts", "tests/**/*.test.ts"],
    globalSetup: ["tests/support/global-setup.ts"],
    setupFiles: ["tests/support/fast-check-setup.ts"],
    // Deadlines only stop a hung test; they are generous so that a busy machine (CI beside other work) passes.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Two cores here: integration suites share Postgres and Redis, each under its own schema and queue prefix.
    maxWorkers: 2,
  },
});
