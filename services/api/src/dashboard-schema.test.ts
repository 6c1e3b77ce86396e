// The dashboard checks bodies in the browser against this API's OpenAPI document (dashboard/js/schema.js). Here
// the same bodies go to both: the fields the dashboard names must be the fields the API's 400 names, so what the
// editor says while typing agrees with what submitting would say.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../../../tests/support/api.ts";

type Schema = Record<string, unknown>;
type Validate = (value: unknown, schema: Schema, root: Schema) => string[];

/** The part of a "field: message" line that names the field. */
const fieldsOf = (lines: string[]) => [...new Set(lines.map((l) => l.slice(0, l.indexOf(":"))))].sort();

describe("the dashboard's schema check agrees with the API", () => {
  let t: TestApi;
  let validate: Validate;
  let document: Schema;
  let searchBody: Schema;
  let supernetBody: Schema;

  beforeAll(async () => {
    t = await startTestApi();
    // A browser module, loaded as one (its path is not a package entry, and it ships without types).
    const modulePath = new URL("../dashboard/js/schema.js", import.meta.url).href;
    ({ validate } = (await import(modulePath)) as { validate: Validate });
    document = (await t.app.inject({ url: "/v1/openapi.json" })).json<Schema>();
    const paths = document["paths"] as Record<string, Record<string, Schema>>;
    const bodyOf = (path: string) =>
      ((paths[path]!["post"]!["requestBody"] as Schema)["content"] as Record<string, Schema>)["application/json"]![
        "schema"
      ] as Schema;
    searchBody = bodyOf("/v1/searches");
    supernetBody = bodyOf("/v1/supernets");
  });

  afterAll(async () => {
    await t?.close();
  });

  const base = { name: "agreement", budget: { generations: 2, population: 4 } };
  const cases: [string, object][] = [
    ["a number below its minimum", { ...base, budget: { generations: 0, population: 4 } }],
    ["a pattern inside an array", { ...base, targets: [{ deviceClass: "Bad Class" }] }],
    ["two bad fields", { ...base, seed: -1, name: "" }],
    ["a multiple of 4", { ...base, referenceInput: { height: 30, width: 64 } }],
    ["a missing object", { name: "agreement" }],
    ["an enum inside an array", { ...base, objectives: ["macs", "fast"] }],
    ["a branch of a union", { ...base, algorithm: { kind: "nsga2", crossoverProbability: 2 } }],
    ["a wrong type", { ...base, budget: { generations: "two", population: 4 } }],
  ];

  it("accepts what the API accepts", async () => {
    expect(validate(base, searchBody, document)).toEqual([]);
    const response = await t.app.inject({ method: "POST", url: "/v1/searches", headers: t.auth.submit, payload: base });
    expect(response.statusCode).toBe(201);
  });

  it("names an unknown field that the API's 400 reports on the whole spec", async () => {
    const body = { ...base, colour: "red" };
    expect(validate(body, searchBody, document)).toEqual(["colour: is not allowed"]);
    const response = await t.app.inject({ method: "POST", url: "/v1/searches", headers: t.auth.submit, payload: body });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ fields: string[] }>().fields.join("\n")).toContain('"colour"');
  });

  it.each(cases)("names the same fields as the API's 400 for %s", async (_, body) => {
    const local = validate(body, searchBody, document);
    const response = await t.app.inject({ method: "POST", url: "/v1/searches", headers: t.auth.submit, payload: body });
    expect(response.statusCode).toBe(400);
    const remote = response.json<{ fields: string[] }>().fields;
    expect(local.length).toBeGreaterThan(0);
    expect(fieldsOf(local)).toEqual(fieldsOf(remote));
  });

  it("names the same fields as the API's 400 for a training config", async () => {
    const body = { name: "s", trainingConfig: { data: { train: "photos-train" }, steps: 0, batch: 2.5 } };
    const local = validate(body, supernetBody, document);
    const response = await t.app.inject({
      method: "POST",
      url: "/v1/supernets",
      headers: t.auth.submit,
      payload: body,
    });
    expect(response.statusCode).toBe(400);
    expect(fieldsOf(local)).toEqual(["trainingConfig.batch", "trainingConfig.data.val", "trainingConfig.steps"]);
    expect(fieldsOf(local)).toEqual(fieldsOf(response.json<{ fields: string[] }>().fields));
  });
});
