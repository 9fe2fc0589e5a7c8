// Shapes shared by the emulator's plumbing (http.ts) and its state (state.ts): what a request
// was, what chat decided for it, and a fault a test injects.

export type HostKind = "oauth" | "api";

/** What the emulator decided for a served chat request. */
export interface ChatDecision {
  /** "messages" for POST /coding/v1/messages; absent for /chat/completions. */
  route?: "messages";
  model: string;
  stream: boolean;
  thinking: boolean;
  /** Why thinking is on/off: the field that decided it, or the model's default / forced mode. */
  thinkingSource: "thinking.type" | "reasoning_effort" | "model-default" | "model-only" | "model-no";
  /** `thinking.effort` or `reasoning_effort` as sent, if any. */
  effort: string | undefined;
  /** kimi-code's body fields, as sent (kimi-code-official.md "Wire"): `thinking.keep`, `max_completion_tokens`, `prompt_cache_key`, `stream_options.include_usage`. */
  thinkingKeep: string | undefined;
  maxCompletionTokens: number | undefined;
  promptCacheKey: string | undefined;
  includeUsage: boolean;
  toolsOffered: number;
  text: string;
  reasoning: string | null;
  toolCall: { id: string; name: string; arguments: string } | null;
  finishReason: "stop" | "tool_calls";
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
}

export interface RecordedRequest {
  host: HostKind;
  method: string;
  /** Path without the query string, e.g. "/coding/v1/chat/completions". */
  path: string;
  query: Record<string, string>;
  /** Lower-cased names, values exactly as sent (repeated headers joined with ", "). */
  headers: Record<string, string>;
  rawBody: string;
  /** Parsed JSON, or a parsed form as a plain object, or undefined. */
  body: unknown;
  /** ms epoch of arrival. */
  time: number;
  /** Status answered; set when the answer starts (undefined while in flight or if dropped first). */
  status?: number;
  /** True when an injected fault handled (or delayed/dropped) this request. */
  fault?: boolean;
  /** Set for chat requests that were served. */
  chat?: ChatDecision;
}

export interface Fault {
  /** Exact request path without query, e.g. "/coding/v1/models" or "/api/oauth/token". */
  path: string;
  /** Only requests with this method (default any). */
  method?: string;
  /** How many matching requests the fault applies to. Default 1; Infinity = until clearFaults(). */
  count?: number;
  /** Answer with this status instead of the normal handler. */
  status?: number;
  /** Body of the faulty answer: a string is sent as is, anything else as JSON. Default "". */
  body?: unknown;
  /** Extra/override headers of the faulty answer (e.g. content-type). */
  headers?: Record<string, string>;
  /** Wait this long first (then answer normally, or with `status` if set). */
  delayMs?: number;
  /**
   * Streaming chat only: close the connection after this many SSE chunks (true = 2), no [DONE].
   * For a non-streaming request the connection is closed before any answer.
   */
  dropMidStream?: boolean | number;
  /**
   * Close the connection without any answer (no status line, no headers), on any route: a reset
   * before headers, as a proxy or load balancer on the way does. Kimi's own clients treat it as a
   * transient connection error (kimi-cli-wire.md §4.4 refresh retries on OS errors, §8 chat retries
   * on connection errors; kimi-cli kimisoul.py:1646-1658).
   */
  reset?: boolean;
  /**
   * With `delayMs`: handle the request even when the client hung up meanwhile (its timeout), as a
   * server finishes work whose client is gone. A refresh grant then rotates the refresh token
   * server-side while the client never sees the new pair (single-use tokens: kimi-cli-wire.md §4.4,
   * landscape.md §8 "Tokens and refresh").
   */
  serveAfterHangUp?: boolean;
}
