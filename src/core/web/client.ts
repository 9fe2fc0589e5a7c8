// Kimi's web services for the tools: POST {base}/search and POST {base}/fetch, with the same token
// handling as chat (the keeper's credential, refreshed when due; one forced refresh and one retry on a
// 401; the token only to the credential's own base) and the active identity's "web" headers. Every
// outcome is text for the model: a call never throws.
//
// Wire (kimi-cli src/kimi_cli/tools/web/search.py:72-89, fetch.py:139-154; kimi-cli-wire.md §2.3, §7):
// search JSON {text_query, limit, enable_page_crawling, timeout_seconds: 30} → {search_results:[…]};
// fetch JSON {url} with `Accept: text/markdown` → the page's main content as the body.
import { API_KEY_PREFIX } from "../config/constants.ts";
import { assertSendable, describe, HttpError, readBody, readTextCapped, safeHost } from "../support/http.ts";
import { log } from "../support/log.ts";
import type { Credential } from "../tokens/credential.ts";
import type { QuotaWindow } from "../usage/usage.ts";
import { retryAfterMs } from "../wire/explain.ts";
import type { CallKind } from "../wire/identity/profiles.ts";
import { cancelled, credentialFailure, httpFailure, isQuotaRefusal, malformedFailure, networkFailure, timeoutFailure, type WebService } from "./failures.ts";
import { formatPage, formatSearch, type SearchHit } from "./output.ts";

/** Server-side time budget kimi-cli asks for (search.py `timeout_seconds`). */
export const SEARCH_SERVER_TIMEOUT_S = 30;
/** The most of a search answer we read (20 hits with page content fit many times over). */
export const SEARCH_READ_MAX_BYTES = 8 * 1024 * 1024;
/** The most of a page we read; the model sees at most OUTPUT_MAX_BYTES of it anyway. */
export const PAGE_READ_MAX_BYTES = 1024 * 1024;
/** Our wait for an answer. kimi-cli waits up to 180 s (search.py:72); a tool call should not sit that long. */
export const WEB_TIMEOUT_MS = 60_000;

export interface WebClientDeps {
  keeper: {
    credential(): Promise<Credential>;
    forceRefresh(rejectedAccess: string): Promise<Credential>;
  };
  identity: {
    name: string;
    description: string;
    profile: { calls: Readonly<Record<CallKind, { toolCallId?: boolean }>> };
    headers(kind: CallKind): Promise<Record<string, string>>;
  };
  /** The quota windows from /usages, to say when a 429 resets; undefined when they cannot be had. */
  quota?: (credential: Credential, signal?: AbortSignal) => Promise<readonly QuotaWindow[] | undefined>;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export interface CallContext {
  /** The model's id for this tool call (kimi-cli sends it as X-Msh-Tool-Call-Id). */
  toolCallId?: string;
  /** opencode's abort signal of the tool call. */
  signal?: AbortSignal;
}

export interface SearchParams {
  query: string;
  limit: number;
  includeContent: boolean;
}

export interface WebOutcome {
  ok: boolean;
  output: string;
}

type Sent = { ok: true; response: Response } | { ok: false; output: string };

export class WebClient {
  constructor(private readonly deps: WebClientDeps) {}

  async search(params: SearchParams, ctx: CallContext = {}): Promise<WebOutcome> {
    const body = {
      text_query: params.query,
      limit: params.limit,
      enable_page_crawling: params.includeContent,
      timeout_seconds: SEARCH_SERVER_TIMEOUT_S,
    };
    const sent = await this.send("search", body, {}, ctx);
    if (!sent.ok) return { ok: false, output: sent.output };
    const read = await this.read(sent.response, SEARCH_READ_MAX_BYTES, "search", ctx);
    if (!read.ok) return read;
    if (read.truncated) return { ok: false, output: malformedFailure("search", `larger than ${SEARCH_READ_MAX_BYTES / 1024 / 1024} MiB`) };
    let json: unknown;
    try {
      json = JSON.parse(read.text);
    } catch {
      return { ok: false, output: malformedFailure("search", "not JSON") };
    }
    const hits = (json as { search_results?: unknown } | null)?.search_results;
    if (!Array.isArray(hits)) return { ok: false, output: malformedFailure("search", "no search_results list") };
    return { ok: true, output: formatSearch(params.query, hits.filter((h): h is SearchHit => !!h && typeof h === "object")) };
  }

  async fetchUrl(url: string, ctx: CallContext = {}): Promise<WebOutcome> {
    const sent = await this.send("fetch", { url }, { accept: "text/markdown" }, ctx);
    if (!sent.ok) return { ok: false, output: sent.output };
    const read = await this.read(sent.response, PAGE_READ_MAX_BYTES, "fetch", ctx);
    if (!read.ok) return read;
    const type = sent.response.headers.get("content-type");
    return { ok: true, output: formatPage(url, read.text, type, read.truncated ? PAGE_READ_MAX_BYTES : undefined) };
  }

  /** A 200 body, read up to a bound. */
  private async read(
    response: Response,
    maxBytes: number,
    service: WebService,
    ctx: CallContext,
  ): Promise<{ ok: true; text: string; truncated: boolean } | { ok: false; output: string }> {
    try {
      return { ok: true, ...(await readTextCapped(response, maxBytes)) };
    } catch (error) {
      return { ok: false, output: ctx.signal?.aborted ? cancelled(service) : networkFailure(service, safeHost(response.url), describe(error)) };
    }
  }

  /** One call with the keeper's credential; a 401 on an OAuth login gets one forced refresh and one retry. */
  private async send(service: WebService, body: unknown, extraHeaders: Record<string, string>, ctx: CallContext): Promise<Sent> {
    if (ctx.signal?.aborted) return { ok: false, output: cancelled(service) };
    let credential: Credential;
    try {
      credential = await this.deps.keeper.credential();
    } catch (error) {
      return { ok: false, output: credentialFailure(service, (error as Error).message) };
    }
    if (credential.type === "api" && !credential.key.startsWith(API_KEY_PREFIX)) {
      return { ok: false, output: credentialFailure(service, `the stored Kimi Code API key does not start with "${API_KEY_PREFIX}".`) };
    }
    const headers = await this.headers(extraHeaders, ctx);
    let first = await this.post(service, credential, headers, body, ctx);
    if (!first.ok || first.response.status !== 401 || credential.type !== "oauth") return this.judge(service, first, credential, false, ctx.signal);
    await first.response.body?.cancel().catch(() => {});
    try {
      credential = await this.deps.keeper.forceRefresh(credential.access);
    } catch (error) {
      return { ok: false, output: credentialFailure(service, (error as Error).message) };
    }
    first = await this.post(service, credential, headers, body, ctx);
    return this.judge(service, first, credential, true, ctx.signal);
  }

  /** The identity's web headers (User-Agent first, as kimi-cli's dict), then ours. */
  private async headers(extra: Record<string, string>, ctx: CallContext): Promise<Record<string, string>> {
    const identityHeaders = await this.deps.identity.headers("web");
    const { "User-Agent": ua, ...msh } = identityHeaders;
    const out: Record<string, string> = ua ? { "User-Agent": ua } : {};
    Object.assign(out, extra);
    if (this.deps.identity.profile.calls.web.toolCallId && ctx.toolCallId) out["X-Msh-Tool-Call-Id"] = ctx.toolCallId;
    return Object.assign(out, msh, { "content-type": "application/json" });
  }

  private async post(
    service: WebService,
    credential: Credential,
    headers: Record<string, string>,
    body: unknown,
    ctx: CallContext,
  ): Promise<Sent> {
    // The URL is built from the credential's own base, so the token never goes anywhere else.
    const url = `${credential.apiBase}/${service}`;
    const timeoutMs = this.deps.timeoutMs ?? WEB_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
    const token = credential.type === "oauth" ? credential.access : credential.key;
    const sendHeaders = { ...headers, authorization: `Bearer ${token}` };
    try {
      assertSendable(sendHeaders, url);
      const response = await (this.deps.fetch ?? fetch)(url, {
        method: "POST",
        headers: sendHeaders,
        body: JSON.stringify(body),
        signal,
        redirect: "manual",
      });
      return { ok: true, response };
    } catch (error) {
      if (error instanceof HttpError && error.kind === "header") return { ok: false, output: credentialFailure(service, `${error.message}.`) };
      if (ctx.signal?.aborted) return { ok: false, output: cancelled(service) };
      if (timeout.aborted) return { ok: false, output: timeoutFailure(service, timeoutMs) };
      return { ok: false, output: networkFailure(service, safeHost(url), describe(error)) };
    }
  }

  /** A 200 passes; anything else becomes its sentence. */
  private async judge(service: WebService, sent: Sent, credential: Credential, retried: boolean, signal?: AbortSignal): Promise<Sent> {
    if (!sent.ok || sent.response.status === 200) return sent;
    const { response } = sent;
    const body = await readBody(response);
    const ctx = { service, identity: this.deps.identity, credentialType: credential.type, retried };
    const extra: Parameters<typeof httpFailure>[3] = {};
    if (response.status === 429) {
      const wait = retryAfterMs(response.headers.get("retry-after"), Date.now());
      if (wait !== undefined) extra.retryAfterSec = Math.ceil(wait / 1000);
    }
    // The window's reset, as chat's answer gives it: /usages, bounded by the runtime's lookup timeout.
    if (response.status === 429 || isQuotaRefusal(response.status, body)) {
      const windows = await this.deps.quota?.(credential, signal).catch(() => undefined);
      if (windows) extra.quota = windows;
    }
    const output = httpFailure(response.status, body, ctx, extra);
    log("warn", `Kimi ${service} answered HTTP ${response.status}`, { message: output });
    return { ok: false, output };
  }
}
