// Private instances of the infrastructure the reliability suites break on purpose: a Redis, a PostgreSQL cluster
// and a small loop-mounted filesystem for the artifact store, each in its own temporary directory and on its own
// port. The machine's shared Postgres and Redis are never touched.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);
const PG_BIN = "/usr/lib/postgresql/15/bin";

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once("exit", () => resolve()));
}

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** SIGKILL and start again on the same port and data directory (append-only file kept). */
  crashAndRestart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A private redis-server. BullMQ's production requirement is an append-only file (fsync every write) and
 * noeviction; the restart fault keeps that file, as a restarted production Redis would.
 */
export async function startPrivateRedis(
  options: {
    password?: string;
    /** false: no append-only file, a restart loses every key. */ persistent?: boolean;
  } = {},
): Promise<PrivateRedis> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mfnas-redis-"));
  const port = await freePort();
  let child: ChildProcess;
  const start = async () => {
    child = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        options.persistent === false ? "no" : "yes",
        "--appendfsync",
        "always",
        "--maxmemory-policy",
        "noeviction",
        "--daemonize",
        "no",
        ...(options.password ? ["--requirepass", options.password] : []),
      ],
      { stdio: "ignore" },
    );
    await waitForPort(port);
  };
  await start();
  return {
    port,
    url: `redis://${options.password ? `:${options.password}@` : ""}127.0.0.1:${port}`,
    async crashAndRestart(downMs = 1_000) {
      child.kill("SIGKILL");
      await exited(child);
      await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    async stop() {
      child.kill("SIGKILL");
      await exited(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivatePostgres {
  readonly port: number;
  /** postgresql://postgres@127.0.0.1:<port>/mfnas */
  readonly url: string;
  /** Immediate shutdown (no checkpoint: recovery replays the WAL, as after a crash), then start again. */
  crashAndRestart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** A private PostgreSQL 15 cluster (trust auth) run as the postgres user, with a database "mfnas". */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mfnas-pg-"));
  await chmod(dir, 0o755);
  const data = path.join(dir, "data");
  const sockets = path.join(dir, "run");
  await mkdir(sockets);
  const { stdout: uid } = await run("id", ["-u", "postgres"]);
  const { stdout: gid } = await run("id", ["-g", "postgres"]);
  await chown(dir, Number(uid), Number(gid));
  await chown(sockets, Number(uid), Number(gid));
  const port = await freePort();
  const asPostgres = (cmd: string, args: string[]) => run("runuser", ["-u", "postgres", "--", cmd, ...args]);
  await asPostgres(`${PG_BIN}/initdb`, ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]);
  await writeFile(path.join(dir, "postgres.log"), "");
  await chown(path.join(dir, "postgres.log"), Number(uid), Number(gid));
  const pgCtl = (...args: string[]) => asPostgres(`${PG_BIN}/pg_ctl`, ["-D", data, ...args]);
  const options = `-p ${port} -k ${sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const start = () => pgCtl("-o", options, "-l", path.join(dir, "postgres.log"), "-w", "-t", "60", "start");
  await start();
  const admin = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres` });
  await admin.connect();
  await admin.query("CREATE DATABASE mfnas");
  await admin.end();
  return {
    port,
    url: `postgresql://postgres@127.0.0.1:${port}/mfnas`,
    async crashAndRestart(downMs = 1_000) {
      await pgCtl("-m", "immediate", "-w", "stop");
      await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    async stop() {
      await pgCtl("-m", "immediate", "-w", "stop").catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface SmallDisk {
  /** The mounted filesystem's root. */
  readonly dir: string;
  /** Fills the filesystem to the last block (ENOSPC for every write that follows). */
  fill(): Promise<void>;
  /** Deletes the filler: the disk has room again. */
  free(): Promise<void>;
  stop(): Promise<void>;
}

/** A `sizeMb` ext4 filesystem in a file, loop-mounted (needs root); where mounting is refused, throws. */
export async function mountSmallDisk(sizeMb: number): Promise<SmallDisk> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mfnas-disk-"));
  const image = path.join(dir, "disk.img");
  const mountPoint = path.join(dir, "mnt");
  await mkdir(mountPoint);
  await run("truncate", ["-s", `${sizeMb}M`, image]);
  await run("mkfs.ext4", ["-q", "-m", "0", image]);
  await run("mount", ["-o", "loop", image, mountPoint]);
  const filler = path.join(mountPoint, "filler");
  return {
    dir: mountPoint,
    async fill() {
      // dd stops with "No space left on device" once the filesystem is full; that is the point.
      await run("dd", ["if=/dev/zero", `of=${filler}`, "bs=64K"]).catch(() => undefined);
      await run("sync");
    },
    async free() {
      await rm(filler, { force: true });
      await run("sync");
    },
    async stop() {
      await run("umount", ["-l", mountPoint]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
