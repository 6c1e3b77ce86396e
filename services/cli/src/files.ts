import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { CliError } from "./client.ts";

/** Reads a YAML or JSON document (JSON is YAML too); the error names the file and the line at fault. */
export async function readDocument(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new CliError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return /\.json$/i.test(file) ? (JSON.parse(text) as unknown) : (parseYaml(text) as unknown);
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const line = error.linePos?.[0].line;
      throw new CliError(`${file}: not valid YAML${line !== undefined ? ` (line ${line})` : ""}: ${error.code}`);
    }
    throw new CliError(`${file}: not valid JSON: ${(error as Error).message}`);
  }
}

/** Writes a file whole or not at all: a temporary name beside it, then a rename. */
export async function writeAtomically(file: string, bytes: Uint8Array | string): Promise<string> {
  const target = path.resolve(file);
  const temp = `${target}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw new CliError(`${file}: cannot write: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return target;
}
