export { DeviceLabAgent, deviceClassOf, deviceRegistration, type AgentConfig, type AgentDeps } from "./agent.ts";
export { createMeasureHandler, type MeasureDeps, type MeasureOptions, type PhoneContext } from "./measure.job.ts";
export type { DeviceLabStore } from "./device-lab-store.ts";
export { runnerBinaries } from "./runner-binaries.ts";
