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
import { tokenProblem } from "../support/header-value.ts";
import { log, redact } from "../support/log.ts";
import type { Credential } from "../tokens/credential.ts";
import { BusyStreak } from "./busy-streak.ts";
import { explainError, type ExplainContext } from "./explain.ts";
import type { HeaderSource } from "./identity/profiles.ts";
import { preparedHeaders, withCredential } from "./outgoing-headers.ts";
import { baseOf, messagesRoute, under } from "./route.ts";

export { isMessagesRoute, isUnder } from "./route.ts";

export interface RequestPathDeps extends ExplainContext {
  keeper: {
    /** Both reject with the signal's reason as soon as it aborts (the refresh itself goes on). */
    credential(signal?: AbortSignal | null): Promise<Credential>;
    forceRefresh(rejectedAccess: string, signal?: AbortSignal | null): Promise<Credential>;
    /** The credential when it is fit to use now without any wait (TokenKeeper.ready), else undefined. */
    ready?(): Credential | undefined;
  };
  identity: ExplainContext["identity"] & { headers: HeaderSource };
  /** Where opencode is configured to send this provider's requests. */
  configuredApiBase: string;
  fetch?: typeof fetch;
}

type FetchFn = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/** A body that can be sent twice: strings and bytes as they are, a stream buffered once. */
function replayableBody(body: BodyInit | null | undefined): BodyInit | null | undefined | Promise<Uint8Array<ArrayBuffer>> {
  if (body instanceof ReadableStream) return new Response(body).arrayBuffer().then((b) => new Uint8Array(b));
  return body;
}

const tokenOf = (c: Credential) => (c.type === "oauth" ? c.access : c.key);

/**
 * Why `credential` must not be sent to `url` (contract 12: only under its own API base; a token HTTP
 * cannot carry; a key that is not a Kimi Code key), or undefined. Checked before every send, the
 * 401 retry's renewed (possibly adopted) credential included.
 */
function refusal(url: string, credential: Credential): KimiError | undefined {
  if (!under(url, credential.apiBase)) {
    return new KimiError("wrong-base", messages.wrongBase(credential.apiBase, baseOf(url)));
  }
  let verdict = credentialVerdicts.get(credential);
  if (verdict === undefined) credentialVerdicts.set(credential, (verdict = credentialRefusal(credential) ?? null));
  return verdict ?? undefined;
}

/** A credential's own fitness, decided once per credential object (they are replaced, never changed). */
const credentialVerdicts = new WeakMap<Credential, KimiError | null>();
function credentialRefusal(credential: Credential): KimiError | undefined {
  const problem = tokenProblem(tokenOf(credential));
  if (problem) return new KimiError("bad-credential", messages.invalidCredential(credential.type, problem));
  if (credential.type === "api" && !credential.key.startsWith(API_KEY_PREFIX)) {
    return new KimiError("bad-key", messages.badKey());
  }
  return undefined;
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
  const answer = (url: string, response: Response, credential: Credential, retried: boolean, signal: AbortSignal | null): Response | Promise<Response> => {
    if (!response.ok) return explainError(response, credential, retried, signal ? { ...ctx, signal } : ctx, messagesRoute(url));
    ctx.busy?.end();
    return response;
  };
  return async function kimiFetch(input, init) {
    const url = input instanceof Request ? input.url : String(input);
    const signal = init?.signal ?? (input instanceof Request ? input.signal : null);
    if (signal?.aborted) throw signal.reason; // an abort rejects, as fetch does
    let credential: Credential | undefined = deps.keeper.ready?.();
    if (!credential) {
      try {
        credential = await deps.keeper.credential(signal);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (!under(url, deps.configuredApiBase)) return passThrough(fetchImpl, input, init);
        return failure(error);
      }
    }
    // Not Kimi's API (nor the configured base): pass as made, our token stays home.
    if (!under(url, credential.apiBase) && !under(url, deps.configuredApiBase)) return passThrough(fetchImpl, input, init);
    const refused = refusal(url, credential);
    if (refused) return failure(refused);

    let secrets = [tokenOf(credential)];
    try {
      const send = await sender(url, input, init, deps, fetchImpl);
      const first = await send(credential);
      if (first.status !== 401 || credential.type !== "oauth") return answer(url, first, credential, false, signal);

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
      return answer(url, second, renewed, true, signal);
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
  const body = await replayableBody(init?.body !== undefined ? init.body : request?.body);
  const prepared = preparedHeaders(request, init, await deps.identity.headers("chat"), deps.identity.name);
  const onMessagesRoute = messagesRoute(url);
  let sent = 0;
  return async (c) => {
    // The first send takes the prepared headers, a retry a copy (a sent request's headers stay as sent).
    const headers = withCredential(sent++ === 0 ? prepared : new Headers(prepared), c, onMessagesRoute);
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
