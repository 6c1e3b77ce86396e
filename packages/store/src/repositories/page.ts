import { MfnasError } from "@mfnas/core";

/** One page of a keyset-paginated list; `nextCursor` is null on the last page. */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

/** Where a page starts (an opaque cursor from the previous page) and how many rows it holds. */
export interface PageRequest {
  readonly cursor?: string | undefined;
  readonly limit: number;
}

/** Key of the last row of a page: a creation time and an id break every tie. */
export interface TimeCursor {
  readonly at: Date;
  readonly id: string;
}

/** Opaque cursor text: base64url JSON, so clients treat it as a token and never build one. */
export function encodeCursor(key: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

function decodeObject(cursor: string): Record<string, unknown> {
  const bad = () =>
    new MfnasError("invalid_input", "cursor: is not a cursor from a previous page", { field: "cursor" });
  if (!/^[A-Za-z0-9_-]{1,512}$/.test(cursor)) throw bad();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw bad();
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad();
  return value as Record<string, unknown>;
}

/** Row keys a cursor may carry: uuids, and sha256 digests for artifacts. */
const KEY = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{64})$/i;

export function decodeTimeCursor(cursor: string): TimeCursor {
  const { at, id } = decodeObject(cursor);
  const date = typeof at === "string" ? new Date(at) : undefined;
  if (!date || Number.isNaN(date.getTime()) || typeof id !== "string" || !KEY.test(id)) {
    throw new MfnasError("invalid_input", "cursor: is not a cursor from a previous page", { field: "cursor" });
  }
  return { at: date, id };
}

export function encodeTimeCursor(row: { createdAt: Date; id: string }): string {
  return encodeCursor({ at: row.createdAt.toISOString(), id: row.id });
}

/** Cursor of lists ordered by one integer (a generation index, a step). */
export function decodeIndexCursor(cursor: string): number {
  const { n } = decodeObject(cursor);
  if (typeof n !== "number" || !Number.isSafeInteger(n)) {
    throw new MfnasError("invalid_input", "cursor: is not a cursor from a previous page", { field: "cursor" });
  }
  return n;
}

export function encodeIndexCursor(n: number): string {
  return encodeCursor({ n });
}

/** Cursor of lists ordered by id only. */
export function decodeIdCursor(cursor: string): string {
  const { id } = decodeObject(cursor);
  if (typeof id !== "string" || !KEY.test(id)) {
    throw new MfnasError("invalid_input", "cursor: is not a cursor from a previous page", { field: "cursor" });
  }
  return id;
}

export function encodeIdCursor(id: string): string {
  return encodeCursor({ id });
}

/** Keyset condition for rows after `cursor` in (createdAt desc, id desc) order. */
export function olderThan(cursor: string | undefined) {
  if (cursor === undefined) return {};
  const { at, id } = decodeTimeCursor(cursor);
  return { OR: [{ createdAt: { lt: at } }, { createdAt: at, id: { lt: id } }] };
}

/** Cuts the extra row fetched to learn whether another page follows, and makes its cursor. */
export function toPage<T>(rows: T[], limit: number, cursorOf: (row: T) => string): Page<T> {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: last === undefined ? null : cursorOf(last) };
}
