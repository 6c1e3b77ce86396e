import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { MfnasError } from "@mfnas/core";
import type { Db } from "../client.ts";
import type { ApiScope } from "../generated/prisma/client.ts";

/**
 * API keys and device-lab agent tokens. A token reads `mfnas_<prefix>_<secret>`: the prefix (12 hex characters)
 * is stored in clear to find the row and to tell keys apart; only the sha256 of the whole token is stored, and a
 * presented token is compared to it in constant time. Secrets are 32 random bytes, so a fast hash suffices.
 */
const TOKEN = /^mfnas_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export type ApiScopeValue = ApiScope;

export interface ApiKeyPrincipal {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly scopes: readonly ApiScope[];
  /** For agent tokens: the only device class the token may act for. */
  readonly deviceClass: string | null;
}

export interface IssuedApiKey extends ApiKeyPrincipal {
  /** The whole token; shown once, never stored. */
  readonly token: string;
}

export function hashApiToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Whether text has the shape of an mfnas token (says nothing of whether it is valid). */
export function isApiTokenShape(token: string): boolean {
  return TOKEN.test(token);
}

/** A new random token. */
export function newApiToken(): string {
  return `mfnas_${randomBytes(6).toString("hex")}_${randomBytes(32).toString("base64url")}`;
}

const PRINCIPAL = { id: true, name: true, prefix: true, scopes: true, deviceClass: true } as const;

export class ApiKeyRepository {
  constructor(private readonly db: Db) {}

  /** Creates a key with a fresh token. Agent tokens carry the `agent` scope only and name their device class. */
  async issue(input: { name: string; scopes: ApiScope[]; deviceClass?: string | null }): Promise<IssuedApiKey> {
    return this.store(newApiToken(), input);
  }

  /**
   * Records a token chosen elsewhere (the bootstrap admin key from the environment), once: a token already
   * stored is left as it is, so every replica can run this at start.
   */
  async ensure(token: string, input: { name: string; scopes: ApiScope[] }): Promise<ApiKeyPrincipal> {
    if (!TOKEN.test(token)) throw new MfnasError("invalid_input", "token: is not of the form mfnas_<12 hex>_<43>");
    const existing = await this.db.apiKey.findUnique({ where: { secretHash: hashApiToken(token) }, select: PRINCIPAL });
    if (existing) return existing;
    return this.store(token, input);
  }

  private async store(
    token: string,
    input: { name: string; scopes: ApiScope[]; deviceClass?: string | null },
  ): Promise<IssuedApiKey> {
    const match = TOKEN.exec(token);
    if (!match?.[1]) throw new MfnasError("invalid_input", "token: malformed");
    const row = await this.db.apiKey.create({
      data: {
        name: input.name,
        prefix: match[1],
        secretHash: hashApiToken(token),
        scopes: [...new Set(input.scopes)],
        deviceClass: input.deviceClass ?? null,
      },
      select: PRINCIPAL,
    });
    return { ...row, token };
  }

  /** The live key a token belongs to, or null when it is malformed, unknown or revoked. */
  async authenticate(token: string): Promise<ApiKeyPrincipal | null> {
    const match = TOKEN.exec(token);
    if (!match?.[1]) return null;
    const row = await this.db.apiKey.findUnique({
      where: { prefix: match[1] },
      select: { ...PRINCIPAL, secretHash: true, revokedAt: true },
    });
    if (!row || row.revokedAt) return null;
    const expected = Buffer.from(row.secretHash, "hex");
    const presented = Buffer.from(hashApiToken(token), "hex");
    if (expected.length !== presented.length || !timingSafeEqual(expected, presented)) return null;
    return { id: row.id, name: row.name, prefix: row.prefix, scopes: row.scopes, deviceClass: row.deviceClass };
  }

  async touch(id: string, at: Date = new Date()): Promise<void> {
    await this.db.apiKey.updateMany({ where: { id }, data: { lastUsedAt: at } });
  }

  list() {
    return this.db.apiKey.findMany({
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      select: { ...PRINCIPAL, createdAt: true, lastUsedAt: true, revokedAt: true },
    });
  }

  /** Revokes a key; false when there is no such key or it was already revoked. */
  async revoke(id: string): Promise<boolean> {
    const { count } = await this.db.apiKey.updateMany({
      where: { id, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    return count === 1;
  }

  async exists(id: string): Promise<boolean> {
    return (await this.db.apiKey.count({ where: { id } })) === 1;
  }
}
