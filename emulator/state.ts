// Everything a test can read or steer: recorded requests, device logins, tokens, scripted replies,
// injected faults, quota and runtime options. Route handlers use the same object.
import { ParallelChats } from "./chat-limits.ts";
import { DeviceLoginStore, type DeviceLogin } from "./device-logins.ts";
import { CHAT_COMPLETIONS_PATH, kimiError, type KimiErrorId } from "./kimi-errors.ts";
import type { ChatDecision, Fault, HostKind, RecordedRequest } from "./records.ts";
import { resolveOptions, type EmulatorOptions, type ResolvedOptions } from "./options.ts";
import { PrefixCache } from "./prompt-cache.ts";
import { QuotaMeter, type UsageSnapshot } from "./quota.ts";
import { TokenStore, type TokenPair } from "./tokens.ts";
import { noteSecrets } from "./secrets-log.ts";
import { WebScripts } from "./web-scripts.ts";


export interface ScriptedReply {
  /** Answer text; defaults to DEFAULT_REPLY_TEXT unless a tool call is emitted. */
  text?: string;
  /** Reasoning text; sent only when thinking is on. Defaults to DEFAULT_REASONING_TEXT. */
  reasoning?: string;
  /** Emitted only when the request offers `tools`. */
  toolCall?: { name: string; arguments: string | Record<string, unknown>; id?: string };
}

export interface ChatRequestView {
  model: string;
  messages: unknown[];
  tools: unknown[];
  thinking: boolean;
  effort: string | undefined;
  stream: boolean;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

export type ReplyScript = ScriptedReply | ((request: ChatRequestView) => ScriptedReply | undefined);

export const DEFAULT_REPLY_TEXT = "Hello from the Kimi Code emulator.";
export const DEFAULT_REASONING_TEXT = "The user wants a short answer. I will reply briefly.";

export const HTML_ERROR_PAGE =
  "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>";

export class EmulatorState {
  private opts: ResolvedOptions;
  private readonly recorded: RecordedRequest[] = [];
  private readonly faults: (Fault & { remaining: number })[] = [];
  private reply: ReplyScript | null = null;
  private readonly chatLog: ChatDecision[] = [];

  readonly tokens = new TokenStore();
  readonly deviceLogins = new DeviceLoginStore();
  readonly quota = new QuotaMeter();
  readonly promptCache = new PrefixCache();
  /** Scripted /search results and /fetch pages (web-scripts.ts). */
  readonly web = new WebScripts();
  /** Chats being answered now (Kimi's concurrency limit, `parallelLimit`). */
  readonly parallelChats = new ParallelChats();
  /** Filled in by startEmulator once both listeners are bound. */
  oauthHost = "";
  apiBase = "";

  constructor(options: ResolvedOptions) {
    this.opts = options;
    noteSecrets("api_key", ...options.apiKeys);
  }

  // --- options ---

  get options(): Readonly<ResolvedOptions> {
    return this.opts;
  }

  /** Changes options at runtime; takes effect for the next request. Ports cannot change. */
  configure(patch: EmulatorOptions): void {
    this.opts = resolveOptions(this.opts, patch);
    noteSecrets("api_key", ...(patch.apiKeys ?? []));
  }

  // --- recorded requests ---

  get requests(): readonly RecordedRequest[] {
    return this.recorded;
  }

  requestsTo(path: string, host?: HostKind): RecordedRequest[] {
    return this.recorded.filter((r) => r.path === path && (host === undefined || r.host === host));
  }

  clearRequests(): void {
    this.recorded.length = 0;
  }

  /** @internal */
  record(request: RecordedRequest): void {
    this.recorded.push(request);
  }

  // --- device logins ---

  get logins(): readonly DeviceLogin[] {
    return this.deviceLogins.all();
  }

  pendingLogins(): DeviceLogin[] {
    return this.deviceLogins.all().filter((l) => this.deviceLogins.currentStatus(l) === "pending");
  }

  /** Approves the login with that user code, or the newest pending one. Throws if none. */
  approve(userCode?: string): DeviceLogin {
    return this.settle(userCode, "approved");
  }

  deny(userCode?: string): DeviceLogin {
    return this.settle(userCode, "denied");
  }

  expire(userCode?: string): DeviceLogin {
    return this.settle(userCode, "expired");
  }

  private settle(userCode: string | undefined, status: "approved" | "denied" | "expired"): DeviceLogin {
    const login = this.deviceLogins.pick(userCode);
    if (this.deviceLogins.currentStatus(login) !== "pending") throw new Error(`device login ${login.userCode} is ${login.status}`);
    login.status = status;
    return login;
  }

  // --- tokens ---

  get refreshCount(): number {
    return this.tokens.refreshCount;
  }

  /** A valid token pair without the device flow. */
  mintTokens(opts: { lifetimeSec?: number } = {}): TokenPair {
    return this.tokens.issue(this.issueOptions(opts.lifetimeSec));
  }

  /** @internal */
  issueOptions(lifetimeSec?: number, clientId?: string) {
    return {
      lifetimeSec: lifetimeSec ?? this.opts.accessTokenLifetimeSec,
      refreshLifetimeSec: this.opts.refreshTokenLifetimeSec,
      sub: this.opts.userId,
      region: this.opts.region,
      clockOffsetSec: this.opts.clockOffsetSec,
      ...(clientId ? { clientId } : {}),
    };
  }

  /** Every access and refresh token issued so far stops working. API keys are unaffected. */
  revokeAll(): void {
    this.tokens.revokeAll();
  }

  revokeAccessToken(token: string): void {
    this.tokens.revokeAccessToken(token);
  }

  // --- chat replies ---

  /** Scripts the reply of every following chat request; null restores the default reply. */
  setReply(script: ReplyScript | null): void {
    this.reply = script;
  }

  /** @internal */
  scriptedReply(view: ChatRequestView): ScriptedReply {
    const r = typeof this.reply === "function" ? this.reply(view) : this.reply;
    return r ?? {};
  }

  /** @internal */
  recordChat(decision: ChatDecision): void {
    this.chatLog.push(decision);
  }

  get chats(): readonly ChatDecision[] {
    return this.chatLog;
  }

  get lastChat(): ChatDecision | undefined {
    return this.chatLog.at(-1);
  }

  // --- faults ---

  injectFault(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.count ?? 1 });
  }

  /** The next `count` requests to `path` answer an HTML error page. */
  injectHtmlError(path: string, opts: { status?: number; count?: number } = {}): void {
    this.injectFault({
      path,
      count: opts.count ?? 1,
      status: opts.status ?? 502,
      body: HTML_ERROR_PAGE,
      headers: { "content-type": "text/html; charset=utf-8" },
    });
  }

  /** The next `count` requests to `path` answer 200 with a truncated JSON body. */
  injectMalformedJson(path: string, opts: { status?: number; count?: number } = {}): void {
    this.injectFault({
      path,
      count: opts.count ?? 1,
      status: opts.status ?? 200,
      body: '{"object":"list","data":[{"id":',
      headers: { "content-type": "application/json" },
    });
  }

  /**
   * The next `count` (default 1) chat requests answer with that row of Kimi's error table
   * (kimi-errors.ts), exactly as live Kimi sends it. `path` picks another route (default
   * /coding/v1/chat/completions).
   */
  failNextChat(id: KimiErrorId, opts: { count?: number; path?: string; headers?: Record<string, string> } = {}): void {
    const { status, type, message } = kimiError(id);
    this.injectFault({
      path: opts.path ?? CHAT_COMPLETIONS_PATH,
      method: "POST",
      count: opts.count ?? 1,
      status,
      body: { error: { message, type } },
      headers: { "content-type": "application/json; charset=utf-8", ...opts.headers },
    });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** @internal Consumes one use of the first fault matching the request. */
  takeFault(request: RecordedRequest): Fault | undefined {
    const i = this.faults.findIndex(
      (f) => f.path === request.path && (f.method === undefined || f.method.toUpperCase() === request.method),
    );
    const fault = this.faults[i];
    if (!fault) return undefined;
    if (--fault.remaining <= 0) this.faults.splice(i, 1);
    return fault;
  }

  // --- quota ---

  /** Current counters of the three windows (served chat requests). */
  usage(): UsageSnapshot {
    return this.quota.snapshot(this.opts);
  }

  resetQuota(): void {
    this.quota.reset();
  }

  /** Forgets every prompt prefix, so cached_tokens start from 0 again. */
  clearPromptCache(): void {
    this.promptCache.clear();
  }
}
