import { defineConfig } from "vitest/config";
export default defineConfig({ test: { root: "/work/main/packages/core", include: ["src/**/*.test.ts"] } });
