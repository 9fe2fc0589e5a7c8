// The request path: the `fetch` the auth loader hands to opencode's AI SDK provider.
// Contracts (AGENTS.md): the plugin owns Authorization and sends its token only to the credential's
// own API base; private x-opencode-kimi-* headers never leave; a successful response is returned
// untouched (never read, cloned or buffered: streaming stays streaming); a 401 gets exactly one forced
// refresh and one retry with the same body; 401/402/403/429 answers are reworded to say what happened
// and what to do. Nothing here throws into opencode: failures become error responses.
import { API_KEY_PREFIX, PRIVATE_HEADER_PREFIX } from "../config/constants.ts";
import { errorResponse, KimiError, messages } from "../support/errors.ts";
import { log } from "../support/log.ts";
import type { Credential } from "../tokens/credential.ts";
import { explainError, type ExplainContext } from "./explain.ts";
import type { HeaderSource } from "./identity/profiles.ts";

export interface RequestPathDeps extends ExplainContext {
  keeper: {
    credential(): Promise<Credential>;
    forceRefresh(rejectedAccess: string): Promise<Credential>;
  };
  identity: ExplainContext["identity"] & { headers: HeaderSource };
  /** Where opencode is configured to send this provider's requests. */
  configuredApiBase: string;
  fetch?: typeof fetch;
}

type FetchFn = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

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

/** The outgoing headers: our own Authorization, private headers dropped, the identity's headers set. */
function authorize(headers: Headers, credential: Credential, identityHeaders: Record<string, string>): Headers {
  const h = new Headers(headers);
  h.delete("authorization");
  h.delete("x-api-key");
  for (const name of [...h.keys()]) if (name.startsWith(PRIVATE_HEADER_PREFIX)) h.delete(name);
  for (const [name, value] of Object.entries(identityHeaders)) h.set(name, value);
  h.set("authorization", `Bearer ${credential.type === "oauth" ? credential.access : credential.key}`);
  return h;
}

export function createRequestFetch(deps: RequestPathDeps): FetchFn {
  const fetchImpl = deps.fetch ?? fetch;
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
      if (first.status !== 401 || credential.type !== "oauth") {
        return first.ok ? first : explainError(first, credential, false, deps);
      }

      await first.body?.cancel().catch(() => {});
      let renewed: Credential;
      try {
        renewed = await deps.keeper.forceRefresh(credential.access);
      } catch (error) {
        return failure(error);
      }
      const second = await send(renewed);
      return second.ok ? second : explainError(second, renewed, true, deps);
    } catch (error) {
      if (error instanceof KimiError) return failure(error);
      throw error; // network errors and aborts: opencode's own retry and abort handling applies
    }
  };
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
