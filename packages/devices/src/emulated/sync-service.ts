import { createReadStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from "node:fs/promises";
import path from "node:path";
import type { DeviceStream } from "../adb/device-transport.ts";
import type { PhoneFs } from "./phone-fs.ts";

/** adb's SYNC_DATA_MAX: the largest DATA chunk either side sends. */
const SYNC_DATA_MAX = 64 * 1024;

function id(name: string, value: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(8);
  header.write(name, 0, "latin1");
  header.writeUInt32LE(value >>> 0, 4);
  return Buffer.concat([header, payload]);
}

function fail(message: string): Buffer {
  const text = Buffer.from(message, "utf8");
  return id("FAIL", text.length, text);
}

function statReply(mode: number, size: number, mtime: number): Buffer {
  const body = Buffer.alloc(12);
  body.writeUInt32LE(mode >>> 0, 0);
  body.writeUInt32LE(size >>> 0, 4);
  body.writeUInt32LE(mtime >>> 0, 8);
  return Buffer.concat([Buffer.from("STAT", "latin1"), body]);
}

interface Upload {
  readonly target: string;
  readonly temp: string;
  readonly handle: FileHandle;
}

/**
 * The device side of adb's file sync protocol, version 1 (STAT, LIST, SEND, RECV, DATA, DONE, QUIT), enough for
 * `adb push`/`adb pull` and adbkit's push, pull, stat and readdir. A pushed file is written under a temporary
 * name and renamed into place at DONE, so an interrupted push never leaves a truncated file under its name.
 */
export function serveSync(stream: DeviceStream, fs: PhoneFs): void {
  let buffer: Buffer = Buffer.alloc(0);
  let upload: Upload | undefined;
  let busy = Promise.resolve();

  const take = (n: number): Buffer | undefined => {
    if (buffer.length < n) return undefined;
    const head = buffer.subarray(0, n);
    buffer = buffer.subarray(n);
    return head;
  };

  const abortUpload = async () => {
    if (!upload) return;
    const { handle, temp } = upload;
    upload = undefined;
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
  };

  /** Handles every complete request in the buffer, in order. */
  const drain = async (): Promise<void> => {
    for (;;) {
      if (buffer.length < 8) return;
      const name = buffer.subarray(0, 4).toString("latin1");
      const length = buffer.readUInt32LE(4);
      if (upload) {
        if (name === "DATA") {
          if (buffer.length < 8 + length) return;
          const data = take(8 + length)!.subarray(8);
          await upload.handle.write(data);
          continue;
        }
        if (name === "DONE") {
          take(8);
          const { handle, temp, target } = upload;
          upload = undefined;
          await handle.sync();
          await handle.close();
          await rename(temp, target);
          await stream.write(id("OKAY", 0));
          continue;
        }
        await abortUpload();
        await stream.write(fail(`unexpected ${name} during SEND`));
        stream.close();
        return;
      }
      if (name === "QUIT") {
        take(8);
        stream.close();
        return;
      }
      if (buffer.length < 8 + length) return;
      const arg = take(8 + length)!
        .subarray(8)
        .toString("utf8");
      switch (name) {
        case "STAT": {
          try {
            const s = await stat(fs.hostPath(arg));
            const mode = (s.isDirectory() ? 0o040000 : 0o100000) | (s.mode & 0o7777);
            await stream.write(statReply(mode, s.size, Math.floor(s.mtimeMs / 1000)));
          } catch {
            await stream.write(statReply(0, 0, 0));
          }
          break;
        }
        case "LIST": {
          const dir = fs.hostPath(arg);
          const names = await readdir(dir).catch(() => [] as string[]);
          for (const entry of names) {
            const s = await stat(path.join(dir, entry)).catch(() => undefined);
            if (!s) continue;
            const nameBytes = Buffer.from(entry, "utf8");
            const body = Buffer.alloc(16);
            body.writeUInt32LE(((s.isDirectory() ? 0o040000 : 0o100000) | (s.mode & 0o7777)) >>> 0, 0);
            body.writeUInt32LE(s.size >>> 0, 4);
            body.writeUInt32LE(Math.floor(s.mtimeMs / 1000) >>> 0, 8);
            body.writeUInt32LE(nameBytes.length, 12);
            await stream.write(Buffer.concat([Buffer.from("DENT"), body, nameBytes]));
          }
          await stream.write(Buffer.concat([Buffer.from("DONE"), Buffer.alloc(16)]));
          break;
        }
        case "SEND": {
          const comma = arg.lastIndexOf(",");
          const remote = comma >= 0 ? arg.slice(0, comma) : arg;
          const mode = comma >= 0 ? Number.parseInt(arg.slice(comma + 1), 10) & 0o777 : 0o644;
          const target = fs.hostPath(remote);
          const temp = `${target}.sync-${process.pid}-${Date.now()}.tmp`;
          try {
            await mkdir(path.dirname(target), { recursive: true });
            upload = { target, temp, handle: await open(temp, "w", mode || 0o644) };
          } catch (error) {
            await stream.write(fail(`cannot write ${remote}: ${(error as Error).message}`));
            // The host still sends DATA/DONE for this file; swallow them as a failed upload.
            stream.close();
            return;
          }
          break;
        }
        case "RECV": {
          const source = fs.hostPath(arg);
          try {
            for await (const chunk of createReadStream(source, { highWaterMark: SYNC_DATA_MAX })) {
              const bytes = chunk as Buffer;
              await stream.write(id("DATA", bytes.length, bytes));
            }
            await stream.write(id("DONE", 0));
          } catch (error) {
            await stream.write(fail(`cannot read ${arg}: ${(error as Error).message}`));
          }
          break;
        }
        default:
          await stream.write(fail(`unknown sync request ${JSON.stringify(name)}`));
          stream.close();
          return;
      }
    }
  };

  stream.onData((data) => {
    buffer = Buffer.concat([buffer, data]);
    busy = busy.then(drain).catch(async () => {
      await abortUpload();
      stream.close();
    });
  });
  stream.onClose(() => {
    busy = busy.then(abortUpload);
  });
}
