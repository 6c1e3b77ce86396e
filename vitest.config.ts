import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "services/*/src/**/*.test.ts", "tests/**/*.test.ts"],
    globalSetup: ["tests/support/global-setup.ts"],
    setupFiles: ["tests/support/fast-check-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores here: integration suites share Postgres and Redis, each under its own schema and queue prefix.
    maxWorkers: 2,
  },
});
