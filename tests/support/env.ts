// Where the integration tests find the machine's real Postgres and Redis. Each test works in its own Postgres
// schema and its own BullMQ key prefix, so suites can run in parallel and leave nothing shared behind.
export const TEST_DATABASE_URL = process.env["MFNAS_TEST_DATABASE_URL"] ?? "postgresql://postgres@127.0.0.1:5432/test";
export const TEST_REDIS_URL = process.env["MFNAS_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379";
