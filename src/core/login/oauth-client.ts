// Kimi's OAuth endpoints, one request each (kimi-cli src/kimi_cli/auth/oauth.py:454-546):
// form-encoded bodies, the public client id, and the identity profile's OAuth headers.
import {
  DEVICE_AUTHORIZATION_PATH,
  DEVICE_CODE_GRANT,
  OAUTH_CLIENT_ID,
  OWN_CALL_TIMEOUT_MS,
  TOKEN_PATH,
} from "../config/constants.ts";
import { fetchWithTimeout, HttpError, oauthError, readBody } from "../support/http.ts";
import type { HeaderSource } from "../wire/identity/profiles.ts";
import {
  deviceCodeLifetimeS,
  MAX_DEVICE_CODE_CHARS,
  pollIntervalS,
  printable,
  safeUserCode,
  verificationUrlProblem,
} from "./device-answer.ts";
import { parseTokenResponse, type TokenResponse } from "../tokens/credential.ts";

export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete: string;
  /** Seconds the device code is valid. */
  expiresIn: number;
  /** Seconds between polls. */
  interval: number;
}

/** One poll of the token endpoint, classified (RFC 8628 §3.5). */
export type PollResult =
  | { kind: "success"; tokens: TokenResponse }
  | { kind: "pending" }
  | { kind: "slow_down" }
  | { kind: "expired" }
  | { kind: "denied" }
  | { kind: "error"; message: string; transient: boolean };

export interface OAuthClientDeps {
  oauthHost: string;
  headers: HeaderSource;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export class OAuthClient {
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly deps: OAuthClientDeps) {
    this.fetchImpl = deps.fetch ?? fetch;
    this.timeoutMs = deps.timeoutMs ?? OWN_CALL_TIMEOUT_MS;
  }

  get host(): string {
    return this.deps.oauthHost;
  }

  private async post(path: string, form: Record<string, string>): Promise<{ status: number; body: unknown }> {
    const headers = { ...(await this.deps.headers("oauth")), "Content-Type": "application/x-www-form-urlencoded" };
    const response = await fetchWithTimeout(
      this.fetchImpl,
      this.deps.oauthHost + path,
      { method: "POST", headers, body: new URLSearchParams(form).toString() },
      this.timeoutMs,
    );
    return { status: response.status, body: await readBody(response) };
  }

  /** Starts a device login. Throws HttpError with a readable message on any failure. */
  async deviceAuthorization(): Promise<DeviceAuthorization> {
    // kimi-cli sends only client_id, no scope (kimi-cli-wire.md §4.1).
    const { status, body } = await this.post(DEVICE_AUTHORIZATION_PATH, { client_id: OAUTH_CLIENT_ID });
    if (status !== 200 || !body || typeof body !== "object") {
      const { error, description } = oauthError(body);
      // A proxy's HTML error page is named, not quoted: its markup says nothing to the user.
      const text = typeof body === "string" ? (/^\s*</.test(body) ? "an HTML page, not Kimi's answer" : body) : "";
      const detail = printable(description ?? error ?? text, 200);
      throw new HttpError(`device authorization failed (HTTP ${status})${detail ? `: ${detail}` : ""}`, "http", status, body);
    }
    const b = body as Record<string, unknown>;
    const str = (k: string) => (typeof b[k] === "string" ? (b[k] as string) : "");
    const deviceCode = str("device_code");
    const userCode = safeUserCode(str("user_code"));
    const verificationUriComplete = str("verification_uri_complete") || str("verification_uri");
    if (!deviceCode || !userCode || !verificationUriComplete) {
      throw new HttpError("device authorization answer lacks device_code, user_code or verification URI", "shape", status, body);
    }
    if (deviceCode.length > MAX_DEVICE_CODE_CHARS) {
      throw new HttpError(`device authorization answer has a device_code longer than ${MAX_DEVICE_CODE_CHARS} characters`, "shape", status);
    }
    // Only a link that is safe to open and show goes to opencode (RFC 8628 §5.4: remote phishing).
    const problem = verificationUrlProblem(verificationUriComplete, this.deps.oauthHost);
    if (problem) throw new HttpError(`device authorization answer has an unsafe verification URL: ${problem}`, "shape", status);
    const verificationUri = verificationUrlProblem(str("verification_uri"), this.deps.oauthHost) ? "" : str("verification_uri");
    return {
      deviceCode,
      userCode,
      verificationUri,
      verificationUriComplete,
      expiresIn: deviceCodeLifetimeS(b.expires_in),
      interval: pollIntervalS(b.interval),
    };
  }

  /** One poll. Kimi answers "pending" both as an HTTP 400 error and as HTTP 200 with an `error` field. */
  async pollDeviceToken(deviceCode: string): Promise<PollResult> {
    let status: number;
    let body: unknown;
    try {
      ({ status, body } = await this.post(TOKEN_PATH, {
        client_id: OAUTH_CLIENT_ID,
        device_code: deviceCode,
        grant_type: DEVICE_CODE_GRANT,
      }));
    } catch (error) {
      return { kind: "error", message: (error as Error).message, transient: true };
    }
    const { error, description } = oauthError(body);
    if (status === 200 && !error) {
      try {
        return { kind: "success", tokens: parseTokenResponse(body) };
      } catch (e) {
        return { kind: "error", message: (e as Error).message, transient: false };
      }
    }
    switch (error) {
      case "authorization_pending":
        return { kind: "pending" };
      case "slow_down":
        return { kind: "slow_down" };
      case "expired_token":
        return { kind: "expired" };
      case "access_denied":
        return { kind: "denied" };
    }
    const message = `token endpoint answered HTTP ${status}${error ? ` ${error}` : ""}${description ? `: ${description}` : ""}`;
    return { kind: "error", message, transient: status >= 500 || status === 429 };
  }

  /**
   * One refresh-grant request. Resolves with tokens, or throws HttpError carrying the status and body
   * (status undefined for network failures) so the caller can decide between retry and re-login.
   */
  async refresh(refreshToken: string): Promise<TokenResponse> {
    const { status, body } = await this.post(TOKEN_PATH, {
      client_id: OAUTH_CLIENT_ID,
      grant_type: "refresh_token",
      refresh_token: refreshToken,
    });
    if (status === 200) {
      try {
        return parseTokenResponse(body);
      } catch (e) {
        throw new HttpError(`refresh answer invalid: ${(e as Error).message}`, "shape", status, body);
      }
    }
    const { error, description } = oauthError(body);
    throw new HttpError(
      `token refresh failed (HTTP ${status}${error ? ` ${error}` : ""}${description ? `: ${description}` : ""})`,
      status === 401 ? "unauthorized" : "http",
      status,
      body,
    );
  }
}
