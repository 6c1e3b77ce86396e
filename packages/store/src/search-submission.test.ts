import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MfnasError } from "@mfnas/core";
import { SupernetRepository, submitSearch } from "@mfnas/store";
import { createTestDatabase, type TestDatabase } from "../../../tests/support/database.ts";

describe("submitSearch on real Postgres", () => {
  let database: TestDatabase;
  let supernetId: string;
  beforeEach(async () => {
    database = await createTestDatabase();
    supernetId = (await new SupernetRepository(database.db).create({ name: "s", searchSpace: {}, trainingConfig: {} }))
      .id;
  });
  afterEach(() => database.drop());

  const spec = (extra: object = {}) => ({
    name: "night",
    seed: 4,
    supernet: { id: supernetId },
    budget: { generations: 2, population: 4 },
    ...extra,
  });

  it("stores the checked spec with its supernet set and queues search.run for it", async () => {
    const queued: string[] = [];
    const submitted = await submitSearch(database.db, spec(), {
      enqueue: (id) => Promise.resolve(queued.push(id)),
    });
    expect(queued).toEqual([submitted.id]);
    const row = await database.db.search.findUniqueOrThrow({ where: { id: submitted.id } });
    expect(row).toMatchObject({ name: "night", seed: 4, supernetId, scheduleId: null, status: "queued" });
    expect(row.spec).toEqual(JSON.parse(JSON.stringify(submitted.spec)));
    expect(submitted.warnings.join("\n")).toMatch(/supernet\.id: supernet .* with no checkpoint yet/);
  });

  it("removes the search again when search.run cannot be queued", async () => {
    const error = await submitSearch(database.db, spec(), {
      enqueue: () => Promise.reject(new Error("redis down")),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MfnasError);
    expect((error as MfnasError).code).toBe("transient");
    expect(await database.db.search.count()).toBe(0);
  });

  it("refuses a bad spec or an unknown supernet, naming the field, and stores and queues nothing", async () => {
    const queued: string[] = [];
    const enqueue = (id: string) => Promise.resolve(queued.push(id));
    const fieldsOf = (e: unknown) => {
      expect(e).toBeInstanceOf(MfnasError);
      expect((e as MfnasError).code).toBe("invalid_input");
      return (e as MfnasError).message;
    };
    const badBudget = await submitSearch(database.db, spec({ budget: { generations: 0 } }), { enqueue }).catch(
      (e: unknown) => e,
    );
    expect(fieldsOf(badBudget)).toMatch(/budget\.generations/);
    const badSpace = await submitSearch(database.db, spec({ space: { scales: [7] } }), { enqueue }).catch(
      (e: unknown) => e,
    );
    expect(fieldsOf(badSpace)).toMatch(/^space\./);
    const unknown = "00000000-0000-4000-8000-000000000000";
    const noSupernet = await submitSearch(database.db, spec({ supernet: { id: unknown } }), { enqueue }).catch(
      (e: unknown) => e,
    );
    expect(fieldsOf(noSupernet)).toBe(`supernet.id: no supernet ${unknown}`);
    expect(queued).toEqual([]);
    expect(await database.db.search.count()).toBe(0);
  });
});
