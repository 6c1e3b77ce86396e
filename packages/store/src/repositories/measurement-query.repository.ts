import type { Db } from "../client.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { encodeTimeCursor, olderThan, toPage, type PageRequest } from "./page.ts";
import { MEASUREMENT_SUMMARY } from "./search-query.repository.ts";

export interface MeasurementFilters {
  readonly architectureHash?: string | undefined;
  readonly deviceId?: string | undefined;
  readonly deviceClass?: string | undefined;
  readonly runtime?: string | undefined;
}

/** The API's reads of latency measurements with their conditions; raw tool output only when asked. */
export class MeasurementQueryRepository {
  constructor(private readonly db: Db) {}

  async list(filters: MeasurementFilters, page: PageRequest) {
    const where: Prisma.MeasurementWhereInput = {
      ...(filters.architectureHash !== undefined ? { architectureHash: filters.architectureHash } : {}),
      ...(filters.deviceId !== undefined ? { deviceId: filters.deviceId } : {}),
      ...(filters.deviceClass !== undefined ? { deviceClass: filters.deviceClass } : {}),
      ...(filters.runtime !== undefined ? { runtime: filters.runtime } : {}),
    };
    const rows = await this.db.measurement.findMany({
      where: { AND: [where, olderThan(page.cursor)] },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: page.limit + 1,
      select: MEASUREMENT_SUMMARY,
    });
    return toPage(rows, page.limit, encodeTimeCursor);
  }

  get(id: string, options: { raw: boolean }) {
    return this.db.measurement.findUnique({
      where: { id },
      select: { ...MEASUREMENT_SUMMARY, rawOutput: options.raw },
    });
  }
}
