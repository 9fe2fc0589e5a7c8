// The request path: the `fetch` the auth loader hands to opencode's AI SDK provider.
// Contracts (AGENTS.md): the plugin owns Authorization and sends its token only to the credential's
// own API base; private x-opencode-kimi-* headers never leave; a successful response is returned
// untouched (never read, cloned or buffered: streaming stays streaming); a 401 gets exactly one forced
// refresh and one retry with the same body; Kimi's 401/402/403/404/429 answers are reworded to say
// what happened, what to do and whether opencode retries (explain.ts, from the table in
// kimi-errors.ts); every other answer is returned untouched. Nothing here throws into opencode:
// failures become error responses.
import { API_KEY_PREFIX, PRIVATE_HEADER_PREFIX } from "../config/constants.ts";
import { errorResponse, KimiError, messages } from "../support/errors.ts";
import { HeaderValueError, setHeader, tokenProblem } from "../support/header-value.ts";
import { log, redact } from "../support/log.ts";
import type { Credential } from "../tokens/credential.ts";
import { BusyStreak } from "./busy-streak.ts";
import { explainError, type ExplainContext } from "./explain.ts";
import type { HeaderSource } from "./identity/profiles.ts";

export interface RequestPathDeps extends ExplainContext {
  keeper: {
    /** Both reject with the signal's reason as soon as it aborts (the refresh itself goes on). */
    credential(signal?: AbortSignal | null): Promise<Credential>;
    forceRefresh(rejectedAccess: string, signal?: AbortSignal | null): Promise<Credential>;
  };
  identity: ExplainContext["identity"] & { headers: HeaderSource };
  /** Where opencode is configured to send this provider's requests. */
  configuredApiBase: string;
  fetch?: typeof fetch;
}

type FetchFn = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/** Path segments of a parsed URL, dot segments already resolved by the URL parser, no empty tail. */
function segments(u: URL): string[] {
  const parts = u.pathname.split("/");
  while (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}

/**
 * True when `url` lies under `base`: same origin (scheme, host, port as the URL parser normalises them)
 * and the base's path segments are a prefix of the URL's after dot-segment resolution, so
 * `<base>/../x`, `<base>x`, `<base>.evil.com` and `user@host` look-alikes are not under it.
 */
export function isUnder(url: string, base: string): boolean {
  let u: URL;
  let b: URL;
  try {
    u = new URL(url);
    b = new URL(base);
  } catch {
    return false;
  }
  if (u.origin !== b.origin || u.origin === "null" || u.username || u.password) return false;
  const us = segments(u);
  const bs = segments(b);
  return bs.length <= us.length && bs.every((part, i) => us[i] === part);
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

const tokenOf = (c: Credential) => (c.type === "oauth" ? c.access : c.key);

/**
 * Why `credential` must not be sent to `url` (contract 12: only under its own API base; a token HTTP
 * cannot carry; a key that is not a Kimi Code key), or undefined. Checked before every send, the
 * 401 retry's renewed (possibly adopted) credential included.
 */
function refusal(url: string, credential: Credential): KimiError | undefined {
  if (!isUnder(url, credential.apiBase)) {
    return new KimiError("wrong-base", messages.wrongBase(credential.apiBase, baseOf(url)));
  }
  const problem = tokenProblem(tokenOf(credential));
  if (problem) return new KimiError("bad-credential", messages.invalidCredential(credential.type, problem));
  if (credential.type === "api" && !credential.key.startsWith(API_KEY_PREFIX)) {
    return new KimiError("bad-key", messages.badKey());
  }
  return undefined;
}

/** Kimi's Anthropic-compatible route: POST {base}/messages (@ai-sdk/anthropic appends "/messages"). */
export function isMessagesRoute(url: string): boolean {
  try {
    return new URL(url).pathname.replace(/\/+$/, "").endsWith("/messages");
  } catch {
    return false;
  }
}

/**
 * The outgoing headers: our own credential (whatever the SDK put in `authorization` / `x-api-key`, e.g.
 * @ai-sdk/anthropic's empty `x-api-key`, is dropped), private headers dropped, the identity's headers
 * set. The credential goes as a bearer, except an API key on the /messages route, which goes in
 * `x-api-key` as Kimi documents for that route (Claude Code's ANTHROPIC_API_KEY; kimi-code 2.1.0's own
 * Anthropic client does the same); an OAuth token on /messages stays a bearer
 * (OpenProjectX/opencode-kimi-auth docs/kimi-oauth-evaluation.md §8).
 * Throws KimiError (never Headers' TypeError, which quotes the value) when a value cannot be carried.
 */
function authorize(
  headers: Headers,
  credential: Credential,
  identityHeaders: Record<string, string>,
  identityName: string,
  messagesRoute = false,
): Headers {
  const h = new Headers(headers);
  h.delete("authorization");
  h.delete("x-api-key");
  for (const name of [...h.keys()]) if (name.startsWith(PRIVATE_HEADER_PREFIX)) h.delete(name);
  try {
    for (const [name, value] of Object.entries(identityHeaders)) setHeader(h, name, value);
  } catch (error) {
    if (!(error instanceof HeaderValueError)) throw error;
    throw new KimiError("bad-header", messages.invalidIdentityHeader(error.header, error.problem, identityName));
  }
  try {
    if (credential.type === "api" && messagesRoute) setHeader(h, "x-api-key", credential.key);
    else setHeader(h, "authorization", `Bearer ${tokenOf(credential)}`);
  } catch (error) {
    if (!(error instanceof HeaderValueError)) throw error;
    throw new KimiError("bad-credential", messages.invalidCredential(credential.type, error.problem));
  }
  return h;
}

/** A redirect is never followed (the runtime's rules would decide where headers and body go): a clear final error. */
function redirectRefusal(response: Response): KimiError {
  const location = response.headers.get("location") ?? "";
  let target = "";
  try {
    target = location ? new URL(location, response.url || undefined).host : "";
  } catch {
    target = "";
  }
  void response.body?.cancel().catch(() => {});
  return new KimiError("redirect", messages.redirected(response.status, target));
}

/**
 * A request that is not for the credential's base goes as the caller made it, except that private
 * headers never leave (contract 12). Only when one is present is the request rebuilt as fetch would
 * build it and sent without them (not by replacing `init.headers`: bun keeps a Request's own headers
 * when init's are empty). What fetch itself would reject is left for fetch to reject.
 */
function passThrough(fetchImpl: FetchFn, input: RequestInfo | URL, init: RequestInit | undefined): Promise<Response> {
  const isPrivate = (name: string) => name.startsWith(PRIVATE_HEADER_PREFIX);
  let request: Request;
  try {
    const own = input instanceof Request ? [...input.headers.keys()] : [];
    if (![...own, ...new Headers(init?.headers).keys()].some(isPrivate)) return fetchImpl(input, init);
    request = new Request(input, init);
  } catch {
    return fetchImpl(input, init);
  }
  for (const name of [...request.headers.keys()].filter(isPrivate)) request.headers.delete(name);
  return fetchImpl(request);
}

const isRedirect = (r: Response) => r.type === "opaqueredirect" || (r.status >= 300 && r.status < 400);

export function createRequestFetch(deps: RequestPathDeps): FetchFn {
  const fetchImpl = deps.fetch ?? fetch;
  const ctx: ExplainContext = { ...deps, busy: deps.busy ?? new BusyStreak() };
  const answer = (url: string, response: Response, credential: Credential, retried: boolean): Response | Promise<Response> => {
    if (!response.ok) return explainError(response, credential, retried, ctx, isMessagesRoute(url));
    ctx.busy?.end();
    return response;
  };
  return async function kimiFetch(input, init) {
    const url = input instanceof Request ? input.url : String(input);
    const signal = init?.signal ?? (input instanceof Request ? input.signal : null);
    let credential: Credential;
    try {
      credential = await deps.keeper.credential(signal);
    } catch (error) {
      if (signal?.aborted) throw signal.reason; // an abort rejects, as fetch does
      if (!isUnder(url, deps.configuredApiBase)) return passThrough(fetchImpl, input, init);
      return failure(error);
    }
    // Not Kimi's API (nor the configured base): pass as made, our token stays home.
    if (!isUnder(url, credential.apiBase) && !isUnder(url, deps.configuredApiBase)) return passThrough(fetchImpl, input, init);
    const refused = refusal(url, credential);
    if (refused) return failure(refused);

    let secrets = [tokenOf(credential)];
    try {
      const send = await sender(url, input, init, deps, fetchImpl);
      const first = await send(credential);
      if (first.status !== 401 || credential.type !== "oauth") return answer(url, first, credential, false);

      await first.body?.cancel().catch(() => {});
      let renewed: Credential;
      try {
        renewed = await deps.keeper.forceRefresh(credential.access, signal);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        return failure(error);
      }
      // Contract 12 on the retry too: the renewed credential may be adopted from the store, for another base.
      const refusedAgain = refusal(url, renewed);
      if (refusedAgain) return failure(refusedAgain);
      secrets = [...secrets, tokenOf(renewed)];
      const second = await send(renewed);
      return answer(url, second, renewed, true);
    } catch (error) {
      // Network errors and aborts reject, as fetch does, so opencode's own retry and abort handling
      // applies; every other failure (the plugin's own) becomes an error response.
      if (error instanceof FetchRejection) throw withoutSecrets(error.cause, secrets);
      if (error instanceof Error && error.name === "AbortError") throw withoutSecrets(error, secrets);
      return failure(withoutSecrets(error, secrets));
    }
  };
}

/**
 * Sends the request as opencode made it (a stream body buffered once, so the 401 retry can repeat it)
 * with a credential's Authorization and the identity's headers. Never follows a redirect.
 */
async function sender(
  url: string,
  input: RequestInfo | URL,
  init: RequestInit | undefined,
  deps: RequestPathDeps,
  fetchImpl: FetchFn,
): Promise<(c: Credential) => Promise<Response>> {
  const request = input instanceof Request ? input : undefined;
  const baseHeaders = new Headers(request?.headers);
  new Headers(init?.headers).forEach((value, name) => baseHeaders.set(name, value));
  const body = await replayableBody(init?.body !== undefined ? init.body : request?.body);
  const identityHeaders = await deps.identity.headers("chat");
  return async (c) => {
    const headers = authorize(baseHeaders, c, identityHeaders, deps.identity.name, isMessagesRoute(url));
    let response: Response;
    try {
      response = await fetchImpl(url, {
        ...init,
        method: init?.method ?? request?.method ?? "GET",
        signal: init?.signal ?? request?.signal ?? null,
        headers,
        body: body ?? null,
        redirect: "manual",
      });
    } catch (error) {
      throw new FetchRejection(error);
    }
    if (isRedirect(response)) throw redirectRefusal(response);
    return response;
  };
}

/** What fetch itself rejected with (network failure, abort), told apart from the plugin's own failures. */
class FetchRejection {
  constructor(readonly cause: unknown) {}
}

/**
 * The error as it is, unless its message quotes a token (a runtime may quote request headers): then a
 * copy of the same name whose message has the token masked, so opencode's retry and abort handling
 * (which look at the name and message) work the same.
 */
function withoutSecrets(error: unknown, secrets: readonly string[]): unknown {
  if (!(error instanceof Error)) return error;
  const leaked = secrets.filter((s) => s.length >= 4 && (error.message.includes(s) || String(error.stack ?? "").includes(s)));
  if (leaked.length === 0) return error;
  let message = error.message;
  for (const s of leaked) message = message.split(s).join("[redacted]");
  const copy = new Error(message);
  copy.name = error.name;
  return copy;
}

function failure(error: unknown): Response {
  if (error instanceof KimiError) {
    log("warn", error.message);
    return errorResponse(error.status, error.message, `kimi_${error.kind.replace(/-/g, "_")}`);
  }
  // A final error with a next step: a 500 would make opencode retry it silently for a minute.
  log("error", "opencode-kimi-code failed unexpectedly", { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  return failure(new KimiError("plugin-error", messages.pluginError(redact(error instanceof Error ? error.message : String(error)))));
}
