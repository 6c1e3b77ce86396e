import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MfnasError } from "@mfnas/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** The dashboard's files (plain ES modules, CSS, SVG): services/api/dashboard. */
const DASHBOARD_DIR = fileURLToPath(new URL("../dashboard/", import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
};

/** The page may load only its own scripts and styles and talk only to this origin. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

/** Every servable file under `dir` by its relative URL path; other extensions, dotfiles and links are left out. */
async function loadFiles(dir: string): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  const walk = async (relative: string, depth: number): Promise<void> => {
    if (depth > 4) return;
    for (const entry of await readdir(path.join(dir, relative), { withFileTypes: true })) {
      if (entry.name.startsWith(".")) continue;
      const name = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        await walk(name, depth + 1);
        continue;
      }
      const contentType = CONTENT_TYPES[path.extname(entry.name)];
      if (!entry.isFile() || contentType === undefined) continue;
      const body = await readFile(path.join(dir, name));
      const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
      files.set(name, { body, contentType, etag });
    }
  };
  await walk("", 0);
  return files;
}

function send(request: FastifyRequest, reply: FastifyReply, file: StaticFile) {
  void reply
    .header("etag", file.etag)
    // Names carry no content hash: the browser revalidates each time (a 304 when nothing changed).
    .header("cache-control", "no-cache")
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer");
  if (file.contentType.startsWith("text/html")) {
    void reply.header("content-security-policy", CSP).header("x-frame-options", "DENY");
  }
  const match = request.headers["if-none-match"];
  if (match !== undefined && match.split(",").some((tag) => tag.trim() === file.etag)) {
    return reply.code(304).send();
  }
  return reply.type(file.contentType).send(file.body);
}

/**
 * Serves the dashboard: `/` is its page, `/dashboard/<file>` its modules and styles. The files are read once at
 * start and looked up by exact name, so no request path ever reaches the file system (no traversal).
 */
export async function registerDashboard(app: FastifyInstance, dir: string = DASHBOARD_DIR): Promise<void> {
  const files = await loadFiles(dir);
  const index = files.get("index.html");
  if (!index) throw new Error(`dashboard: ${dir} has no index.html`);
  const schema = { hide: true, response: { 200: { type: "string" } } };

  app.get("/", { config: { scope: "public" }, schema }, (request, reply) => send(request, reply, index));
  app.get(
    "/dashboard/*",
    {
      config: { scope: "public" },
      schema: { ...schema, params: { type: "object", properties: { "*": { type: "string", maxLength: 256 } } } },
    },
    (request, reply) => {
      const name = (request.params as { "*": string })["*"];
      const file = files.get(name);
      if (!file) throw new MfnasError("not_found", `no dashboard file ${name}`, {});
      return send(request, reply, file);
    },
  );
}
