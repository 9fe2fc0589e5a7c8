// What a failed refresh-grant request means: retry it (the network or the server is down), or stop
// with a final error worded by its cause. kimi-cli oauth.py:525-546 retries 429/5xx/network and gives
// up on 401/403; RFC 6749 §5.2 names the permanent refusals (invalid_grant, invalid_client, …).
import { KimiError, messages } from "../support/errors.ts";
import { HttpError, oauthError } from "../support/http.ts";

export type RefreshFailure = { retry: true; detail: string } | { retry: false; error: KimiError };

const CLIENT_REFUSED = new Set(["invalid_client", "unauthorized_client"]);
const REQUEST_REFUSED = new Set(["invalid_request", "unsupported_grant_type", "invalid_scope"]);

function isTransientStatus(status: number): boolean {
  // 3xx: a proxy or captive portal redirecting the login server's answer away (redirects are not followed).
  return status === 408 || status === 429 || status >= 500 || (status >= 300 && status < 400);
}

export function classifyRefreshFailure(error: unknown): RefreshFailure {
  if (error instanceof KimiError) return { retry: false, error };
  const detail = error instanceof Error ? error.message : String(error);
  // A token or identity header HTTP cannot carry: the grant was never sent, and sending again won't help.
  if (error instanceof HttpError && error.kind === "header") return { retry: false, error: new KimiError("bad-header", messages.refreshNotSent(detail)) };
  if (!(error instanceof HttpError) || error.status === undefined) return { retry: true, detail }; // network, timeout
  const { status } = error;
  const code = oauthError(error.body).error;
  if (code === "invalid_grant" || status === 401 || status === 403) {
    return { retry: false, error: new KimiError("login-required", messages.loginRequired(detail)) };
  }
  if (code && CLIENT_REFUSED.has(code)) return { retry: false, error: new KimiError("refresh-refused", messages.refreshClientRefused(detail)) };
  if (code && REQUEST_REFUSED.has(code)) return { retry: false, error: new KimiError("refresh-refused", messages.refreshRequestRefused(detail)) };
  if (isTransientStatus(status)) return { retry: true, detail };
  if (status >= 200 && status < 300) return { retry: false, error: new KimiError("refresh-refused", messages.refreshAnswerUnusable(detail)) };
  return { retry: false, error: new KimiError("refresh-refused", messages.refreshRefused(detail)) };
}
