// POST /coding/v1/messages: Kimi's Anthropic-compatible route (what Claude Code uses with
// ANTHROPIC_BASE_URL=https://api.kimi.com/coding). Same account, quota, models and tokens as
// /chat/completions; its own client gate (off by default: the route is reported not UA-gated,
// kodustech/kodus-ai#1257, OpenProjectX/opencode-kimi-auth docs §8). Errors use Anthropic's envelope
// `{type:"error", error:{type, message}}` with Kimi's error types (VicBilibily/GCMP#162 shows Kimi's
// 400 in exactly this shape). Sources for every rule are in emulator/README.md.
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { accountRefusal, quotaRefusal, type Refusal } from "./chat-limits.ts";
import { dropConnection, GATE_MESSAGE, MEMBERSHIP_MESSAGE, write } from "./coding-api.ts";
import { isObject, sendJson, sleep, tryJson, type RouteContext } from "./http.ts";
import { messageEvents, messageObject, anthropicEvent, type MessagePlan } from "./anthropic-sse.ts";
import type { ModelSpec } from "./options.ts";
import { estimateTokens } from "./prompt-cache.ts";
import type { ChatDecision } from "./records.ts";
import { DEFAULT_REASONING_TEXT, DEFAULT_REPLY_TEXT, type ChatRequestView } from "./state.ts";

export const MESSAGES_PATH = "/coding/v1/messages";

/** Anthropic's error envelope with Kimi's error type. */
export function messagesError(message: string, type: string) {
  return { type: "error", error: { type, message } };
}

function fail(res: ServerResponse, status: number, message: string, type: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, messagesError(message, type), headers);
}

/**
 * The credential, or undefined after answering 401. Kimi's docs give API keys as `x-api-key` on this
 * route (Claude Code's ANTHROPIC_API_KEY; kimi-code 2.1.0 sends its key there too, `createClient$3`);
 * a bearer works as well (OAuth access token, OpenProjectX/opencode-kimi-auth §8).
 */
function authenticate(ctx: RouteContext): string | undefined {
  const { state, request, res } = ctx;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "")?.[1];
  const apiKey = request.headers["x-api-key"]?.trim() || undefined;
  const presented = bearer ?? apiKey;
  if (presented && state.options.apiKeys.includes(presented)) return presented;
  const check = presented ? state.tokens.checkAccess(presented) : "unknown";
  if (presented && check === "valid") return presented;
  const message =
    check === "expired" ? "The access token has expired." : presented ? "Invalid Authentication" : "Missing API key.";
  fail(res, 401, message, "invalid_authentication_error");
  return undefined;
}

/** Thinking on/off on this route: `thinking.type` (enabled / adaptive / disabled), else the model default. */
export function decideMessagesThinking(
  body: Record<string, unknown>,
  model: ModelSpec,
): Pick<ChatDecision, "thinking" | "thinkingSource" | "effort"> {
  const thinking = isObject(body.thinking) ? body.thinking : undefined;
  const output = isObject(body.output_config) ? body.output_config : undefined;
  const effort = typeof output?.effort === "string" ? output.effort : undefined;
  if (model.supports_thinking_type === "only") return { thinking: true, thinkingSource: "model-only", effort };
  if (model.supports_thinking_type === "no") return { thinking: false, thinkingSource: "model-no", effort };
  if (thinking?.type === "enabled" || thinking?.type === "adaptive") return { thinking: true, thinkingSource: "thinking.type", effort };
  if (thinking?.type === "disabled") return { thinking: false, thinkingSource: "thinking.type", effort };
  // Thinking is on server-side when the field is absent (hermes-agent #56727, #14018).
  return { thinking: true, thinkingSource: "model-default", effort };
}

const blocksOf = (message: Record<string, unknown>): Record<string, unknown>[] =>
  Array.isArray(message.content) ? message.content.filter(isObject) : [];

/**
 * With thinking on, Kimi converts the history to its chat format and rejects an assistant turn that
 * called a tool without reasoning (hermes-agent #13826, #14018; Kimi's Error Reference). N counts in
 * that converted list: the system prompt (if any) first, one entry per assistant message, one per
 * tool_result block and one for the rest of a user message (hermes-agent #14018 saw index 2 on the
 * first replay: system, user, assistant). Returns that N, or null when the history is fine.
 */
export function missingReasoningIndex(body: Record<string, unknown>): number | null {
  const system = body.system;
  let index = (typeof system === "string" && system !== "") || (Array.isArray(system) && system.length > 0) ? 1 : 0;
  for (const message of Array.isArray(body.messages) ? body.messages.filter(isObject) : []) {
    const blocks = blocksOf(message);
    if (message.role === "assistant") {
      const callsTool = blocks.some((b) => b.type === "tool_use");
      const reasons = blocks.some((b) => (b.type === "thinking" && typeof b.thinking === "string") || b.type === "redacted_thinking");
      if (callsTool && !reasons) return index;
      index += 1;
      continue;
    }
    const results = blocks.filter((b) => b.type === "tool_result").length;
    const rest = typeof message.content === "string" || blocks.some((b) => b.type !== "tool_result");
    index += results + (rest ? 1 : 0);
  }
  return null;
}

/** A shared refusal (OpenAI-style `{error}` body) answered in Anthropic's envelope. */
function sendRefusal(res: ServerResponse, refusal: Refusal): void {
  const body = refusal.body as { error?: { message?: unknown; type?: unknown } };
  const error = isObject(body?.error) ? body.error : { message: String(refusal.body), type: "error" };
  sendJson(res, refusal.status, { type: "error", error: { type: error.type, message: error.message } }, refusal.headers ?? {});
}

/** Validates what the route needs; answers 400/404 and returns undefined when the body is unusable. */
function readBody(ctx: RouteContext): { body: Record<string, unknown>; model: ModelSpec } | undefined {
  const { res, state, request } = ctx;
  const body = tryJson(request.rawBody);
  if (!isObject(body)) return void fail(res, 400, "Invalid request: body must be a JSON object.", "invalid_request_error");
  if (typeof body.model !== "string") return void fail(res, 400, "Invalid request: model is required.", "invalid_request_error");
  if (!Array.isArray(body.messages) || !body.messages.every((m) => isObject(m) && (m.role === "user" || m.role === "assistant"))) {
    return void fail(res, 400, "Invalid request: messages must be an array of user and assistant messages.", "invalid_request_error");
  }
  const model = state.options.models.find((m) => m.id === body.model);
  if (!model) return void fail(res, 404, `Not found the model ${body.model} or Permission denied`, "resource_not_found_error");
  return { body, model };
}

export async function handleMessages(ctx: RouteContext): Promise<void> {
  const { state, request, res } = ctx;
  const opts = state.options;
  if (request.method !== "POST") return fail(res, 404, `${request.method} ${request.path} not found`, "resource_not_found_error");
  const bearer = authenticate(ctx);
  if (bearer === undefined) return;
  const gate = opts.messagesAllowedUserAgentPrefixes;
  if (gate !== null && !gate.some((p) => (request.headers["user-agent"] ?? "").startsWith(p))) {
    return fail(res, 403, GATE_MESSAGE, "access_terminated_error");
  }
  if (opts.membershipExpired || opts.expiredMembershipKeys.includes(bearer)) {
    return fail(res, 402, MEMBERSHIP_MESSAGE, "membership_expired_error");
  }
  const parsed = readBody(ctx);
  if (!parsed) return;
  const { body, model } = parsed;
  // The account's refusals, shared with the chat route (chat-limits.ts), in this route's envelope.
  const refused = accountRefusal(opts) ?? quotaRefusal(opts, state.usage());
  if (refused) return sendRefusal(res, refused);
  const thinking = decideMessagesThinking(body, model);
  const missing = thinking.thinking && opts.messagesRequireReasoningHistory ? missingReasoningIndex(body) : null;
  if (missing !== null) {
    const message = `thinking is enabled but reasoning_content is missing in assistant tool call message at index ${missing}`;
    return fail(res, 400, message, "invalid_request_error");
  }

  const tools = Array.isArray(body.tools) ? body.tools : [];
  const stream = body.stream === true;
  const view: ChatRequestView = {
    model: model.id,
    messages: body.messages as unknown[],
    tools,
    thinking: thinking.thinking,
    effort: thinking.effort,
    stream,
    body,
    headers: request.headers,
  };
  const plan = planMessage(ctx, view);
  state.quota.consume(opts);
  const decision: ChatDecision = {
    route: "messages",
    model: model.id,
    stream,
    ...thinking,
    toolsOffered: tools.length,
    text: plan.text,
    reasoning: plan.reasoning,
    toolCall: plan.toolCall && { id: plan.toolCall.id, name: plan.toolCall.name, arguments: JSON.stringify(plan.toolCall.input) },
    finishReason: plan.toolCall ? "tool_calls" : "stop",
    promptTokens: plan.usage.input_tokens + plan.usage.cache_read_input_tokens,
    completionTokens: plan.usage.output_tokens,
    cachedTokens: plan.usage.cache_read_input_tokens,
    thinkingKeep: undefined,
    maxCompletionTokens: typeof body.max_tokens === "number" ? body.max_tokens : undefined,
    promptCacheKey: isObject(body.metadata) && typeof body.metadata.user_id === "string" ? body.metadata.user_id : undefined,
    includeUsage: true,
  };
  request.chat = decision;
  state.recordChat(decision);
  await answer(ctx, { id: `msg_${randomBytes(12).toString("hex")}`, model: model.id }, plan, stream);
}

async function answer(ctx: RouteContext, meta: { id: string; model: string }, plan: MessagePlan, stream: boolean): Promise<void> {
  const { res, state } = ctx;
  const drop = ctx.fault?.dropMidStream;
  const dropAfter = drop === true ? 2 : typeof drop === "number" ? drop : undefined;
  if (!stream) {
    if (dropAfter !== undefined) return dropConnection(ctx);
    return sendJson(res, 200, messageObject(meta, plan));
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const events = messageEvents(meta, plan);
  for (const [i, { event, data }] of events.entries()) {
    if (i === dropAfter) return dropConnection(ctx);
    if (i > 0 && state.options.chunkDelayMs > 0) await sleep(state.options.chunkDelayMs, ctx.signal);
    if (res.destroyed) return;
    await write(res, anthropicEvent(event, data));
  }
  if (dropAfter !== undefined && dropAfter >= events.length) return dropConnection(ctx);
  res.end();
}

function toolInput(args: string | Record<string, unknown>): Record<string, unknown> {
  if (typeof args !== "string") return args;
  const parsed = tryJson(args);
  return isObject(parsed) ? parsed : {};
}

function planMessage(ctx: RouteContext, view: ChatRequestView): MessagePlan {
  const scripted = ctx.state.scriptedReply(view);
  const call = view.tools.length > 0 ? scripted.toolCall : undefined;
  const toolCall = call
    ? { id: call.id ?? `toolu_${randomBytes(12).toString("hex")}`, name: call.name, input: toolInput(call.arguments) }
    : null;
  const text = scripted.text ?? (toolCall ? "" : DEFAULT_REPLY_TEXT);
  const reasoning = view.thinking ? (scripted.reasoning ?? DEFAULT_REASONING_TEXT) : null;
  const system = view.body.system === undefined ? [] : [{ role: "system", content: view.body.system }];
  const { promptTokens, cachedTokens } = ctx.state.promptCache.lookupAndStore(view.model, view.body.tools, [...system, ...view.messages]);
  const outputTokens = estimateTokens(text + (reasoning ?? "") + (toolCall ? toolCall.name + JSON.stringify(toolCall.input) : ""));
  return {
    text,
    reasoning,
    toolCall,
    stopReason: toolCall ? "tool_use" : "end_turn",
    usage: {
      input_tokens: promptTokens - cachedTokens,
      output_tokens: outputTokens,
      cache_read_input_tokens: cachedTokens,
      cache_creation_input_tokens: 0,
    },
  };
}
