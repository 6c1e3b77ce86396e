import type { FastifyRequest } from "fastify";

/** An API key anywhere in a string: `mfnas_<12 hex id>_<43 base64url secret>`. */
const API_KEY = /mfnas_([0-9a-f]{12})_[A-Za-z0-9_-]{43}/g;
/** Query parameters whose value is a credential, whatever its format. */
const SECRET_PARAM = /^(.*(token|key|secret|password|passwd|auth|credential|signature).*)$/i;

/**
 * A request URL as it may appear in a log: API keys keep only their public id, and the values of query parameters
 * named like credentials are replaced (a client that puts its key in `?token=` must not leave it in the logs).
 */
export function redactUrl(url: string): string {
  const masked = url.replace(API_KEY, "mfnas_$1_***");
  const q = masked.indexOf("?");
  if (q < 0) return masked;
  const query = masked
    .slice(q + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq < 0) return pair;
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name);
      } catch {
        // A malformed escape: judge the raw name.
      }
      return SECRET_PARAM.test(name) ? `${pair.slice(0, eq)}=***` : pair;
    })
    .join("&");
  return `${masked.slice(0, q)}?${query}`;
}

/** pino serializer of the request, as fastify's default (method, url, host, remote address) with the URL redacted. */
export function redactedRequest(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
