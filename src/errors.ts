// Every failure a user can see, worded once: the cause and the next step. The request path turns
// them into OpenAI-style error responses, whose `error.message` opencode shows as it is.
import { API_KEY_HELP_URL, API_KEY_PREFIX, DEVICE_LOGIN_LABEL, PROVIDER_NAME } from "./constants.ts";

export const LOGIN_HINT = `Run \`opencode auth login\`, choose "${PROVIDER_NAME}", then "${DEVICE_LOGIN_LABEL}".`;

export type KimiErrorKind = "login-required" | "refresh-unavailable" | "wrong-base" | "bad-key";

/** A failure of the plugin itself (not a server answer), with the HTTP status it is reported as. */
export class KimiError extends Error {
  constructor(
    readonly kind: KimiErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "KimiError";
  }

  get status(): number {
    switch (this.kind) {
      case "login-required":
      case "bad-key":
        return 401;
      case "wrong-base":
        return 400;
      case "refresh-unavailable":
        return 503;
    }
  }
}

export const messages = {
  loginRequired: (detail: string) =>
    `Kimi Code login is no longer valid (${detail}). ${LOGIN_HINT}`,
  refreshUnavailable: (detail: string) =>
    `Kimi Code could not refresh your login token (${detail}). Check your network connection; the stored login is kept and the next request tries again.`,
  unauthorizedAfterRetry: () =>
    `Kimi Code rejected the access token even after a refresh (HTTP 401). ${LOGIN_HINT}`,
  badKey: () =>
    `The stored ${PROVIDER_NAME} API key does not look like a Kimi Code key (those start with "${API_KEY_PREFIX}"). ` +
    `Create one at ${API_KEY_HELP_URL}, then run \`opencode auth login\`, choose "${PROVIDER_NAME}", then "Kimi Code API key".`,
  wrongBase: (credentialBase: string, requestBase: string) =>
    `This Kimi Code login belongs to ${credentialBase}, but opencode is sending requests to ${requestBase}; the token is never sent elsewhere. ` +
    `Set the plugin's "region" (or KIMI_CODE_REGION / KIMI_CODE_BASE_URL) to match the login, or log in again. ${LOGIN_HINT}`,
  accessTerminated: (serverMessage: string, identityDescription: string, identityName: string) =>
    `Kimi Code refused this client (HTTP 403 access_terminated_error${serverMessage ? `: "${serverMessage}"` : ""}). ` +
    `The request went out as ${identityDescription} (identity profile "${identityName}"). ` +
    `Kimi serves this endpoint only to clients on its allowlist. What you can do: ` +
    `(1) update opencode-kimi-code and opencode, in case Kimi changed its allowlist; ` +
    `(2) log in with a Kimi Code API key ("Kimi Code API key" method); ` +
    (identityName === "kimi-cli"
      ? `(3) the "kimi-cli" identity was refused too: switch back to the default identity "opencode". `
      : `(3) the opt-in identity "kimi-cli" (plugin option identity or KIMI_CODE_IDENTITY=kimi-cli) makes requests look like kimi-cli; ` +
        `Kimi's rules forbid altering the client identifier and memberships have been suspended for it, so it is at your own risk. `) +
    `If Kimi's own service is failing, this also happens to official clients: retry later.`,
  membershipExpired: (serverMessage: string) =>
    `Your Kimi Code membership has expired or does not include this model (HTTP 402${serverMessage ? `: "${serverMessage}"` : ""}). ` +
    `Renew or upgrade your plan at https://www.kimi.com/code, then retry.`,
  rateLimited: (quotaSentence: string | undefined, retryAfterSeconds: number | undefined, serverMessage: string) =>
    (quotaSentence ?? `Kimi Code rate limit reached (HTTP 429${serverMessage ? `: "${serverMessage}"` : ""}).`) +
    (retryAfterSeconds !== undefined ? ` Kimi asks to retry after ${formatSeconds(retryAfterSeconds)}.` : ""),
};

export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}

/** An OpenAI-compatible error response carrying our message (opencode shows `error.message`). */
export function errorResponse(status: number, message: string, type: string, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json");
  return new Response(JSON.stringify({ error: { message, type, code: type } }), { status, headers: h });
}

/** The `error.message` / `error.type` of an OpenAI-style error body, if any. */
export function serverError(body: unknown): { message: string; type: string } {
  if (body && typeof body === "object") {
    const e = (body as Record<string, unknown>).error;
    if (e && typeof e === "object") {
      const r = e as Record<string, unknown>;
      return { message: typeof r.message === "string" ? r.message : "", type: typeof r.type === "string" ? r.type : "" };
    }
    if (typeof e === "string") return { message: e, type: "" };
  }
  return { message: typeof body === "string" ? body.slice(0, 300) : "", type: "" };
}
