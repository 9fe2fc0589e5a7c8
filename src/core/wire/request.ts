// The request path: the `fetch` the auth loader hands to opencode's AI SDK provider.
// Contracts (AGENTS.md): the plugin owns Authorization and sends its token only to the credential's
// own API base; private x-opencode-kimi-* headers never leave; a successful response is returned
// untouched (never read, cloned or buffered: streaming stays streaming); a 401 gets exactly one forced
// refresh and one retry with the same body; 401/402/403/429 answers are reworded to say what happened
// and what to do. Nothing here throws into opencode: failures become error responses.
import { PRIVATE_HEADER_PREFIX } from "../config/constants.ts";
import { errorResponse, KimiError, messages, serverError } from "../support/errors.ts";
import { readBody } from "../support/http.ts";
import type { HeaderSource } from "./identity/profiles.ts";
import { log } from "../support/log.ts";
import type { Credential } from "../tokens/credential.ts";
import { API_KEY_PREFIX } from "../config/constants.ts";
import { describeQuotaExhaustion, pickQuotaWindow, type QuotaWindow } from "../usage/usage.ts";

export interface RequestPathDeps {
  keeper: {
    credential(): Promise<Credential>;
    forceRefresh(rejectedAccess: string): Promise<Credential>;
  };
  identity: { name: string; description: string; headers: HeaderSource };
  /** Where opencode is configured to send this provider's requests. */
  configuredApiBase: string;
  /** The quota windows from /usages, to explain a 429; undefined when they cannot be had. */
  quota?: (credential: Credential) => Promise<readonly QuotaWindow[] | undefined>;
  fetch?: typeof fetch;
  now?: () => number;
}

/**
 * An exhausted quota window that resets later than this is reported as a final error at once; a
 * sooner reset stays a 429 with Retry-After, which opencode waits out and retries by itself.
 */
export const QUOTA_WAIT_LIMIT_MS = 5 * 60_000;

type FetchFn = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

const PASS_THROUGH_HEADERS = ["retry-after", "x-trace-id", "x-request-id", "msh-request-id"];

function isUnder(url: string, base: string): boolean {
  return url === base || url.startsWith(base + "/") || url.startsWith(base + "?");
}

/** A body that can be sent twice: strings and bytes as they are, a stream buffered once. */
async function replayableBody(body: BodyInit | null | undefined): Promise<BodyInit | null | undefined> {
  if (body instanceof ReadableStream) return new Uint8Array(await new Response(body).arrayBuffer());
  return body;
}

function baseOf(url: string): string {
  try {
    const u = new URL(url);
    return u.origin + u.pathname.replace(/\/chat\/completions$|\/[^/]*$/, "");
  } catch {
    return url;
  }
}

export function createRequestFetch(deps: RequestPathDeps): FetchFn {
  const fetchImpl = deps.fetch ?? fetch;

  function authorize(headers: Headers, credential: Credential, identityHeaders: Record<string, string>): Headers {
    const h = new Headers(headers);
    h.delete("authorization");
    h.delete("x-api-key");
    for (const name of [...h.keys()]) if (name.startsWith(PRIVATE_HEADER_PREFIX)) h.delete(name);
    for (const [name, value] of Object.entries(identityHeaders)) h.set(name, value);
    h.set("authorization", `Bearer ${credential.type === "oauth" ? credential.access : credential.key}`);
    return h;
  }

  async function explain(response: Response, credential: Credential, retried: boolean): Promise<Response> {
    const status = response.status;
    if (status !== 401 && status !== 402 && status !== 403 && status !== 429) return response;
    const server = serverError(await readBody(response));
    const keep = new Headers();
    for (const name of PASS_THROUGH_HEADERS) {
      const v = response.headers.get(name);
      if (v !== null) keep.set(name, v);
    }
    // Our own error types: Kimi's (e.g. access_terminated_error) can contain words that make opencode
    // retry a final error for a minute (errors.ts OPENCODE_RETRY_PATTERNS).
    let message: string;
    let type: string;
    let outStatus = status;
    switch (status) {
      case 401:
        type = "kimi_unauthorized";
        message =
          credential.type === "api"
            ? messages.rejectedKey(server.message)
            : retried
              ? messages.unauthorizedAfterRetry()
              : messages.loginRequired(server.message || "HTTP 401");
        break;
      case 402:
        type = "kimi_membership_expired";
        message = messages.membershipExpired(server.message);
        break;
      case 403:
        if (server.type === "access_terminated_error" || /coding agents/i.test(server.message)) {
          type = "kimi_client_not_allowed";
          message = messages.accessTerminated(server.message, deps.identity.description, deps.identity.name);
        } else {
          type = "kimi_forbidden";
          message = messages.forbidden(server.message);
        }
        break;
      default:
        ({ status: outStatus, type, message } = await explainRateLimit(response, credential, server.message, keep));
    }
    log("warn", `Kimi Code answered HTTP ${status}`, { type: server.type, message: server.message });
    return errorResponse(outStatus, message, type, keep);
  }

  /** 429: a quota window exhausted until much later is final; anything else stays a retryable 429. */
  async function explainRateLimit(
    response: Response,
    credential: Credential,
    serverMessage: string,
    keep: Headers,
  ): Promise<{ status: number; type: string; message: string }> {
    const now = (deps.now ?? Date.now)();
    let windows: readonly QuotaWindow[] | undefined;
    try {
      windows = await deps.quota?.(credential);
    } catch {
      windows = undefined;
    }
    const picked = windows ? pickQuotaWindow(windows) : undefined;
    const resetAt = picked?.window.resetAt?.getTime();
    if (windows && picked?.exhausted && (resetAt === undefined || resetAt - now > QUOTA_WAIT_LIMIT_MS)) {
      // 403, not 429: opencode would otherwise retry for a minute (or wait out a Retry-After of hours).
      keep.delete("retry-after");
      const sentence = describeQuotaExhaustion(windows, new Date(now), { counts: false }) ?? "Kimi Code quota exhausted.";
      return { status: 403, type: "kimi_quota_exhausted", message: messages.quotaExhausted(sentence) };
    }
    // Kimi's own Retry-After: a wait longer than the limit would stall opencode silently (it honours
    // any Retry-After), so it too becomes a final error, even when /usages cannot say why.
    const waitMs = retryAfterMs(response.headers.get("retry-after"), now);
    if (waitMs !== undefined && waitMs > QUOTA_WAIT_LIMIT_MS) {
      keep.delete("retry-after");
      return { status: 403, type: "kimi_wait_required", message: messages.longWait(waitMs / 1000, new Date(now + waitMs), serverMessage) };
    }
    let retryAfter = waitMs !== undefined ? Math.ceil(waitMs / 1000) : Number.NaN;
    if (!Number.isFinite(retryAfter) && resetAt !== undefined && picked?.exhausted) {
      retryAfter = Math.max(1, Math.ceil((resetAt - now) / 1000));
      keep.set("retry-after", String(retryAfter));
    }
    const sentence = windows ? describeQuotaExhaustion(windows, new Date(now)) : undefined;
    return {
      status: 429,
      type: "kimi_rate_limited",
      message: messages.rateLimited(sentence, Number.isFinite(retryAfter) ? retryAfter : undefined, serverMessage),
    };
  }

  return async function kimiFetch(input, init) {
    const url = input instanceof Request ? input.url : String(input);
    let credential: Credential;
    try {
      credential = await deps.keeper.credential();
    } catch (error) {
      if (!isUnder(url, deps.configuredApiBase)) return fetchImpl(input, init);
      return failure(error);
    }
    if (!isUnder(url, credential.apiBase)) {
      // Not Kimi's API (or another region's): our token stays home.
      if (isUnder(url, deps.configuredApiBase)) {
        return failure(new KimiError("wrong-base", messages.wrongBase(credential.apiBase, baseOf(url))));
      }
      return fetchImpl(input, init);
    }
    if (credential.type === "api" && !credential.key.startsWith(API_KEY_PREFIX)) {
      return failure(new KimiError("bad-key", messages.badKey()));
    }

    try {
      const request = input instanceof Request ? input : undefined;
      const baseHeaders = new Headers(request?.headers);
      new Headers(init?.headers).forEach((value, name) => baseHeaders.set(name, value));
      const body = await replayableBody(init?.body !== undefined ? init.body : request?.body);
      const identityHeaders = await deps.identity.headers("chat");
      const send = (c: Credential) =>
        fetchImpl(url, {
          ...init,
          method: init?.method ?? request?.method ?? "GET",
          signal: init?.signal ?? request?.signal ?? null,
          headers: authorize(baseHeaders, c, identityHeaders),
          body: body ?? null,
        });

      const first = await send(credential);
      if (first.status !== 401 || credential.type !== "oauth") return first.ok ? first : explain(first, credential, false);

      await first.body?.cancel().catch(() => {});
      let renewed: Credential;
      try {
        renewed = await deps.keeper.forceRefresh(credential.access);
      } catch (error) {
        return failure(error);
      }
      const second = await send(renewed);
      return second.ok ? second : explain(second, renewed, true);
    } catch (error) {
      if (error instanceof KimiError) return failure(error);
      throw error; // network errors and aborts: opencode's own retry and abort handling applies
    }
  };
}

/** A Retry-After header (seconds or an HTTP date) as milliseconds from now; undefined if absent or invalid. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function failure(error: unknown): Response {
  if (error instanceof KimiError) {
    log("warn", error.message);
    return errorResponse(error.status, error.message, `kimi_${error.kind.replace(/-/g, "_")}`);
  }
  const message = `opencode-kimi-code failed unexpectedly: ${(error as Error)?.message ?? String(error)}`;
  log("error", message);
  return errorResponse(500, message, "kimi_plugin_error");
}
