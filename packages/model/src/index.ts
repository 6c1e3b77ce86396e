export * from "./tf.ts";
export * from "./nets/index.ts";
export * from "./data/index.ts";
export * from "./metrics/index.ts";
export * from "./backend/index.ts";
export * from "./losses/index.ts";
