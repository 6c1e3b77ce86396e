import { CronExpressionParser } from "cron-parser";
import { describe, expect, it } from "vitest";
import { MfnasError } from "@mfnas/core";
import { decideSlot } from "./fire.job.ts";
import { missedSlots } from "./sync.ts";
import { latestSlot, nextSlot, parseTiming } from "./timing.ts";

function refusal(cron: string, timezone: string): MfnasError {
  try {
    parseTiming(cron, timezone);
  } catch (error) {
    if (error instanceof MfnasError) return error;
    throw error;
  }
  throw new Error(`${cron} in ${timezone} was accepted`);
}

describe("schedule timing", () => {
  it("reads the cron in the schedule's time zone (Europe/Berlin vs UTC, winter and summer)", () => {
    const berlin = parseTiming("0 2 * * *", "Europe/Berlin");
    const utc = parseTiming("0 2 * * *", "UTC");
    const winter = new Date("2024-01-15T00:30:00Z");
    const summer = new Date("2024-07-15T00:30:00Z");
    expect(nextSlot(berlin, winter).toISOString()).toBe("2024-01-15T01:00:00.000Z"); // CET = UTC+1
    expect(nextSlot(utc, winter).toISOString()).toBe("2024-01-15T02:00:00.000Z");
    expect(nextSlot(berlin, summer).toISOString()).toBe("2024-07-16T00:00:00.000Z"); // CEST = UTC+2, 00:00Z passed
    // The same answer as cron-parser's, which BullMQ's job schedulers use.
    for (const from of [winter, summer]) {
      const reference = CronExpressionParser.parse("0 2 * * *", { tz: "Europe/Berlin", currentDate: from });
      expect(nextSlot(berlin, from).getTime()).toBe(reference.next().getTime());
    }
  });

  it("finds the most recent slot at or before a time", () => {
    const berlin = parseTiming("0 2 * * *", "Europe/Berlin");
    expect(latestSlot(berlin, new Date("2024-01-15T01:00:00Z"))?.toISOString()).toBe("2024-01-15T01:00:00.000Z");
    expect(latestSlot(berlin, new Date("2024-01-15T00:59:59Z"))?.toISOString()).toBe("2024-01-14T01:00:00.000Z");
    const everySecond = parseTiming("* * * * * *", "UTC");
    expect(latestSlot(everySecond, new Date("2024-01-15T01:00:00.500Z"))?.toISOString()).toBe(
      "2024-01-15T01:00:00.000Z",
    );
  });

  it("normalises spacing and zone names", () => {
    expect(parseTiming("  0  2 * *   * ", "UTC")).toEqual({ cron: "0 2 * * *", timezone: "UTC" });
  });

  it("refuses a bad cron or time zone with an error naming the field", () => {
    const cases: [string, string, string, RegExp][] = [
      ["0 2 * *", "UTC", "cron", /^cron: must have 5 fields/],
      ["0 25 * * *", "UTC", "cron", /^cron: "0 25 \* \* \*" is not a cron pattern/],
      ["0 0 30 2 *", "UTC", "cron", /^cron: /],
      ["0 2 * * *", "Mars/Olympus_Mons", "timezone", /^timezone: unknown time zone "Mars\/Olympus_Mons"/],
      ["0 2 * * *", "+02:00", "timezone", /^timezone: must be an IANA time zone name/],
    ];
    for (const [cron, zone, field, message] of cases) {
      const error = refusal(cron, zone);
      expect(error.code).toBe("invalid_input");
      expect(error.details?.["field"]).toBe(field);
      expect(error.message).toMatch(message);
    }
  });
});

describe("missed-run policy", () => {
  const hourly = parseTiming("0 * * * *", "UTC");
  const now = new Date("2024-03-10T05:20:00Z");
  const at = (iso: string) => new Date(iso);

  it("runs a slot on time whatever the policy", () => {
    for (const policy of ["skip", "run_once"] as const) {
      expect(
        decideSlot({ slot: at("2024-03-10T05:19:30Z"), now, timing: hourly, policy, missedAfterMs: 60_000 }).run,
      ).toBe(true);
    }
  });

  it("skips every missed slot under skip", () => {
    const decision = decideSlot({
      slot: at("2024-03-10T05:00:00Z"),
      now,
      timing: hourly,
      policy: "skip",
      missedAfterMs: 60_000,
    });
    expect(decision).toEqual({ run: false, reason: expect.stringMatching(/missed by 1200 s/) as string });
  });

  it("runs only the most recent missed slot under run_once", () => {
    const decide = (slot: string) =>
      decideSlot({ slot: at(slot), now, timing: hourly, policy: "run_once", missedAfterMs: 60_000 });
    expect(decide("2024-03-10T05:00:00Z")).toEqual({ run: true, reason: "catch-up of the most recent missed slot" });
    expect(decide("2024-03-10T04:00:00Z").run).toBe(false);
    expect(decide("2024-03-10T01:00:00Z").run).toBe(false);
  });

  it("picks one catch-up slot per run_once schedule missed since its last change", () => {
    const row = (id: string, policy: "skip" | "run_once", updatedAt: string, enabled = true) => ({
      id,
      name: id,
      cron: "0 * * * *",
      timezone: "UTC",
      enabled,
      missedRunPolicy: policy,
      createdAt: at("2024-03-01T00:00:00Z"),
      updatedAt: at(updatedAt),
    });
    const rows = [
      row("missed", "run_once", "2024-03-09T00:00:00Z"),
      row("recorded", "run_once", "2024-03-09T00:00:00Z"),
      row("changed-after-slot", "run_once", "2024-03-10T05:10:00Z"),
      row("skips", "skip", "2024-03-09T00:00:00Z"),
      row("disabled", "run_once", "2024-03-09T00:00:00Z", false),
    ];
    const last = new Map([
      ["missed", at("2024-03-10T01:00:00Z")],
      ["recorded", at("2024-03-10T05:00:00Z")],
    ]);
    expect(missedSlots(rows, last, now)).toEqual([{ scheduleId: "missed", slot: at("2024-03-10T05:00:00Z") }]);
  });
});
