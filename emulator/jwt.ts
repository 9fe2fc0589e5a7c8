// JWT-shaped access tokens. Kimi's access token is a JWT carrying scope=kimi-code and region
// (landscape.md §6). The emulator signs with HS256 and a per-instance secret; validity is decided by
// the token store, not by the signature, so the signature only has to look real.
import { createHmac } from "node:crypto";

export interface AccessClaims {
  sub: string;
  scope: string;
  region: string;
  /** Seconds since epoch. */
  iat: number;
  /** Seconds since epoch. */
  exp: number;
  jti: string;
  client_id?: string;
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

export function signJwt(claims: AccessClaims, secret: string): string {
  const head = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64url(JSON.stringify(claims));
  const sig = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

/** Header and payload of a JWT-shaped string, or undefined when it is not one. No verification. */
export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0] ?? "", "base64url").toString("utf8"));
    const payload: unknown = JSON.parse(Buffer.from(parts[1] ?? "", "base64url").toString("utf8"));
    if (!isObject(header) || !isObject(payload)) return undefined;
    return { header, payload };
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
