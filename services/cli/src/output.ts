/** Where a command writes: JSON for scripts (--json), text for people. */
export interface Output {
  readonly json: boolean;
  /** Whether stdout is a terminal (progress redrawn in place) or a log/pipe (one line per step). */
  readonly tty: boolean;
  write(text: string): void;
  /** Notes for people; kept off stdout so that --json output stays parseable. */
  note(text: string): void;
}

export function processOutput(json: boolean): Output {
  return {
    json,
    tty: Boolean(process.stdout.isTTY),
    write: (text) => void process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
    note: (text) => void process.stderr.write(`${text}\n`),
  };
}

/** Prints `data` as JSON under --json, else the human rendering. */
export function emit(out: Output, data: unknown, human: () => string): void {
  out.write(out.json ? JSON.stringify(data, null, 2) : human());
}

export function shortId(id: string | null | undefined, length = 8): string {
  return id ? id.slice(0, length) : "-";
}

export function when(iso: string | null | undefined): string {
  return iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : "-";
}

/** `[########................]  3/10` */
export function bar(done: number, total: number | null, width = 24): string {
  if (total === null || total <= 0) return `${done}`;
  const share = Math.min(1, Math.max(0, done / total));
  const filled = Math.round(share * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}`;
}

/** A line redrawn in place on a terminal, printed once per change otherwise. */
export class LiveLine {
  private last = "";

  constructor(private readonly out: Output) {}

  update(text: string): void {
    if (text === this.last) return;
    this.last = text;
    if (this.out.tty) process.stdout.write(`\r\u001b[2K${text}`);
    else this.out.write(text);
  }

  finish(text?: string): void {
    if (this.out.tty) process.stdout.write(`\r\u001b[2K${text ?? this.last}\n`);
    else if (text !== undefined && text !== this.last) this.out.write(text);
  }
}
