#!/usr/bin/env node
// The mfnas command: runs the TypeScript entry through tsx's loader, as every service of the workspace runs.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
