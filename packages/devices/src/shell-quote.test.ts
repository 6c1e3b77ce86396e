import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MiniShell, type ShellHost } from "./emulated/mini-shell.ts";
import { quoteShellArg, shellCommand } from "./shell-quote.ts";

/** A shell whose only command is `argv`, which records its arguments; anything else would be "not found". */
async function parsedArgs(line: string): Promise<{ args: string[][]; ran: string[] }> {
  const args: string[][] = [];
  const ran: string[] = [];
  const host: ShellHost = {
    resolve: (name) => {
      ran.push(name);
      return Promise.resolve(
        name === "argv"
          ? (ctx) => {
              args.push([...ctx.args]);
              return Promise.resolve(0);
            }
          : undefined,
      );
    },
    writeFile: () => Promise.reject(new Error("no redirection expected")),
    readFile: () => Promise.reject(new Error("no redirection expected")),
  };
  await new MiniShell(host, new AbortController().signal).run(line, { write: () => undefined });
  return { args, ran };
}

describe("shell quoting", () => {
  it("quotes the single quote itself", () => {
    expect(quoteShellArg("it's")).toBe(`'it'\\''s'`);
    expect(quoteShellArg("/data/local/tmp/a.tflite")).toBe("/data/local/tmp/a.tflite");
  });

  it("every string stays exactly one word and runs nothing else, through the phone's shell", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.string({ unit: "binary" }).filter((s) => !s.includes("\0")),
          { maxLength: 4 },
        ),
        async (values) => {
          const { args, ran } = await parsedArgs(shellCommand(["argv", ...values]));
          expect(ran).toEqual(["argv"]);
          expect(args).toEqual([values]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the same shell does run an unquoted command substitution (the property above can fail)", async () => {
    const { ran } = await parsedArgs("argv $(touch /x) ; other");
    expect(ran).toEqual(["touch", "argv", "other"]);
  });
});
