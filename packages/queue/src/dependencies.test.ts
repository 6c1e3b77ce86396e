import { describe, expect, it } from "vitest";
import { MfnasError } from "@mfnas/core";
import { addressOf, checkDependencies, waitForDependencies, type Dependency } from "./dependencies.ts";

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const up = (name: string): Dependency => ({ name, at: "here:1", check: () => Promise.resolve("PONG") });
const down = (name: string, message: string): Dependency => ({
  name,
  at: "there:2",
  check: () => Promise.reject(new Error(`${message}\n    at some stack frame`)),
});

describe("service dependencies", () => {
  it("reports each dependency: ok, or unreachable with where and the first line of why", async () => {
    expect(await checkDependencies([up("postgres"), up("redis")])).toEqual({
      ready: true,
      checks: { postgres: "ok", redis: "ok" },
    });
    expect(await checkDependencies([up("postgres"), down("redis", "connect ECONNREFUSED")])).toEqual({
      ready: false,
      checks: { postgres: "ok", redis: "unreachable at there:2: connect ECONNREFUSED" },
    });
  });

  it("counts a check that never settles (a client queueing commands while disconnected) as unreachable", async () => {
    const hanging: Dependency = { name: "redis", at: "there:2", check: () => new Promise(() => undefined) };
    expect((await checkDependencies([hanging], 20)).checks).toEqual({
      redis: "unreachable at there:2: no answer in 20 ms",
    });
  });

  it("waits for a dependency that comes up, and gives up naming the one that does not", async () => {
    let attempts = 0;
    const late: Dependency = {
      name: "postgres",
      at: "db:5432",
      check: () =>
        ++attempts < 3 ? Promise.reject(new Error("the database system is starting up")) : Promise.resolve(1),
    };
    const report = await waitForDependencies([late, up("redis")], { waitMs: 60_000, retryMs: 1, log: quiet });
    expect(report.checks).toEqual({ postgres: "ok", redis: "ok" });
    expect(attempts).toBe(3);

    const error = await waitForDependencies([up("postgres"), down("redis", "getaddrinfo ENOTFOUND cache")], {
      waitMs: 5,
      retryMs: 1,
      log: quiet,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MfnasError);
    expect((error as MfnasError).message).toBe("redis unreachable at there:2: getaddrinfo ENOTFOUND cache");
  });

  it("names an address without credentials", () => {
    expect(addressOf("redis://user:secret@cache.internal:6380/0")).toBe("cache.internal:6380");
    expect(addressOf("not a url")).toBe("(unparsable url)");
  });
});
