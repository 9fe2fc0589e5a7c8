// Issued access and refresh tokens: minting, rotation, validity. The store is the authority; a
// token this instance did not issue is unknown even if it is a well-formed JWT.
import { randomBytes, randomUUID } from "node:crypto";
import { signJwt } from "./jwt.ts";
import { noteSecrets } from "./secrets-log.ts";

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: "Bearer";
  scope: "kimi-code";
}

export interface IssueOptions {
  lifetimeSec: number;
  refreshLifetimeSec: number;
  sub: string;
  region: string;
  clientId?: string;
  /** The server clock's offset from this machine's (JWT iat/exp only). */
  clockOffsetSec?: number;
}

interface AccessRecord {
  expiresAtMs: number;
  revoked: boolean;
}

interface RefreshRecord {
  expiresAtMs: number;
  used: boolean;
  revoked: boolean;
}

export type AccessCheck = "valid" | "expired" | "unknown";
export type RefreshCheck = "ok" | "unknown" | "used" | "expired";

export class TokenStore {
  private readonly secret = randomBytes(32).toString("hex");
  private readonly access = new Map<string, AccessRecord>();
  private readonly refreshTokens = new Map<string, RefreshRecord>();
  /** Successful refresh_token grants. */
  refreshCount = 0;
  /** Token pairs issued by any path (device flow, refresh, mintTokens). */
  issuedCount = 0;

  /** Every access and refresh token issued so far: what a secrets scan looks for in logs and files. */
  issuedSecrets(): string[] {
    return [...this.access.keys(), ...this.refreshTokens.keys()];
  }

  issue(opts: IssueOptions, now = Date.now()): TokenPair {
    // Server-side validity uses ms precision; the JWT carries whole seconds.
    const expiresAtMs = now + opts.lifetimeSec * 1000;
    const offsetS = Math.round(opts.clockOffsetSec ?? 0);
    const access_token = signJwt(
      {
        sub: opts.sub,
        scope: "kimi-code",
        region: opts.region,
        iat: Math.floor(now / 1000) + offsetS,
        exp: Math.floor(expiresAtMs / 1000) + offsetS,
        jti: randomUUID(),
        ...(opts.clientId ? { client_id: opts.clientId } : {}),
      },
      this.secret,
    );
    const refresh_token = `kimi-emu-rt-${randomBytes(24).toString("base64url")}`;
    this.access.set(access_token, { expiresAtMs, revoked: false });
    this.refreshTokens.set(refresh_token, {
      expiresAtMs: now + opts.refreshLifetimeSec * 1000,
      used: false,
      revoked: false,
    });
    this.issuedCount++;
    noteSecrets("access", access_token);
    noteSecrets("refresh", refresh_token);
    return { access_token, refresh_token, expires_in: opts.lifetimeSec, token_type: "Bearer", scope: "kimi-code" };
  }

  checkAccess(token: string, now = Date.now()): AccessCheck {
    const rec = this.access.get(token);
    if (!rec || rec.revoked) return "unknown";
    return now < rec.expiresAtMs ? "valid" : "expired";
  }

  checkRefresh(token: string, now = Date.now()): RefreshCheck {
    const rec = this.refreshTokens.get(token);
    if (!rec || rec.revoked) return "unknown";
    if (rec.used) return "used";
    return now < rec.expiresAtMs ? "ok" : "expired";
  }

  /**
   * Redeems a refresh token for a new pair. The old access token stays valid until its own exp,
   * as on a real server. With `singleUse` the old refresh token is spent.
   */
  rotate(refreshToken: string, singleUse: boolean, opts: IssueOptions, now = Date.now()): TokenPair | RefreshCheck {
    const check = this.checkRefresh(refreshToken, now);
    if (check !== "ok") return check;
    if (singleUse) this.refreshTokens.get(refreshToken)!.used = true;
    this.refreshCount++;
    return this.issue(opts, now);
  }

  revokeAccessToken(token: string): void {
    const rec = this.access.get(token);
    if (rec) rec.revoked = true;
  }

  revokeAll(): void {
    for (const rec of this.access.values()) rec.revoked = true;
    for (const rec of this.refreshTokens.values()) rec.revoked = true;
  }
}
