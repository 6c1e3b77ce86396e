import { MfnasError } from "@mfnas/core";

/**
 * Commands reach a phone as one string that its `/system/bin/sh -c` parses, so every value put into a command
 * is validated against a narrow alphabet first and then single-quoted; either alone would stop an injection.
 */

const SERIAL = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const DEVICE_PATH = /^\/[A-Za-z0-9._+/-]{0,254}$/;
const FLAG_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const FLAG_VALUE = /^[A-Za-z0-9._,:+/-]{0,255}$/;

/** Single-quotes a word for a POSIX shell: inside '...' nothing is special, and ' itself becomes '\''. */
export function quoteShellArg(value: string): string {
  if (value.includes("\0")) throw new MfnasError("invalid_input", "shell argument contains a NUL byte");
  if (/^[A-Za-z0-9._/=:,+-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Joins argv into one command line in which each element stays exactly one word. */
export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new MfnasError("invalid_input", "empty command");
  return argv.map(quoteShellArg).join(" ");
}

/** An adb serial (USB serial or host:port): letters, digits, '.', '_', ':', '-'. */
export function assertSerial(serial: string): string {
  if (!SERIAL.test(serial)) {
    throw new MfnasError(
      "invalid_input",
      `device serial ${JSON.stringify(serial)} has characters outside [A-Za-z0-9._:-]`,
      {
        field: "serial",
      },
    );
  }
  return serial;
}

/** An absolute phone path of plain characters, without `.` or `..` segments. */
export function assertDevicePath(value: string, field = "path"): string {
  const segments = value.split("/").slice(1);
  if (!DEVICE_PATH.test(value) || segments.some((s) => s === "." || s === "..")) {
    throw new MfnasError(
      "invalid_input",
      `${field} ${JSON.stringify(value)} must be an absolute path of [A-Za-z0-9._+/-] without . or .. segments`,
      { field },
    );
  }
  return value;
}

/** A `--name=value` flag for a runner; name and value are both checked. */
export function flag(name: string, value: string | number | boolean): string {
  const text = String(value);
  if (!FLAG_NAME.test(name)) throw new MfnasError("invalid_input", `flag name ${JSON.stringify(name)} is not allowed`);
  if (!FLAG_VALUE.test(text)) {
    throw new MfnasError(
      "invalid_input",
      `value of --${name} ${JSON.stringify(text)} has characters outside [A-Za-z0-9._,:+/-]`,
      {
        field: name,
      },
    );
  }
  return `--${name}=${text}`;
}
