/**
 * The emulated phone's `/system/bin/sh`: a small POSIX-style shell that parses the command line adbd hands it the
 * way `sh -c` does — single and double quotes, backslashes, `;` `&&` `||` `|`, redirections, `$?`, `$VAR`,
 * `$(...)` and backquote substitution — and runs builtin commands. It is deliberately as dangerous as a real shell:
 * an unquoted `;`, `$(...)` or backquote in a command line runs another command, which is what the callers'
 * quoting is tested against.
 */

type WordPart =
  | { readonly kind: "text"; readonly value: string; readonly quoted: boolean }
  | { readonly kind: "subst"; readonly source: string; readonly quoted: boolean }
  | { readonly kind: "var"; readonly name: string; readonly quoted: boolean };
type Word = WordPart[];

interface Redirect {
  readonly fd: number;
  readonly op: ">" | ">>" | "<" | ">&";
  readonly target: Word;
}

interface SimpleCommand {
  readonly words: Word[];
  readonly redirects: Redirect[];
}

type Pipeline = SimpleCommand[];
interface AndOr {
  readonly first: Pipeline;
  readonly rest: Array<{ readonly op: "&&" | "||"; readonly pipeline: Pipeline }>;
}

class ShellSyntaxError extends Error {}

/** Output of one command: written as it is produced. */
export interface Sink {
  write(data: Buffer | string): Promise<void> | void;
}

export interface CommandContext {
  readonly args: readonly string[];
  readonly stdin: Buffer;
  readonly stdout: Sink;
  readonly stderr: Sink;
  readonly cwd: string;
  /** Aborted when the host closes the shell stream. */
  readonly signal: AbortSignal;
}

/** A builtin; resolves to its exit status. */
export type Command = (ctx: CommandContext) => Promise<number>;

export interface ShellHost {
  /** The builtin for a name, or for a path to an executable file on the phone; undefined = not found. */
  resolve(name: string, cwd: string): Promise<Command | undefined>;
  /** Opens a redirection target (a phone path) for writing or reading. */
  writeFile(phonePath: string, cwd: string, data: Buffer, append: boolean): Promise<void>;
  readFile(phonePath: string, cwd: string): Promise<Buffer>;
}

const OPERATORS = ["&&", "||", ";", "|", "&", "\n"] as const;

function isNameChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_]/.test(c);
}

/** Finds the `)` closing a `$(` that starts at `start` (the index after `$(`), skipping quoted text. */
function matchParen(text: string, start: number): number {
  let depth = 1;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") i++;
    else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) break;
      i = end;
    } else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  throw new ShellSyntaxError("unterminated $(");
}

type Token = { readonly kind: "word"; readonly word: Word } | { readonly kind: "op"; readonly op: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let word: Word | undefined;
  const push = (part: WordPart) => (word ??= []).push(part);
  const endWord = () => {
    if (word) tokens.push({ kind: "word", word });
    word = undefined;
  };
  const readVar = (i: number, quoted: boolean): number => {
    const next = text[i + 1];
    if (next === "(") {
      const end = matchParen(text, i + 2);
      push({ kind: "subst", source: text.slice(i + 2, end), quoted });
      return end;
    }
    if (next === "{") {
      const end = text.indexOf("}", i + 2);
      if (end < 0) throw new ShellSyntaxError("unterminated ${");
      push({ kind: "var", name: text.slice(i + 2, end), quoted });
      return end;
    }
    if (next === "?" || next === "$") {
      push({ kind: "var", name: next, quoted });
      return i + 1;
    }
    let j = i + 1;
    while (isNameChar(text[j])) j++;
    if (j === i + 1) {
      push({ kind: "text", value: "$", quoted });
      return i;
    }
    push({ kind: "var", name: text.slice(i + 1, j), quoted });
    return j - 1;
  };
  const readBackquote = (i: number, quoted: boolean): number => {
    const end = text.indexOf("`", i + 1);
    if (end < 0) throw new ShellSyntaxError("unterminated `");
    push({ kind: "subst", source: text.slice(i + 1, end), quoted });
    return end;
  };

  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === " " || c === "\t") {
      endWord();
    } else if (c === "#" && word === undefined) {
      while (i < text.length && text[i] !== "\n") i++;
      i--;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new ShellSyntaxError("unterminated '");
      push({ kind: "text", value: text.slice(i + 1, end), quoted: true });
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      push({ kind: "text", value: "", quoted: true });
      for (; j < text.length && text[j] !== '"'; j++) {
        const d = text[j] as string;
        if (d === "\\" && /[$`"\\\n]/.test(text[j + 1] ?? "")) {
          push({ kind: "text", value: text[++j] as string, quoted: true });
        } else if (d === "$") j = readVar(j, true);
        else if (d === "`") j = readBackquote(j, true);
        else push({ kind: "text", value: d, quoted: true });
      }
      if (j >= text.length) throw new ShellSyntaxError('unterminated "');
      i = j;
    } else if (c === "\\") {
      if (text[i + 1] === "\n") i++;
      else push({ kind: "text", value: text[++i] ?? "", quoted: true });
    } else if (c === "$") {
      i = readVar(i, false);
    } else if (c === "`") {
      i = readBackquote(i, false);
    } else if (c === ">" || c === "<") {
      // An unquoted digit word right before it names the file descriptor (2>, 1>>).
      let fd = c === ">" ? 1 : 0;
      const w = word;
      if (w?.length === 1 && w[0]?.kind === "text" && !w[0].quoted && /^[0-9]$/.test(w[0].value)) {
        fd = Number(w[0].value);
        word = undefined;
      } else endWord();
      let op: Redirect["op"] = c;
      if (c === ">" && text[i + 1] === ">") {
        op = ">>";
        i++;
      } else if (c === ">" && text[i + 1] === "&") {
        op = ">&";
        i++;
      }
      tokens.push({ kind: "op", op: `${fd}${op}` });
    } else if (c === "(" || c === ")") {
      throw new ShellSyntaxError(`syntax error: unexpected '${c}'`);
    } else {
      const op = OPERATORS.find((o) => text.startsWith(o, i));
      if (op) {
        endWord();
        tokens.push({ kind: "op", op });
        i += op.length - 1;
      } else push({ kind: "text", value: c, quoted: false });
    }
  }
  endWord();
  return tokens;
}

/** Parses a command line into and-or lists separated by `;`, `&` or newlines. */
function parse(text: string): AndOr[] {
  const tokens = tokenize(text);
  const lists: AndOr[] = [];
  let i = 0;
  const command = (): SimpleCommand => {
    const words: Word[] = [];
    const redirects: Redirect[] = [];
    for (; i < tokens.length; i++) {
      const t = tokens[i] as Token;
      if (t.kind === "word") words.push(t.word);
      else {
        const m = /^([0-9])(>>|>&|>|<)$/.exec(t.op);
        if (!m) break;
        const target = tokens[++i];
        if (target?.kind !== "word") throw new ShellSyntaxError(`syntax error: redirection ${t.op} needs a target`);
        redirects.push({ fd: Number(m[1]), op: m[2] as Redirect["op"], target: target.word });
      }
    }
    if (words.length === 0 && redirects.length === 0) throw new ShellSyntaxError("syntax error: empty command");
    return { words, redirects };
  };
  const pipeline = (): Pipeline => {
    const commands = [command()];
    for (let t = tokens[i]; t?.kind === "op" && t.op === "|"; t = tokens[i]) {
      i++;
      commands.push(command());
    }
    return commands;
  };
  while (i < tokens.length) {
    const t = tokens[i] as Token;
    if (t.kind === "op" && (t.op === ";" || t.op === "&" || t.op === "\n")) {
      i++;
      continue;
    }
    const first = pipeline();
    const rest: AndOr["rest"] = [];
    for (;;) {
      const next = tokens[i];
      if (next?.kind !== "op" || (next.op !== "&&" && next.op !== "||")) break;
      i++;
      rest.push({ op: next.op, pipeline: pipeline() });
    }
    lists.push({ first, rest });
  }
  return lists;
}

class Collector implements Sink {
  readonly chunks: Buffer[] = [];
  write(data: Buffer | string): void {
    this.chunks.push(typeof data === "string" ? Buffer.from(data, "utf8") : data);
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

const DISCARD: Sink = { write: () => undefined };

export class MiniShell {
  private status = 0;
  private readonly vars = new Map<string, string>([
    ["PATH", "/system/bin"],
    ["HOME", "/"],
    ["$", "1"],
  ]);

  constructor(
    private readonly host: ShellHost,
    private readonly signal: AbortSignal,
    private readonly cwd = "/",
  ) {}

  /** Runs a whole command line; syntax errors are reported like sh does, with status 2. */
  async run(text: string, out: Sink): Promise<number> {
    let lists: AndOr[];
    try {
      lists = parse(text);
    } catch (error) {
      if (!(error instanceof ShellSyntaxError)) throw error;
      await out.write(`/system/bin/sh: ${error.message}\n`);
      return (this.status = 2);
    }
    for (const list of lists) {
      if (this.signal.aborted) break;
      let status = await this.pipeline(list.first, out);
      for (const { op, pipeline } of list.rest) {
        if ((op === "&&" && status === 0) || (op === "||" && status !== 0)) status = await this.pipeline(pipeline, out);
      }
      this.status = status;
    }
    return this.status;
  }

  private async expand(word: Word): Promise<string[]> {
    const parts: string[] = [];
    let split = false;
    for (const part of word) {
      switch (part.kind) {
        case "text":
          parts.push(part.value);
          break;
        case "var":
          parts.push(part.name === "?" ? String(this.status) : (this.vars.get(part.name) ?? ""));
          split ||= !part.quoted;
          break;
        case "subst": {
          const output = new Collector();
          const inner = new MiniShell(this.host, this.signal, this.cwd);
          this.status = await inner.run(part.source, output);
          parts.push(output.bytes().toString("utf8").replace(/\n+$/, ""));
          split ||= !part.quoted;
          break;
        }
      }
    }
    const joined = parts.join("");
    if (!split) return [joined];
    return joined.split(/[ \t\n]+/).filter((w) => w !== "");
  }

  private async pipeline(commands: Pipeline, out: Sink): Promise<number> {
    let stdin: Buffer = Buffer.alloc(0);
    let status = 0;
    for (const [index, command] of commands.entries()) {
      const last = index === commands.length - 1;
      const collector = last ? undefined : new Collector();
      status = await this.simple(command, stdin, collector ?? out, out);
      if (collector) stdin = collector.bytes();
    }
    return status;
  }

  private async simple(command: SimpleCommand, stdin: Buffer, out: Sink, err: Sink): Promise<number> {
    const args: string[] = [];
    for (const word of command.words) args.push(...(await this.expand(word)));
    let stdout: Sink = out;
    let stderr: Sink = err;
    const files: Array<{ path: string; sink: Collector; append: boolean }> = [];
    for (const r of command.redirects) {
      const target = (await this.expand(r.target)).join(" ");
      if (r.op === "<") {
        try {
          stdin = await this.host.readFile(target, this.cwd);
        } catch {
          await err.write(`/system/bin/sh: can't open ${target}: No such file or directory\n`);
          return 1;
        }
        continue;
      }
      let sink: Sink;
      if (r.op === ">&") sink = target === "2" ? stderr : target === "1" ? stdout : DISCARD;
      else if (target === "/dev/null") sink = DISCARD;
      else {
        const collector = new Collector();
        files.push({ path: target, sink: collector, append: r.op === ">>" });
        sink = collector;
      }
      if (r.fd === 2) stderr = sink;
      else stdout = sink;
    }
    let status = 0;
    const [name, ...rest] = args;
    if (name !== undefined) {
      const builtin = await this.host.resolve(name, this.cwd);
      if (!builtin) {
        await stderr.write(`/system/bin/sh: ${name}: not found\n`);
        status = 127;
      } else {
        status = await builtin({ args: rest, stdin, stdout, stderr, cwd: this.cwd, signal: this.signal });
      }
    }
    for (const file of files) {
      try {
        await this.host.writeFile(file.path, this.cwd, file.sink.bytes(), file.append);
      } catch {
        await err.write(`/system/bin/sh: can't create ${file.path}: No such file or directory\n`);
        status = 1;
      }
    }
    return status;
  }
}
