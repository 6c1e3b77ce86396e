import { MfnasError, type ErrorCode } from "@mfnas/core";
import { Prisma, isUniqueViolation } from "@mfnas/store";
import type { FastifyError, FastifyRequest } from "fastify";
import { BODY_MEDIA_TYPES } from "./validation.ts";

/** Failures that only exist at the HTTP layer (framework and plugin errors), next to MfnasError's codes. */
type HttpProblemCode =
  | "payload_too_large"
  | "uri_too_long"
  | "headers_too_large"
  | "request_timeout"
  | "unsupported_media_type"
  | "method_not_allowed"
  | "not_acceptable"
  | "rate_limited"
  | "internal";

export type ProblemCode = ErrorCode | HttpProblemCode;

/** RFC 9457 problem document, with the request id and (for invalid input) the fields at fault. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ProblemCode;
  requestId: string;
  fields?: string[];
}

/** The one map from error codes to HTTP statuses and titles. Exhaustive: a new code fails the build here. */
export function httpStatusOf(code: ProblemCode): { status: number; title: string } {
  switch (code) {
    case "invalid_input":
      return { status: 400, title: "Invalid input" };
    case "unauthenticated":
      return { status: 401, title: "Authentication required" };
    case "forbidden":
      return { status: 403, title: "Forbidden" };
    case "not_found":
      return { status: 404, title: "Not found" };
    case "method_not_allowed":
      return { status: 405, title: "Method not allowed" };
    case "not_acceptable":
      return { status: 406, title: "Not acceptable" };
    case "conflict":
    case "cancelled":
      return { status: 409, title: "Conflict with the current state" };
    case "request_timeout":
      return { status: 408, title: "The request was not received in time" };
    case "payload_too_large":
      return { status: 413, title: "Request body too large" };
    case "uri_too_long":
      return { status: 414, title: "URI too long" };
    case "unsupported_media_type":
      return { status: 415, title: "Unsupported media type" };
    case "unsupported":
      return { status: 422, title: "Not supported by this build" };
    case "rate_limited":
      return { status: 429, title: "Too many requests" };
    case "headers_too_large":
      return { status: 431, title: "Request header fields too large" };
    case "transient":
      return { status: 503, title: "A dependency is unavailable; retry later" };
    case "timeout":
      return { status: 504, title: "Timed out" };
    // A job payload the API built failed the catalog, an unknown job, or a bad environment: our fault, not the
    // caller's.
    case "invalid_payload":
    case "unknown_job":
    case "config_invalid":
    case "internal":
      return { status: 500, title: "Internal error" };
  }
}

interface Normalized {
  code: ProblemCode;
  detail: string;
  fields?: string[];
}

const HTTP_STATUS_CODES: Partial<Record<number, HttpProblemCode | ErrorCode>> = {
  400: "invalid_input",
  404: "not_found",
  405: "method_not_allowed",
  406: "not_acceptable",
  408: "request_timeout",
  413: "payload_too_large",
  414: "uri_too_long",
  415: "unsupported_media_type",
  429: "rate_limited",
  431: "headers_too_large",
};

function fieldsOf(details: Readonly<Record<string, unknown>> | undefined): string[] | undefined {
  const fields = details?.["fields"];
  if (Array.isArray(fields) && fields.every((f) => typeof f === "string")) return fields;
  return undefined;
}

interface AjvIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** `body.budget.generations: must be >= 1` from an ajv error, naming the field a property error is about. */
function ajvField(part: string, issue: AjvIssue): string {
  const segments = (issue.instancePath ?? "").split("/").filter((s) => s !== "");
  const extra = issue.params?.["missingProperty"] ?? issue.params?.["additionalProperty"];
  if (typeof extra === "string") segments.push(extra);
  const path = [part, ...segments].join(".");
  const suffix = issue.params?.["additionalProperty"] !== undefined ? "is not allowed" : (issue.message ?? "invalid");
  return `${path}: ${suffix}`;
}

function normalize(error: unknown): Normalized {
  if (error instanceof MfnasError) {
    const fields = fieldsOf(error.details);
    return { code: error.code, detail: error.message, ...(fields ? { fields } : {}) };
  }
  if (isUniqueViolation(error)) return { code: "conflict", detail: "the record exists already" };
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    if (error.code === "P2025") return { code: "not_found", detail: "the record does not exist" };
    if (error.code === "P2003") return { code: "conflict", detail: "a referenced record does not exist" };
  }
  if (error instanceof Prisma.PrismaClientInitializationError) {
    return { code: "transient", detail: "the results store is unavailable" };
  }
  const fastifyError = error as Partial<FastifyError> & { validation?: AjvIssue[] };
  if (Array.isArray(fastifyError.validation)) {
    const part = fastifyError.validationContext ?? "request";
    const fields = fastifyError.validation.map((issue) => ajvField(part, issue));
    return { code: "invalid_input", detail: `invalid request: ${fields.join("; ")}`, fields };
  }
  if (fastifyError.code === "FST_ERR_BAD_URL") {
    const fields = ["path: is not percent-encoded UTF-8"];
    return { code: "invalid_input", detail: `invalid request: ${fields.join("; ")}`, fields };
  }
  const status = fastifyError.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    const code = HTTP_STATUS_CODES[status] ?? "invalid_input";
    return { code, detail: fastifyError.message ?? "bad request" };
  }
  return { code: "internal", detail: "internal error" };
}

/** Turns any error into its problem document. The detail of an internal error is never shown. */
export function toProblem(error: unknown, request: FastifyRequest): Problem {
  const { code, detail, fields } = normalize(error);
  if ((error as Partial<FastifyError>).code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
    const sent = String(request.headers["content-type"] ?? "").slice(0, 100);
    return problemOf("unsupported_media_type", request, {
      detail: `a body of type ${sent} is not accepted; send one of ${BODY_MEDIA_TYPES.join(", ")}`,
    });
  }
  return problemOf(code, request, { detail, ...(fields ? { fields } : {}) });
}

function problemOf(code: ProblemCode, request: FastifyRequest, said: { detail: string; fields?: string[] }): Problem {
  const { detail, fields } = said;
  const { status, title } = httpStatusOf(code);
  return {
    type: `urn:mfnas:problem:${code}`,
    title,
    status,
    detail: status >= 500 && code !== "transient" ? `internal error (request ${request.id})` : detail,
    instance: request.url.split("?")[0] ?? request.url,
    code,
    requestId: request.id,
    ...(fields ? { fields } : {}),
  };
}

/**
 * The raw HTTP response for a request Node's parser refused before fastify saw it (headers too large, a
 * malformed request line, a client too slow to send its request): a problem document like every other error.
 */
export function clientErrorResponse(error: NodeJS.ErrnoException, requestId: string): string {
  const code: ProblemCode =
    error.code === "HPE_HEADER_OVERFLOW"
      ? "headers_too_large"
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? "request_timeout"
        : "invalid_input";
  const { status, title } = httpStatusOf(code);
  const detail =
    code === "headers_too_large"
      ? "the request line and headers exceed the server's limit"
      : code === "request_timeout"
        ? "the request was not received in time"
        : "malformed HTTP request";
  const problem: Problem = {
    type: `urn:mfnas:problem:${code}`,
    title,
    status,
    detail,
    instance: "",
    code,
    requestId,
  };
  const body = JSON.stringify(problem);
  return (
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nConnection: close\r\n\r\n${body}`
  );
}
