import { MfnasError } from "@mfnas/core";
import type { Db } from "../client.ts";
import type { MissedRunPolicy, Prisma } from "../generated/prisma/client.ts";
import { isUniqueViolation } from "./errors.ts";
import { decodeTimeCursor, encodeCursor, encodeTimeCursor, olderThan, toPage, type PageRequest } from "./page.ts";

const SCHEDULE = {
  id: true,
  name: true,
  cron: true,
  timezone: true,
  searchSpec: true,
  enabled: true,
  missedRunPolicy: true,
  createdAt: true,
  updatedAt: true,
} as const satisfies Prisma.ScheduleSelect;

export type ScheduleRow = Prisma.ScheduleGetPayload<{ select: typeof SCHEDULE }>;

export interface ScheduleInput {
  readonly name: string;
  readonly cron: string;
  readonly timezone: string;
  readonly searchSpec: Prisma.InputJsonObject;
  readonly enabled: boolean;
  readonly missedRunPolicy: MissedRunPolicy;
}

function nameTaken(name: string): MfnasError {
  return new MfnasError("conflict", `name: a schedule named ${JSON.stringify(name)} exists`, { field: "name" });
}

/** Recurring searches (the scheduler fires them) and the history of their slots. */
export class ScheduleRepository {
  constructor(private readonly db: Db) {}

  async create(input: ScheduleInput): Promise<ScheduleRow> {
    try {
      return await this.db.schedule.create({ data: { ...input }, select: SCHEDULE });
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(input.name);
      throw error;
    }
  }

  async list(filters: { enabled?: boolean | undefined }, page: PageRequest) {
    const rows = await this.db.schedule.findMany({
      where: { AND: [filters.enabled !== undefined ? { enabled: filters.enabled } : {}, olderThan(page.cursor)] },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: page.limit + 1,
      select: SCHEDULE,
    });
    return toPage(rows, page.limit, encodeTimeCursor);
  }

  get(id: string) {
    return this.db.schedule.findUnique({ where: { id }, select: SCHEDULE });
  }

  /** Applies a validated change; null when there is no such schedule. */
  async update(id: string, change: Partial<ScheduleInput>): Promise<ScheduleRow | null> {
    try {
      const { count } = await this.db.schedule.updateMany({ where: { id }, data: { ...change } });
      return count === 1 ? this.get(id) : null;
    } catch (error) {
      if (isUniqueViolation(error) && change.name !== undefined) throw nameTaken(change.name);
      throw error;
    }
  }

  /** Deletes a schedule and its slot history; the searches it started stay (their scheduleId becomes null). */
  async delete(id: string): Promise<boolean> {
    const { count } = await this.db.schedule.deleteMany({ where: { id } });
    return count === 1;
  }

  /** Slots of a schedule, newest first, with the search each one started. */
  async runs(scheduleId: string, page: PageRequest) {
    const where: Prisma.ScheduleRunWhereInput = { scheduleId };
    if (page.cursor !== undefined) {
      const { at, id } = decodeTimeCursor(page.cursor);
      where.OR = [{ slot: { lt: at } }, { slot: at, id: { lt: id } }];
    }
    const rows = await this.db.scheduleRun.findMany({
      where,
      orderBy: [{ slot: "desc" }, { id: "desc" }],
      take: page.limit + 1,
      select: {
        id: true,
        slot: true,
        searchId: true,
        createdAt: true,
        search: { select: { status: true, name: true, lastGeneration: true, finishedAt: true } },
      },
    });
    return toPage(rows, page.limit, (r) => encodeCursor({ at: r.slot.toISOString(), id: r.id }));
  }
}
