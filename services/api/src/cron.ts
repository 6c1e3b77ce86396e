import { CronExpressionParser } from "cron-parser";
import { MfnasError } from "@mfnas/core";

const TIME_ZONE = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/;
const FIELDS = /^\S+(\s+\S+){4}$/;

function invalid(field: string, message: string): MfnasError {
  const text = `${field}: ${message}`;
  return new MfnasError("invalid_input", text, { fields: [text] });
}

/** An IANA time zone name the runtime knows (e.g. Europe/Paris, UTC); offsets and abbreviations are refused. */
export function parseTimeZone(value: string, field = "timezone"): string {
  if (!TIME_ZONE.test(value)) throw invalid(field, `must be an IANA time zone name, got ${JSON.stringify(value)}`);
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    throw invalid(field, `unknown time zone ${JSON.stringify(value)}`);
  }
}

/**
 * Validates a five-field cron expression (minute hour day-of-month month day-of-week; the same parser BullMQ's job
 * schedulers use) in a time zone, and returns its next fire times.
 */
export function nextFireTimes(cron: string, timezone: string, count: number, from = new Date()): Date[] {
  const expression = cron.trim();
  if (!FIELDS.test(expression) || expression.length > 200) {
    throw invalid("cron", "must have five fields: minute hour day-of-month month day-of-week");
  }
  let parsed;
  try {
    parsed = CronExpressionParser.parse(expression, { tz: timezone, currentDate: from, strict: false });
  } catch (error) {
    throw invalid("cron", (error as Error).message);
  }
  const times: Date[] = [];
  for (let i = 0; i < count && parsed.hasNext(); i++) times.push(parsed.next().toDate());
  if (times.length === 0) throw invalid("cron", "never fires");
  return times;
}
