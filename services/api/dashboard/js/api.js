// The dashboard's access to the mfnas API: the API key kept in sessionStorage and sent as a Bearer token,
// JSON requests with problem+json errors, paginated lists, event streams read with fetch, and downloads.

const KEY = "mfnas.apiKey";

/** @returns {string | null} */
export function apiKey() {
  return sessionStorage.getItem(KEY);
}

/** @param {string} key */
export function setApiKey(key) {
  sessionStorage.setItem(KEY, key);
}

export function clearApiKey() {
  sessionStorage.removeItem(KEY);
}

class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   * @param {Record<string, unknown>} problem
   */
  constructor(status, message, problem) {
    super(message);
    this.status = status;
    this.problem = problem;
  }
}

/** @returns {Record<string, string>} */
function authHeaders() {
  const key = apiKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

/**
 * @param {Response} response
 * @returns {Promise<ApiError>}
 */
async function errorOf(response) {
  /** @type {Record<string, unknown>} */
  let problem = {};
  try {
    /** @type {unknown} */
    const body = await response.json();
    if (typeof body === "object" && body !== null) problem = /** @type {Record<string, unknown>} */ (body);
  } catch {
    // Not a problem document (a proxy's page, say): the status says enough.
  }
  const detail = typeof problem["detail"] === "string" ? problem["detail"] : response.statusText;
  if (response.status === 401) {
    clearApiKey();
    window.dispatchEvent(new CustomEvent("mfnas:unauthenticated"));
  }
  return new ApiError(response.status, `${response.status}: ${detail}`, problem);
}

/**
 * A JSON request to the API.
 * @template T
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<T>}
 */
export async function api(path, init = {}) {
  const response = await fetch(path, {
    ...init,
    headers: { accept: "application/json", ...authHeaders(), ...(init.headers ?? {}) },
  });
  if (!response.ok) throw await errorOf(response);
  /** @type {unknown} */
  const body = await response.json();
  return /** @type {T} */ (body);
}

/**
 * Every item of a cursor-paginated list.
 * @template T
 * @param {string} path list path, possibly with a query string
 * @param {number} [limit] page size
 * @returns {Promise<T[]>}
 */
export async function allPages(path, limit = 1000) {
  /** @type {T[]} */
  const items = [];
  let cursor = /** @type {string | null} */ (null);
  const join = path.includes("?") ? "&" : "?";
  do {
    const page = /** @type {{ items: T[]; nextCursor: string | null }} */ (
      await api(`${path}${join}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`)
    );
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/**
 * @typedef {{ event: string; id: string | undefined; data: unknown }} StreamEvent
 */

/**
 * The JSON an API operation answers with, by its operationId, generated from the OpenAPI document (`npm run
 * api-types`): e.g. `import("./api.js").ApiResponse<"getSearch">`, or an item of a list,
 * `import("./api.js").ApiResponse<"listSearches">["items"][number]`.
 * @template {import("../../../../packages/core/src/api/api-types.ts").ApiOperationId} Op
 * @typedef {import("../../../../packages/core/src/api/api-types.ts").ApiResponse<Op>} ApiResponse
 */

/**
 * The body an API operation takes, by its operationId (generated, as ApiResponse).
 * @template {import("../../../../packages/core/src/api/api-types.ts").ApiOperationId} Op
 * @typedef {import("../../../../packages/core/src/api/api-types.ts").ApiBody<Op>} ApiBody
 */

/**
 * An event's data: JSON, or the text itself when it is not JSON.
 * @param {string} text
 * @returns {unknown}
 */
function parseData(text) {
  try {
    /** @type {unknown} */
    const value = JSON.parse(text);
    return value;
  } catch {
    return text;
  }
}

/**
 * Reads a server-sent event stream with fetch (so the key travels in the Authorization header, never in a URL).
 * On a dropped connection it reconnects with Last-Event-ID; it stops at the `end` event or on close().
 * @param {string} path
 * @param {(event: StreamEvent) => void} onEvent
 * @returns {{ close(): void }}
 */
export function eventStream(path, onEvent) {
  const controller = new AbortController();
  /** @type {string | undefined} */
  let lastId;
  let retryMs = 2000;
  let finished = false;

  /** @param {string} block */
  const dispatch = (block) => {
    let event = "message";
    /** @type {string | undefined} */
    let id;
    const data = [];
    for (const line of block.split("\n")) {
      if (line === "" || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
      else if (field === "id") id = value;
      else if (field === "retry" && /^[0-9]+$/.test(value)) retryMs = Number(value);
    }
    if (id !== undefined) lastId = id;
    if (data.length === 0) return;
    if (event === "end") finished = true;
    onEvent({ event, id, data: parseData(data.join("\n")) });
  };

  const run = async () => {
    while (!finished && !controller.signal.aborted) {
      try {
        /** @type {Record<string, string>} */
        const headers = { accept: "text/event-stream", ...authHeaders() };
        if (lastId !== undefined) headers["last-event-id"] = lastId;
        const response = await fetch(path, { headers, signal: controller.signal, cache: "no-store" });
        if (!response.ok || !response.body) {
          const error = await errorOf(response);
          if (response.status < 500 && response.status !== 429) {
            onEvent({ event: "error", id: undefined, data: { detail: error.message } });
            return;
          }
          throw error;
        }
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, "\n");
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            dispatch(buffer.slice(0, cut));
            buffer = buffer.slice(cut + 2);
          }
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        onEvent({ event: "reconnecting", id: undefined, data: { detail: String(error) } });
      }
      if (!finished) await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  };
  void run();
  return { close: () => controller.abort() };
}

/**
 * An artifact fetched with the key, as an object URL an <img> can show (the key never goes into a URL).
 * @param {string} path
 * @returns {Promise<string>}
 */
export async function objectUrl(path) {
  const response = await fetch(path, { headers: authHeaders() });
  if (!response.ok) throw await errorOf(response);
  return URL.createObjectURL(await response.blob());
}

/**
 * Downloads an artifact with the key and hands it to the browser as a file.
 * @param {string} path
 * @param {string} fallbackName
 */
export async function download(path, fallbackName) {
  const response = await fetch(path, { headers: authHeaders() });
  if (!response.ok) throw await errorOf(response);
  const disposition = response.headers.get("content-disposition") ?? "";
  const name = /filename="([A-Za-z0-9._-]+)"/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * A JSON request with a body (POST, PATCH).
 * @template T
 * @param {string} method
 * @param {string} path
 * @param {unknown} body
 * @returns {Promise<T>}
 */
export function sendJson(method, path, body) {
  return api(path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/**
 * The sha256 of a file as hex, computed in the browser (Web Crypto: a secure context, https or localhost).
 * @param {Blob} file
 * @returns {Promise<string>}
 */
export async function sha256Hex(file) {
  if (!globalThis.crypto?.subtle) {
    throw new Error("this page cannot compute a sha256: Web Crypto needs https or localhost");
  }
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Uploads a file's bytes as an artifact of an upload kind (POST /v1/artifacts), with the sha256 computed here so
 * that the API refuses bytes that changed on the way.
 * @param {string} kind
 * @param {File} file
 * @param {string} sha256
 * @returns {Promise<ApiResponse<"uploadArtifact">>}
 */
export function uploadArtifact(kind, file, sha256) {
  const query = new URLSearchParams({ kind, name: file.name.slice(0, 200), sha256 });
  return api(`/v1/artifacts?${query}`, {
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: file,
  });
}
