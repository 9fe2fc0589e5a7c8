// Doctor checks that talk to Kimi: a fresh token (refreshed under the plugin's lock), both hosts
// reachable, the clock against the server's Date header, the headers each kind of call sends, and a
// one-token chat sent through the plugin's own request path (core/wire/request.ts), so the verdict on
// a refusal is the plugin's own explanation of it.
import { DEFAULT_MODEL, PLUGIN_USER_AGENT } from "../core/config/constants.ts";
import { oauthHostFor } from "../core/config/options.ts";
import { readModelCache } from "../core/models/model-cache.ts";
import { messages } from "../core/support/errors.ts";
import { headerValueProblem } from "../core/support/header-value.ts";
import { describe } from "../core/support/http.ts";
import type { Credential } from "../core/tokens/credential.ts";
import type { TokenKeeper } from "../core/tokens/keeper.ts";
import { fetchUsage } from "../core/usage/usage.ts";
import type { CallKind } from "../core/wire/identity/profiles.ts";
import { createRequestFetch } from "../core/wire/request.ts";
import type { Check } from "./doctor-local.ts";
import type { Setup } from "./setup.ts";
import { tokenOf } from "./session.ts";
import { redactToken } from "./ui.ts";

const TIMEOUT_MS = 15_000;
/** Date has 1 s resolution and the answer takes a while: below this the clocks agree. */
const SKEW_OK_MS = 30_000;
/** Beyond this, token expiry decisions (a 300 s margin) go wrong. */
const SKEW_FAIL_MS = 300_000;

/** The User-Agent opencode's AI SDK sends for chat under the default identity: Kimi's gate checks its prefix. */
export const opencodeUserAgent = (opencodeVersion: string | undefined) => `opencode/${opencodeVersion ?? "1.18.33"}`;

async function reach(setup: Setup, url: string, headers: Record<string, string>): Promise<{ response?: Response; error?: string }> {
  try {
    const response = await setup.io.fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: "manual" });
    await response.body?.cancel().catch(() => {});
    return { response };
  } catch (error) {
    return { error: describe(error) };
  }
}

/** Both hosts answer at all; the API host is asked with the token when there is one (our own base only). */
export async function hostChecks(setup: Setup, apiBase: string, credential?: Credential): Promise<Check[]> {
  const oauthHost = oauthHostFor(apiBase, setup.options);
  const checks: Check[] = [];
  if (!oauthHost) {
    checks.push({ id: "hosts", level: "fail", text: `no login server is known for logins to ${apiBase}; the token cannot be refreshed`, fix: 'Set "baseURL" and "oauthHost" (KIMI_CODE_BASE_URL, KIMI_CODE_OAUTH_HOST) to that server, or log in again.' });
  }
  const apiHeaders: Record<string, string> = { ...(await setup.identity.headers("api")) };
  if (credential && credential.apiBase === apiBase) apiHeaders.Authorization = `Bearer ${tokenOf(credential)}`;
  let serverDate: string | null = null;
  let sentAt = 0;
  const targets: [string, string, Record<string, string>][] = [["API host", `${apiBase}/models`, apiHeaders]];
  if (oauthHost) targets.unshift(["OAuth host", oauthHost, {}]);
  for (const [label, url, headers] of targets) {
    sentAt = setup.io.now();
    const { response, error } = await reach(setup, url, headers);
    if (!response) {
      checks.push({ id: "hosts", level: "fail", text: `${label} ${url} unreachable: ${error}`, fix: "Check your network, proxy and firewall; with a custom host, check KIMI_CODE_BASE_URL / KIMI_CODE_OAUTH_HOST." });
      continue;
    }
    checks.push({ id: "hosts", level: "ok", text: `${label} ${url} answers (HTTP ${response.status})` });
    serverDate = response.headers.get("date") ?? serverDate;
  }
  if (serverDate) checks.push(clockCheck(serverDate, sentAt, setup.io.now()));
  return checks;
}

export function clockCheck(dateHeader: string, sentAt: number, receivedAt: number): Check {
  const server = Date.parse(dateHeader);
  if (Number.isNaN(server)) return { id: "clock", level: "warn", text: `the server's Date header is unreadable: ${dateHeader}` };
  const local = (sentAt + receivedAt) / 2;
  const skew = local - server;
  const text = `this clock is ${Math.round(Math.abs(skew) / 1000)} s ${skew >= 0 ? "ahead of" : "behind"} Kimi's`;
  if (Math.abs(skew) <= SKEW_OK_MS) return { id: "clock", level: "ok", text };
  const fix = "Turn on network time (e.g. `timedatectl set-ntp true`); a wrong clock makes tokens look fresh when they are expired, or the reverse.";
  return { id: "clock", level: Math.abs(skew) > SKEW_FAIL_MS ? "fail" : "warn", text, fix };
}

/** The exact headers each kind of call carries, tokens redacted. */
export async function headerCheck(setup: Setup, credential: Credential, opencodeVersion: string | undefined): Promise<Check> {
  const bearer = `Bearer ${redactToken(tokenOf(credential))}`;
  const lines: string[] = [];
  /** Identity headers HTTP cannot carry: the request path refuses to send them (outgoing-headers.ts). */
  const unsendable = new Map<string, string>();
  const base: Record<CallKind, Record<string, string>> = {
    chat: { "User-Agent": `${opencodeUserAgent(opencodeVersion)} … (opencode's own)`, "Content-Type": "application/json" },
    api: { Accept: "application/json", "User-Agent": PLUGIN_USER_AGENT },
    usage: { Accept: "application/json", "User-Agent": PLUGIN_USER_AGENT },
    oauth: { "Content-Type": "application/x-www-form-urlencoded" },
    web: { "User-Agent": PLUGIN_USER_AGENT, "Content-Type": "application/json" },
  };
  const titles: Record<CallKind, string> = { chat: "chat (POST /chat/completions)", api: "model list (GET /models)", usage: "usage (GET /usages)", oauth: "OAuth (device login, refresh)", web: "web tools (POST /search, /fetch)" };
  for (const kind of ["chat", "api", "usage", "oauth", "web"] as const) {
    // A plain list, not Headers: the redacted bearer is not a legal header value.
    const headers = new Map<string, [string, string]>();
    const set = (name: string, value: string) => headers.set(name.toLowerCase(), [name, value]);
    for (const [k, v] of Object.entries(base[kind])) set(k, v);
    // The device id identifies this machine to Kimi: shortened, since this output goes into bug reports.
    for (const [k, v] of Object.entries(await setup.identity.headers(kind))) {
      const problem = headerValueProblem(v);
      if (problem) unsendable.set(k, problem);
      set(k, /device-id/i.test(k) ? redactToken(v) : v);
    }
    if (kind !== "oauth") set("Authorization", bearer);
    lines.push(`${titles[kind]}:`);
    for (const [name, value] of headers.values()) lines.push(`  ${name}: ${value}`);
  }
  const [header, problem] = [...unsendable][0] ?? [];
  if (header && problem) {
    // The request path's own message (core/support/errors.ts), which names the device_id file when it is the cause.
    return { id: "headers", level: "fail", text: `headers of the "${setup.identity.name}" identity: ${header} cannot be sent`, fix: messages.invalidIdentityHeader(header, problem, setup.identity.name), lines };
  }
  return { id: "headers", level: "info", text: `headers sent under the "${setup.identity.name}" identity`, lines };
}

/** Short verdicts for the request path's error types (core/wire/explain.ts); others show their type. */
const PROBE_VERDICTS: Record<string, string> = {
  kimi_unauthorized: "the login was rejected",
  kimi_login_required: "the login is no longer valid",
  kimi_membership_expired: "membership expired",
  kimi_client_not_allowed: "this client was refused by Kimi's allowlist",
  kimi_quota_exhausted: "quota used up",
  kimi_rate_limited: "rate limited",
  kimi_wait_required: "Kimi asks to wait",
  kimi_forbidden: "refused",
  kimi_account_blocked: "the account is blocked by Kimi",
  kimi_busy: "Kimi kept answering busy",
  kimi_model_not_found: "the model is not in this plan",
  kimi_wrong_base: "the login belongs to another API base",
  kimi_bad_key: "the stored key is not a Kimi Code key",
  kimi_refresh_unavailable: "the token could not be refreshed",
  kimi_refresh_no_answer: "the login server did not answer the token refresh",
};

export interface ProbeResult {
  check: Check;
  status?: number;
  errorType?: string;
}

export type Route = "openai" | "anthropic";

/** What one probe sends on each of Kimi's two chat routes (README "Two routes"). */
const ROUTES: Record<Route, { path: string; name: string; headers: Record<string, string> }> = {
  openai: { path: "/chat/completions", name: "chat", headers: {} },
  anthropic: { path: "/messages", name: "message on the Anthropic route (/messages)", headers: { "anthropic-version": "2023-06-01" } },
};

/** One chat with max_tokens 1 through the plugin's request path, on one route; the answer classified. */
export async function chatProbe(
  setup: Setup,
  keeper: TokenKeeper,
  credential: Credential,
  opencodeVersion: string | undefined,
  route: Route = "openai",
): Promise<ProbeResult> {
  const r = ROUTES[route];
  const id = route === "openai" ? "chat" : "chat-anthropic";
  const cached = await readModelCache(setup.options.cacheDir, credential.apiBase);
  const model = cached?.models[0]?.id ?? DEFAULT_MODEL.id;
  const requestFetch = createRequestFetch({
    keeper,
    identity: setup.identity,
    configuredApiBase: setup.options.apiBase,
    fetch: setup.io.fetch,
    quota: async (c) => fetchUsage({ apiBase: c.apiBase, token: tokenOf(c), headers: await setup.identity.headers("usage"), fetch: setup.io.fetch, timeoutMs: 5_000 }),
  });
  let response: Response;
  try {
    response = await requestFetch(`${credential.apiBase}${r.path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": opencodeUserAgent(opencodeVersion), ...r.headers },
      body: JSON.stringify({ model, max_tokens: 1, stream: false, messages: [{ role: "user", content: "Reply with one word." }] }),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    return { check: { id, level: "fail", text: `network: the ${r.name} request did not get an answer (${describe(error)})`, fix: "Check your network connection; then try again." } };
  }
  if (response.ok) {
    await response.body?.cancel().catch(() => {});
    return { status: response.status, check: { id, level: "ok", text: `a one-token ${r.name} with ${model} was answered (HTTP ${response.status}) as ${setup.identity.description}` } };
  }
  let message = "";
  let type = "";
  try {
    const body = (await response.json()) as { error?: { message?: unknown; type?: unknown } };
    message = typeof body.error?.message === "string" ? body.error.message : "";
    type = typeof body.error?.type === "string" ? body.error.type : "";
  } catch {
    // not our JSON error: the status alone has to do
  }
  const what = PROBE_VERDICTS[type] ?? (type ? `refused (${type})` : "refused");
  const text = `a one-token ${r.name} with ${model}: ${what} (HTTP ${response.status}${type ? ` ${type}` : ""})`;
  return { status: response.status, errorType: type, check: { id, level: "fail", text, fix: message || `Kimi Code answered HTTP ${response.status}.` } };
}
