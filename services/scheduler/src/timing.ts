import { CronExpressionParser, type CronExpression } from "cron-parser";
import { MfnasError } from "@mfnas/core";

/** When a schedule fires: a cron pattern read in an IANA time zone (BullMQ's job schedulers read it the same way). */
export interface ScheduleTiming {
  /** Five fields (minute hour day-of-month month day-of-week) or six with seconds first. */
  readonly cron: string;
  readonly timezone: string;
}

const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){0,2}$/;
const MAX_CRON_LENGTH = 200;

function refused(field: "cron" | "timezone", message: string): MfnasError {
  const text = `${field}: ${message}`;
  return new MfnasError("invalid_input", text, { field, fields: [text] });
}

/**
 * Checks a schedule's cron pattern and time zone and returns them normalised (single spaces, the zone's
 * canonical name). The error is `invalid_input` and names the field at fault: `cron: ...` or `timezone: ...`.
 */
export function parseTiming(cron: string, timezone: string): ScheduleTiming {
  if (!ZONE_NAME.test(timezone)) {
    throw refused("timezone", `must be an IANA time zone name such as Europe/Berlin, got ${JSON.stringify(timezone)}`);
  }
  let zone: string;
  try {
    zone = new Intl.DateTimeFormat("en-US", { timeZone: timezone }).resolvedOptions().timeZone;
  } catch {
    throw refused("timezone", `unknown time zone ${JSON.stringify(timezone)}`);
  }
  const pattern = cron.trim().replace(/\s+/g, " ");
  const fields = pattern === "" ? 0 : pattern.split(" ").length;
  if (fields !== 5 && fields !== 6) {
    throw refused("cron", `must have 5 fields (minute hour day month weekday) or 6 (seconds first), got ${fields}`);
  }
  if (pattern.length > MAX_CRON_LENGTH) throw refused("cron", `must be at most ${MAX_CRON_LENGTH} characters`);
  let expression: CronExpression;
  try {
    expression = CronExpressionParser.parse(pattern, { tz: zone, strict: false });
  } catch (error) {
    throw refused("cron", `${JSON.stringify(pattern)} is not a cron pattern: ${(error as Error).message}`);
  }
  if (!expression.hasNext()) throw refused("cron", `${JSON.stringify(pattern)} never fires`);
  return { cron: pattern, timezone: zone };
}

function expression(timing: ScheduleTiming, from: Date): CronExpression {
  return CronExpressionParser.parse(timing.cron, { tz: timing.timezone, currentDate: from, strict: false });
}

/** The first slot strictly after `after`. */
export function nextSlot(timing: ScheduleTiming, after: Date): Date {
  return expression(timing, after).next().toDate();
}

/** The newest slot at or before `at`, or null when the pattern has none. */
export function latestSlot(timing: ScheduleTiming, at: Date): Date | null {
  // cron-parser's prev() is strictly before its start; start a millisecond later so a slot at `at` counts.
  const parsed = expression(timing, new Date(at.getTime() + 1));
  return parsed.hasPrev() ? parsed.prev().toDate() : null;
}
