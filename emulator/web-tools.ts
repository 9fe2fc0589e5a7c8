// The two web services of a Kimi Code plan: POST /coding/v1/search and POST /coding/v1/fetch, with
// deterministic answers. Wire (kimi-cli src/kimi_cli/tools/web/search.py, fetch.py; kimi-code
// packages/agent-core-v2/src/app/auth/webSearch/providers/moonshot-web-search.ts,
// src/app/web/providers/moonshot-fetch-url.ts):
// - search: JSON {text_query, limit?, enable_page_crawling?, timeout_seconds?} →
//   {"search_results":[{site_name,title,url,snippet,content,date,icon,mime}]}
// - fetch: JSON {url}, `Accept: text/markdown` → the page's main content as the body (not JSON).
// Checks in order: bearer (401), optional client gate or account refusal (403/429), membership (402),
// body (400), quota (chat's answer: Kimi's rows, 429 for the 5-hour window, 403 for weekly/monthly).
import { createHash } from "node:crypto";
import { apiError, isObject, send, sendJson, tryJson, type RouteContext } from "./http.ts";
import { accountRefusal, quotaRefusal, refusalFor, type Refusal } from "./chat-limits.ts";
import { API_PREFIX, MEMBERSHIP_MESSAGE, authenticate, passesGate } from "./coding-api.ts";
import type { SearchQuery, SearchResult } from "./web-scripts.ts";

export const SEARCH_PATH = `${API_PREFIX}/search`;
export const FETCH_PATH = `${API_PREFIX}/fetch`;

/** Results when Kimi is not told how many (the emulator's choice; kimi-cli always sends `limit`, default 5). */
export const DEFAULT_SEARCH_LIMIT = 5;
/** The most results the emulator returns, whatever `limit` asks (kimi-cli's own bound: search.py `le=20`). */
export const MAX_SEARCH_LIMIT = 20;

/** True when this request is for one of the web services (index.ts routes it here). */
export function isWebToolRequest(method: string, path: string): boolean {
  return method === "POST" && (path === SEARCH_PATH || path === FETCH_PATH);
}

export function handleWebTool(ctx: RouteContext): void {
  const { state, request, res } = ctx;
  const kind = request.path === SEARCH_PATH ? "search" : "fetch";
  const opts = state.options;
  const bearer = authenticate(ctx);
  if (bearer === undefined) return;
  const gated = opts.webToolsGated && !passesGate(request.headers, opts.allowedUserAgentPrefixes, opts.allowedPlatforms);
  const refused = (gated && refusalFor("client-gate")) || accountRefusal(opts);
  if (refused) return refuse(ctx, refused);
  if (opts.membershipExpired || opts.expiredMembershipKeys.includes(bearer)) {
    return sendJson(res, 402, apiError(MEMBERSHIP_MESSAGE, "membership_expired_error"));
  }
  const body = tryJson(request.rawBody);
  if (!isObject(body)) return sendJson(res, 400, apiError("Invalid request: body must be a JSON object.", "invalid_request_error"));
  // The same windows as chat: a spent plan refuses its web services too, answered as chat's (emulator's assumption).
  const quota = quotaRefusal(opts, state.usage());
  if (quota) return refuse(ctx, quota);
  if (kind === "search") return search(ctx, body);
  return fetchPage(ctx, body);
}

function search(ctx: RouteContext, body: Record<string, unknown>): void {
  const query = typeof body.text_query === "string" ? body.text_query.trim() : "";
  if (!query) return sendJson(ctx.res, 400, apiError("Invalid request: text_query is required.", "invalid_request_error"));
  const limit =
    typeof body.limit === "number" && Number.isInteger(body.limit) && body.limit > 0
      ? Math.min(body.limit, MAX_SEARCH_LIMIT)
      : DEFAULT_SEARCH_LIMIT;
  const view: SearchQuery = { query, limit, crawl: body.enable_page_crawling === true };
  const results = ctx.state.web.searchResults(view) ?? defaultSearchResults(view);
  sendJson(ctx.res, 200, { search_results: results.slice(0, limit) });
}

function fetchPage(ctx: RouteContext, body: Record<string, unknown>): void {
  const url = typeof body.url === "string" ? body.url.trim() : "";
  if (!url) return sendJson(ctx.res, 400, apiError("Invalid request: url is required.", "invalid_request_error"));
  const page = ctx.state.web.fetchedPage(url) ?? {};
  const status = page.status ?? 200;
  const text = page.body ?? (status === 200 ? defaultPage(url) : "");
  send(ctx.res, status, text, { "content-type": page.contentType ?? "text/markdown; charset=utf-8" });
}

function refuse(ctx: RouteContext, r: Refusal): void {
  sendJson(ctx.res, r.status, r.body, r.headers);
}

/** Deterministic hits for a query: the same query always gives the same results. */
export function defaultSearchResults(q: SearchQuery): SearchResult[] {
  const slug = createHash("sha256").update(q.query).digest("hex").slice(0, 8);
  return Array.from({ length: q.limit }, (_, i) => {
    const n = i + 1;
    return {
      site_name: "Emulator Search",
      title: `Result ${n} for ${q.query}`,
      url: `https://search.example/${slug}/${n}`,
      snippet: `Snippet ${n} of the Kimi Code emulator about ${q.query}.`,
      content: q.crawl ? `Page ${n} about ${q.query}: the full text the emulator crawled.` : "",
      date: `2026-01-${String(n).padStart(2, "0")}`,
      icon: "",
      mime: "text/html",
    };
  });
}

/** Deterministic markdown for a URL. */
export function defaultPage(url: string): string {
  return `# Page at ${url}\n\nThe Kimi Code emulator fetched ${url}. This is its main content.\n`;
}
