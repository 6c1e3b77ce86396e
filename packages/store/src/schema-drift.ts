import { createRequire } from "node:module";
import pg from "pg";
import { parseDatabaseUrl, quoteIdent } from "./database-url.ts";

/**
 * Compares a migrated database with prisma/schema.prisma: tables, columns (type, nullability, default), enums,
 * primary keys, indexes and foreign keys, using Prisma's own reading of the schema (its DMMF) and Prisma's
 * default constraint names. An empty list means no drift.
 */

interface DmmfField {
  name: string;
  kind: "scalar" | "object" | "enum" | "unsupported";
  isList: boolean;
  isRequired: boolean;
  isUpdatedAt: boolean;
  hasDefaultValue: boolean;
  type: string;
  default?: unknown;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
interface DmmfIndex {
  model: string;
  type: "id" | "unique" | "normal" | "fulltext";
  dbName?: string | null;
  fields: Array<{ name: string }>;
}
interface Dmmf {
  datamodel: {
    models: DmmfModel[];
    enums: Array<{ name: string; values: Array<{ name: string }> }>;
    indexes: DmmfIndex[];
  };
}

const require = createRequire(import.meta.url);

export function readDmmf(schemaText: string): Dmmf {
  const wasm = require("@prisma/prisma-schema-wasm") as { get_dmmf(params: string): string };
  return JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema: [["schema.prisma", schemaText]] }))) as Dmmf;
}

const SCALAR_TYPES: Record<string, string> = {
  String: "text",
  Int: "integer",
  BigInt: "bigint",
  Float: "double precision",
  Boolean: "boolean",
  DateTime: "timestamp(3) without time zone",
  Json: "jsonb",
  Decimal: "numeric(65,30)",
  Bytes: "bytea",
};

function expectedType(field: DmmfField): string {
  const base = field.kind === "enum" ? `"${field.type}"` : SCALAR_TYPES[field.type];
  if (!base) return `unsupported ${field.type}`;
  return field.isList ? `${base}[]` : base;
}

/** The column default Postgres reports for a field's @default, or null for none (uuid() and cuid() live in the client). */
function expectedDefault(field: DmmfField): string | null {
  if (!field.hasDefaultValue || field.default === undefined) return null;
  const value = field.default;
  if (typeof value === "object" && value !== null && "name" in value) {
    const fn = (value as { name: string }).name;
    if (fn === "now") return "CURRENT_TIMESTAMP";
    if (fn === "autoincrement") return "nextval";
    return null;
  }
  // Past the function case, a DMMF default is a literal.
  const literal = value as string | number | boolean;
  if (field.kind === "enum") return `'${String(literal)}'::"${field.type}"`;
  if (field.type === "String") return `'${String(literal)}'::text`;
  return String(literal);
}

const REFERENTIAL: Record<string, string> = {
  Cascade: "CASCADE",
  Restrict: "RESTRICT",
  NoAction: "NO ACTION",
  SetNull: "SET NULL",
  SetDefault: "SET DEFAULT",
};

export async function findSchemaDrift(databaseUrl: string, schemaText: string): Promise<string[]> {
  const dmmf = readDmmf(schemaText);
  const target = parseDatabaseUrl(databaseUrl);
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  try {
    // format_type() and pg_get_expr() qualify type names outside the search path; compare unqualified names.
    await client.query(`SET search_path TO ${quoteIdent(target.schema)}`);
    return compare(dmmf, await introspect(client, target.schema));
  } finally {
    await client.end();
  }
}

interface Introspection {
  tables: Set<string>;
  columns: Map<string, { type: string; nullable: boolean; default: string | null }>;
  enums: Map<string, string[]>;
  indexes: Map<string, { table: string; unique: boolean; primary: boolean; columns: string[] }>;
  foreignKeys: Map<
    string,
    { table: string; columns: string[]; refTable: string; refColumns: string[]; onDelete: string; onUpdate: string }
  >;
}

async function introspect(client: pg.Client, schema: string): Promise<Introspection> {
  const tables = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname <> '_prisma_migrations'`,
    [schema],
  );
  const columns = await client.query<{ tbl: string; col: string; type: string; notnull: boolean; def: string | null }>(
    `SELECT c.relname AS tbl, a.attname AS col, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
            pg_get_expr(d.adbin, d.adrelid) AS def
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE n.nspname = $1 AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND c.relname <> '_prisma_migrations'`,
    [schema],
  );
  const enums = await client.query<{ name: string; labels: string[] }>(
    `SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS labels
     FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = $1 GROUP BY t.typname`,
    [schema],
  );
  const indexes = await client.query<{ name: string; tbl: string; uniq: boolean; prim: boolean; cols: string[] }>(
    `SELECT i.relname AS name, t.relname AS tbl, x.indisunique AS uniq, x.indisprimary AS prim,
            array(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS cols
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = $1 AND t.relname <> '_prisma_migrations'`,
    [schema],
  );
  const fks = await client.query<{
    name: string;
    tbl: string;
    reftbl: string;
    cols: string[];
    refcols: string[];
    deltype: string;
    updtype: string;
  }>(
    `SELECT con.conname AS name, t.relname AS tbl, r.relname AS reftbl,
            array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS cols,
            array(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS refcols,
            con.confdeltype AS deltype, con.confupdtype AS updtype
     FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid JOIN pg_class r ON r.oid = con.confrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = $1 AND con.contype = 'f'`,
    [schema],
  );
  const action: Record<string, string> = {
    a: "NO ACTION",
    r: "RESTRICT",
    c: "CASCADE",
    n: "SET NULL",
    d: "SET DEFAULT",
  };
  return {
    tables: new Set(tables.rows.map((r) => r.name)),
    columns: new Map(
      columns.rows.map((r) => [`${r.tbl}.${r.col}`, { type: r.type, nullable: !r.notnull, default: r.def }]),
    ),
    enums: new Map(enums.rows.map((r) => [r.name, r.labels])),
    indexes: new Map(
      indexes.rows.map((r) => [r.name, { table: r.tbl, unique: r.uniq, primary: r.prim, columns: r.cols }]),
    ),
    foreignKeys: new Map(
      fks.rows.map((r) => [
        r.name,
        {
          table: r.tbl,
          columns: r.cols,
          refTable: r.reftbl,
          refColumns: r.refcols,
          onDelete: action[r.deltype] ?? r.deltype,
          onUpdate: action[r.updtype] ?? r.updtype,
        },
      ]),
    ),
  };
}

function compare(dmmf: Dmmf, db: Introspection): string[] {
  const drift: string[] = [];
  const { models, enums, indexes } = dmmf.datamodel;
  const tableOf = new Map(models.map((m) => [m.name, m.dbName ?? m.name]));

  for (const e of enums) {
    const labels = db.enums.get(e.name);
    const want = e.values.map((v) => v.name);
    if (!labels) drift.push(`enum ${e.name} is missing`);
    else if (labels.join(",") !== want.join(","))
      drift.push(`enum ${e.name} has [${labels.join(", ")}], schema says [${want.join(", ")}]`);
  }
  for (const name of db.enums.keys())
    if (!enums.some((e) => e.name === name)) drift.push(`enum ${name} is not in the schema`);

  const expectedColumns = new Set<string>();
  for (const model of models) {
    const table = tableOf.get(model.name) ?? model.name;
    if (!db.tables.has(table)) {
      drift.push(`table ${table} is missing`);
      continue;
    }
    for (const field of model.fields) {
      if (field.kind === "object") {
        checkForeignKey(field, model, tableOf, db, drift);
        continue;
      }
      const key = `${table}.${field.name}`;
      expectedColumns.add(key);
      const column = db.columns.get(key);
      if (!column) {
        drift.push(`column ${key} is missing`);
        continue;
      }
      const type = expectedType(field);
      if (column.type !== type) drift.push(`column ${key} is ${column.type}, schema says ${type}`);
      // Prisma creates scalar lists as nullable columns.
      const nullable = field.isList || !field.isRequired;
      if (column.nullable !== nullable)
        drift.push(`column ${key} is ${column.nullable ? "" : "NOT "}NULL, schema says ${nullable ? "" : "NOT "}NULL`);
      const def = expectedDefault(field);
      const actual = column.default;
      const matches = def === "nextval" ? actual?.startsWith("nextval(") === true : actual === def;
      if (!matches) drift.push(`column ${key} default is ${actual ?? "none"}, schema says ${def ?? "none"}`);
    }
  }
  for (const table of db.tables)
    if (![...tableOf.values()].includes(table)) drift.push(`table ${table} is not in the schema`);
  for (const key of db.columns.keys())
    if (!expectedColumns.has(key) && [...tableOf.values()].includes(key.split(".")[0] ?? ""))
      drift.push(`column ${key} is not in the schema`);

  const expectedIndexes = new Set<string>();
  for (const index of indexes) {
    const table = tableOf.get(index.model) ?? index.model;
    const cols = index.fields.map((f) => f.name);
    const suffix = index.type === "id" ? "pkey" : index.type === "unique" ? "key" : "idx";
    const name = index.dbName ?? (index.type === "id" ? `${table}_pkey` : `${table}_${cols.join("_")}_${suffix}`);
    expectedIndexes.add(name);
    const found = db.indexes.get(name);
    if (!found) {
      drift.push(`index ${name} on ${table}(${cols.join(", ")}) is missing`);
      continue;
    }
    if (found.table !== table || found.columns.join(",") !== cols.join(","))
      drift.push(
        `index ${name} covers ${found.table}(${found.columns.join(", ")}), schema says ${table}(${cols.join(", ")})`,
      );
    if (found.unique !== (index.type !== "normal")) drift.push(`index ${name} uniqueness differs from the schema`);
    if (found.primary !== (index.type === "id")) drift.push(`index ${name} primary-key flag differs from the schema`);
  }
  for (const name of db.indexes.keys())
    if (!expectedIndexes.has(name)) drift.push(`index ${name} is not in the schema`);

  const expectedFks = new Set(
    models.flatMap((m) =>
      m.fields
        .filter((f) => f.kind === "object" && f.relationFromFields?.length)
        .map((f) => `${tableOf.get(m.name)}_${(f.relationFromFields ?? []).join("_")}_fkey`),
    ),
  );
  for (const name of db.foreignKeys.keys())
    if (!expectedFks.has(name)) drift.push(`foreign key ${name} is not in the schema`);
  return drift;
}

function checkForeignKey(
  field: DmmfField,
  model: DmmfModel,
  tableOf: Map<string, string>,
  db: Introspection,
  drift: string[],
): void {
  const from = field.relationFromFields ?? [];
  if (from.length === 0) return; // the other side of the relation holds the key
  const table = tableOf.get(model.name) ?? model.name;
  const name = `${table}_${from.join("_")}_fkey`;
  const fk = db.foreignKeys.get(name);
  if (!fk) {
    drift.push(`foreign key ${name} is missing`);
    return;
  }
  const refTable = tableOf.get(field.type) ?? field.type;
  const optional = from.some((f) => model.fields.find((x) => x.name === f)?.isRequired === false);
  const onDelete = REFERENTIAL[field.relationOnDelete ?? ""] ?? (optional ? "SET NULL" : "RESTRICT");
  const onUpdate = REFERENTIAL[field.relationOnUpdate ?? ""] ?? "CASCADE";
  const want = `${table}(${from.join(", ")}) -> ${refTable}(${(field.relationToFields ?? []).join(", ")}) ON DELETE ${onDelete} ON UPDATE ${onUpdate}`;
  const got = `${fk.table}(${fk.columns.join(", ")}) -> ${fk.refTable}(${fk.refColumns.join(", ")}) ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate}`;
  if (want !== got) drift.push(`foreign key ${name} is ${got}, schema says ${want}`);
}
