// What a stored credential is, and when an OAuth access token is due for refresh. Pure functions.
import { MAX_TOKEN_LIFETIME_S, REFRESH_MIN_THRESHOLD_MS, REFRESH_THRESHOLD_RATIO } from "../config/constants.ts";
import { normalizeBaseUrl } from "../config/options.ts";
import { tokenProblem } from "../support/header-value.ts";

/** An OAuth login as the plugin uses it; `apiBase` is where its tokens may be sent. */
export interface OAuthCredential {
  type: "oauth";
  access: string;
  refresh: string;
  /** Epoch milliseconds, an integer (opencode silently drops a non-integer). */
  expires: number;
  apiBase: string;
}

export interface ApiKeyCredential {
  type: "api";
  key: string;
  apiBase: string;
}

export type Credential = OAuthCredential | ApiKeyCredential;

/** The OAuth token endpoint's answer, validated (kimi-cli oauth.py:114-124 requires these keys). */
export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type?: string;
  scope?: string;
}

export interface JwtClaims {
  exp?: number;
  iat?: number;
  [claim: string]: unknown;
}

/** Reads a JWT's payload without verifying it (we only use it for timing); undefined if not a JWT. */
export function decodeJwtClaims(token: string): JwtClaims | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const json = Buffer.from(parts[1], "base64url").toString("utf8");
    const claims: unknown = JSON.parse(json);
    return claims && typeof claims === "object" && !Array.isArray(claims) ? (claims as JwtClaims) : undefined;
  } catch {
    return undefined;
  }
}

export interface TokenTiming {
  /** Epoch ms when the access token stops working. */
  expiresAt: number;
  /** Lifetime in ms when known (JWT exp - iat), else undefined. */
  lifetimeMs: number | undefined;
}

/**
 * Expiry on the local clock: the stored `expires`, which is written as local now + the token's lifetime
 * when the tokens arrive (kimi-cli does the same: `expires_at = time.time() + expires_in`, oauth.py:114-124,
 * OAuthToken.from_response), so a local clock hours off Kimi's costs nothing. The JWT's `exp` is on
 * Kimi's clock: it is the expiry only when no usable `expires` is stored. The lifetime is `exp - iat`,
 * a difference that clock skew cancels out of.
 */
export function tokenTiming(credential: Pick<OAuthCredential, "access" | "expires">): TokenTiming {
  const claims = decodeJwtClaims(credential.access);
  const exp = typeof claims?.exp === "number" && Number.isFinite(claims.exp) ? claims.exp * 1000 : undefined;
  const iat = typeof claims?.iat === "number" && Number.isFinite(claims.iat) ? claims.iat * 1000 : undefined;
  const stored = Number.isFinite(credential.expires) && credential.expires > 0 ? credential.expires : undefined;
  const expiresAt = stored ?? exp ?? credential.expires;
  const lifetimeMs = exp !== undefined && iat !== undefined && exp > iat ? exp - iat : undefined;
  return { expiresAt, lifetimeMs };
}

/**
 * How much remaining lifetime triggers a refresh. kimi-cli src/kimi_cli/auth/oauth.py:62-66 uses
 * max(300 s, half the lifetime); for Kimi's 900 s tokens that is 450 s. For tokens shorter than 600 s
 * (only test servers issue them) the 300 s floor would exceed half the lifetime and make every single
 * request refresh, so there the threshold is half the lifetime. Unknown lifetime: 300 s.
 */
export function refreshThresholdMs(lifetimeMs: number | undefined): number {
  if (lifetimeMs === undefined) return REFRESH_MIN_THRESHOLD_MS;
  const half = lifetimeMs * REFRESH_THRESHOLD_RATIO;
  return lifetimeMs < REFRESH_MIN_THRESHOLD_MS * 2 ? half : Math.max(REFRESH_MIN_THRESHOLD_MS, half);
}

/**
 * From when on (epoch ms, local clock) the access token must be refreshed before use; -Infinity when
 * it must be refreshed now (no token, unknown expiry).
 */
export function refreshDueAt(credential: Pick<OAuthCredential, "access" | "expires">): number {
  if (!credential.access) return Number.NEGATIVE_INFINITY;
  const { expiresAt, lifetimeMs } = tokenTiming(credential);
  if (!Number.isFinite(expiresAt) || expiresAt <= 0) return Number.NEGATIVE_INFINITY;
  return expiresAt - refreshThresholdMs(lifetimeMs);
}

/** True when the access token must be refreshed before use (expired, unknown expiry, or close to it). */
export function needsRefresh(credential: Pick<OAuthCredential, "access" | "expires">, now: number): boolean {
  return now >= refreshDueAt(credential);
}

/** Validates a token endpoint answer; throws a TypeError naming the missing field. */
export function parseTokenResponse(json: unknown): TokenResponse {
  if (!json || typeof json !== "object") throw new TypeError("token response is not a JSON object");
  const r = json as Record<string, unknown>;
  if (typeof r.access_token !== "string" || r.access_token === "") throw new TypeError("token response has no access_token");
  if (typeof r.refresh_token !== "string" || r.refresh_token === "") throw new TypeError("token response has no refresh_token");
  const expiresIn = typeof r.expires_in === "string" ? Number(r.expires_in) : r.expires_in;
  if (typeof expiresIn !== "number" || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw new TypeError("token response has no valid expires_in");
  }
  return {
    access_token: r.access_token,
    refresh_token: r.refresh_token,
    // A lifetime beyond any real token's (1e306 s would store `expires: Infinity`, JSON null) is capped.
    expires_in: Math.min(expiresIn, MAX_TOKEN_LIFETIME_S),
    ...(typeof r.token_type === "string" ? { token_type: r.token_type } : {}),
    ...(typeof r.scope === "string" ? { scope: r.scope } : {}),
  };
}

/**
 * A credential from a token response; `expires` is an integer of ms on the local clock: now plus the
 * lifetime (`expires_in`, capped by the JWT's `exp - iat` when the token carries both), never the JWT's
 * absolute `exp`, which is on Kimi's clock (see tokenTiming).
 */
export function credentialFromTokens(tokens: TokenResponse, apiBase: string, now: number): OAuthCredential {
  const jwtLifetimeMs = tokenTiming({ access: tokens.access_token, expires: 0 }).lifetimeMs;
  const lifetimeMs = Math.min(tokens.expires_in * 1000, jwtLifetimeMs ?? Infinity, MAX_TOKEN_LIFETIME_S * 1000);
  const expires = Math.floor(now + lifetimeMs);
  return { type: "oauth", access: tokens.access_token, refresh: tokens.refresh_token, expires, apiBase };
}

/**
 * Reads opencode's stored auth entry (the loader's `getAuth()` value) into a Credential.
 * The API base rides in `enterpriseUrl` (oauth) or `metadata.baseURL` (api): opencode's auth store
 * strips unknown fields (opencode-plugin-api.md §5) and keeps only these.
 */
export function credentialFromStore(stored: unknown, fallbackApiBase: string): Credential | undefined {
  if (!stored || typeof stored !== "object") return undefined;
  const s = stored as Record<string, unknown>;
  if (s.type === "oauth" && typeof s.access === "string" && typeof s.refresh === "string") {
    const expires = typeof s.expires === "number" && Number.isFinite(s.expires) ? s.expires : 0;
    const apiBase = typeof s.enterpriseUrl === "string" && s.enterpriseUrl ? normalizeStoredBase(s.enterpriseUrl) : fallbackApiBase;
    return { type: "oauth", access: s.access, refresh: s.refresh, expires, apiBase };
  }
  if (s.type === "api" && typeof s.key === "string") {
    const metadata = s.metadata && typeof s.metadata === "object" ? (s.metadata as Record<string, unknown>) : {};
    const apiBase = typeof metadata.baseURL === "string" && metadata.baseURL ? normalizeStoredBase(metadata.baseURL) : fallbackApiBase;
    return { type: "api", key: s.key.trim(), apiBase };
  }
  return undefined;
}

/**
 * A stored API base in the form the configured one has (options.ts normalizeBaseUrl: lower-case scheme
 * and host, no default port, dot segments resolved, no trailing slash), so `https://API.kimi.com/coding/v1/`
 * is the same base. A value that is not an http(s) URL is kept as it is (and matches nothing).
 */
function normalizeStoredBase(value: string): string {
  return normalizeBaseUrl(value, "stored API base", []) ?? value;
}

/**
 * Why this credential cannot be sent (a character a bearer token cannot hold, such as a zero-width space
 * or byte-order mark pasted along with a key, a line break, NUL or anything outside visible ASCII), or
 * undefined. An OAuth login's empty access token is not a problem: it is refreshed before use.
 */
export function credentialProblem(c: Credential): string | undefined {
  if (c.type === "api") return tokenProblem(c.key);
  const access = c.access === "" ? undefined : tokenProblem(c.access);
  return access ?? (c.refresh === "" ? undefined : tokenProblem(c.refresh));
}

/** The auth.json entry for a credential (what `client.auth.set` receives). */
export function credentialToStore(c: Credential): Record<string, unknown> {
  if (c.type === "oauth") {
    return { type: "oauth", access: c.access, refresh: c.refresh, expires: Math.floor(c.expires), enterpriseUrl: c.apiBase };
  }
  return { type: "api", key: c.key, metadata: { baseURL: c.apiBase } };
}
