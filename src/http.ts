// The plugin's own HTTP calls (OAuth, /models, /usages): a timeout, and errors that say what failed.

export type CallKind = "chat" | "oauth" | "api";
/** Headers the active identity profile puts on a call of this kind (src/identity.ts). */
export type HeaderSource = (kind: CallKind) => Promise<Record<string, string>>;

export class HttpError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly body: unknown,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** fetch with a timeout; network failures and timeouts become HttpError with status undefined. */
export async function fetchWithTimeout(
  fetchImpl: typeof fetch,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<Response> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    return await fetchImpl(url, { ...init, signal, redirect: "manual" });
  } catch (error) {
    const host = safeHost(url);
    if (signal.aborted) throw new HttpError(`${host} did not answer within ${Math.round(timeoutMs / 1000)} s`, undefined, undefined);
    throw new HttpError(`could not reach ${host}: ${describe(error)}`, undefined, undefined);
  }
}

/** Reads a body as JSON when it is JSON, else as text (for error messages); never throws. */
export async function readBody(response: Response): Promise<unknown> {
  let text = "";
  try {
    text = await response.text();
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error && cause.message && !error.message.includes(cause.message)
      ? `${error.message} (${cause.message})`
      : error.message;
  }
  return String(error);
}

/** The `error` / `error_description` pair of an OAuth error body (RFC 6749 §5.2). */
export function oauthError(body: unknown): { error?: string; description?: string } {
  if (!body || typeof body !== "object") return {};
  const b = body as Record<string, unknown>;
  return {
    ...(typeof b.error === "string" ? { error: b.error } : {}),
    ...(typeof b.error_description === "string" ? { description: b.error_description } : {}),
  };
}
