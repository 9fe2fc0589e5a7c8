// The outgoing headers of a request to Kimi: the caller's, cleaned of credentials and private headers,
// with the identity's headers, then the credential. Only request.ts uses this.
import { PRIVATE_HEADER_PREFIX } from "../config/constants.ts";
import { KimiError, messages } from "../support/errors.ts";
import { HeaderValueError, setHeader } from "../support/header-value.ts";
import type { Credential } from "../tokens/credential.ts";

/**
 * The outgoing headers without the credential: the caller's (init's if given, else a Request's), with
 * whatever the SDK put in `authorization` / `x-api-key` (e.g. @ai-sdk/anthropic's empty `x-api-key`)
 * and every private header dropped, and the identity's headers set. Built once per request.
 * Throws KimiError (never Headers' TypeError, which quotes the value) when a value cannot be carried.
 */
export function preparedHeaders(
  request: Request | undefined,
  init: RequestInit | undefined,
  identityHeaders: Record<string, string>,
  identityName: string,
): Headers {
  // As fetch(request, init) does (bun 1.4.5, checked): init's headers, even empty ones, replace the Request's.
  const h = new Headers(init?.headers !== undefined ? init.headers : request?.headers);
  h.delete("authorization");
  h.delete("x-api-key");
  if (mayHavePrivate(request, init?.headers)) {
    for (const name of [...h.keys()]) if (name.startsWith(PRIVATE_HEADER_PREFIX)) h.delete(name);
  }
  try {
    for (const [name, value] of Object.entries(identityHeaders)) setHeader(h, name, value);
  } catch (error) {
    if (!(error instanceof HeaderValueError)) throw error;
    throw new KimiError("bad-header", messages.invalidIdentityHeader(error.header, error.problem, identityName));
  }
  return h;
}

/** False only when the caller's headers are a plain object whose names show no private header. */
function mayHavePrivate(request: Request | undefined, headers: HeadersInit | undefined): boolean {
  if (request || headers instanceof Headers || Array.isArray(headers)) return true;
  for (const name in headers) if (name.toLowerCase().startsWith(PRIVATE_HEADER_PREFIX)) return true;
  return false;
}

/**
 * Sets the credential: a bearer, except an API key on the /messages route, which goes in `x-api-key`
 * as Kimi documents for that route (Claude Code's ANTHROPIC_API_KEY; kimi-code 2.1.0's own Anthropic
 * client does the same); an OAuth token on /messages stays a bearer
 * (OpenProjectX/opencode-kimi-auth docs/kimi-oauth-evaluation.md §8). The token passed refusal()'s
 * check (visible ASCII only), so Headers accepts it.
 */
export function withCredential(h: Headers, credential: Credential, onMessagesRoute: boolean): Headers {
  if (credential.type === "api" && onMessagesRoute) h.set("x-api-key", credential.key);
  else h.set("authorization", `Bearer ${(credential.type === "oauth" ? credential.access : credential.key)}`);
  return h;
}
