export { buildApi } from "./app.ts";
export { DEFAULT_API_OPTIONS, type ApiOptions, type ApiResources, type RedisConnection } from "./resources.ts";
export { httpStatusOf, toProblem, type Problem, type ProblemCode } from "./problem.ts";
