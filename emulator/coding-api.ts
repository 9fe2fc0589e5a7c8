// The coding API host (/coding/v1): /models, /usages, /chat/completions with bearer check, client
// gate, account, membership, model, quota and concurrency checks (chat-limits.ts). Error bodies are
// OpenAI-style {error:{message,type}}, worded as Kimi words them (kimi-errors.ts).
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { kimiError } from "./kimi-errors.ts";
import { apiError, isObject, sendJson, sleep, tryJson, type RouteContext } from "./http.ts";
import type { ChatDecision } from "./records.ts";
import type { ModelSpec } from "./options.ts";
import { estimateTokens } from "./prompt-cache.ts";
import { accountRefusal, passesGate, quotaRefusal, refusalFor, type Refusal } from "./chat-limits.ts";
import { usageBody, usagesBody } from "./quota.ts";
import { productionUsagesBody } from "./usages-body.ts";
import { completionObject, sseEvent, streamChunks, type ReplyPlan } from "./sse.ts";
import { DEFAULT_REASONING_TEXT, DEFAULT_REPLY_TEXT, type ChatRequestView } from "./state.ts";

export const API_PREFIX = "/coding/v1";

/** landscape.md §5 / §8: the exact body Kimi answers to a client outside the allowlist. */
export const GATE_MESSAGE = kimiError("client-gate").message;
export { passesGate };

/** Shape chosen by the emulator: kimi-cli shows 402 as "Membership expired" (kimi-cli-wire.md §8). */
export const MEMBERSHIP_MESSAGE = "Your membership has expired. Please renew your Kimi Code plan to continue.";

export async function handleApi(ctx: RouteContext): Promise<void> {
  const { request, res } = ctx;
  const route = `${request.method} ${request.path}`;
  switch (route) {
    case `GET ${API_PREFIX}/models`:
      return models(ctx);
    case `GET ${API_PREFIX}/usages`:
      return usages(ctx);
    case `POST ${API_PREFIX}/chat/completions`:
      return chat(ctx);
    default:
      sendJson(res, 404, apiError(`${route} not found`, "resource_not_found_error"));
  }
}

/** The bearer (access token or API key), or undefined after answering 401. */
export function authenticate(ctx: RouteContext): string | undefined {
  const { state, request, res } = ctx;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "");
  const bearer = match?.[1];
  if (bearer && state.options.apiKeys.includes(bearer)) return bearer;
  const check = bearer ? state.tokens.checkAccess(bearer) : "unknown";
  if (bearer && check === "valid") return bearer;
  const message =
    check === "expired" ? "The access token has expired." : bearer ? "Invalid Authentication" : "Missing bearer token.";
  sendJson(res, 401, apiError(message, "invalid_authentication_error"));
  return undefined;
}

function models(ctx: RouteContext): void {
  if (authenticate(ctx) === undefined) return;
  sendJson(ctx.res, 200, { object: "list", data: ctx.state.options.models.map((m) => ({ ...m, object: "model" })) });
}

function usages(ctx: RouteContext): void {
  if (authenticate(ctx) === undefined) return;
  const { options: o } = ctx.state;
  const snapshot = ctx.state.usage();
  const body =
    o.usageShape === "usages"
      ? usagesBody(snapshot)
      : o.usageShape === "usage"
        ? usageBody(snapshot, o.parallelLimit)
        : productionUsagesBody(snapshot, {
            parallelLimit: o.parallelLimit,
            monthly: o.usagesMonthly,
            boosterWallet: o.boosterWallet,
            contradictory: o.usageShape === "contradictory",
          });
  sendJson(ctx.res, 200, body);
}

/** Thinking on/off for a request, per the model's supports_thinking_type and the request fields. */
export function decideThinking(
  body: Record<string, unknown>,
  model: ModelSpec,
): Pick<ChatDecision, "thinking" | "thinkingSource" | "effort"> {
  const thinking = isObject(body.thinking) ? body.thinking : undefined;
  const reasoningEffort = typeof body.reasoning_effort === "string" ? body.reasoning_effort : undefined;
  const effort = typeof thinking?.effort === "string" ? thinking.effort : reasoningEffort;
  if (model.supports_thinking_type === "only") return { thinking: true, thinkingSource: "model-only", effort };
  if (model.supports_thinking_type === "no") return { thinking: false, thinkingSource: "model-no", effort };
  if (thinking?.type === "enabled") return { thinking: true, thinkingSource: "thinking.type", effort };
  if (thinking?.type === "disabled") return { thinking: false, thinkingSource: "thinking.type", effort };
  if (reasoningEffort !== undefined) return { thinking: reasoningEffort !== "none", thinkingSource: "reasoning_effort", effort };
  return { thinking: true, thinkingSource: "model-default", effort };
}

async function chat(ctx: RouteContext): Promise<void> {
  const { state, request, res } = ctx;
  const opts = state.options;
  const admitted = admit(ctx);
  if (!admitted) return;
  const { body, model } = admitted;

  const thinking = decideThinking(body, model);
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const stream = body.stream === true;
  const view: ChatRequestView = {
    model: model.id,
    messages: body.messages,
    tools,
    thinking: thinking.thinking,
    effort: thinking.effort,
    stream,
    body,
    headers: request.headers,
  };
  const plan = planReply(ctx, view);
  state.quota.consume(opts);
  const decision: ChatDecision = {
    model: model.id,
    stream,
    ...thinking,
    ...kimiCodeFields(body),
    toolsOffered: tools.length,
    text: plan.text,
    reasoning: plan.reasoning,
    toolCall: plan.toolCall,
    finishReason: plan.finishReason,
    promptTokens: plan.usage.prompt_tokens,
    completionTokens: plan.usage.completion_tokens,
    cachedTokens: plan.usage.cached_tokens ?? 0,
  };
  request.chat = decision;
  state.recordChat(decision);

  const meta = { id: `chatcmpl-${randomBytes(12).toString("hex")}`, created: Math.floor(Date.now() / 1000), model: model.id };
  const drop = ctx.fault?.dropMidStream;
  const dropAfter = drop === true ? 2 : typeof drop === "number" ? drop : undefined;
  if (!stream) {
    if (dropAfter !== undefined) return dropConnection(ctx);
    return sendJson(res, 200, completionObject(meta, plan));
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const chunks = streamChunks(meta, plan);
  for (const [i, chunk] of chunks.entries()) {
    if (i === dropAfter) return dropConnection(ctx);
    if (i > 0 && opts.chunkDelayMs > 0) await sleep(opts.chunkDelayMs, ctx.signal);
    if (res.destroyed) return;
    await write(res, sseEvent(chunk));
  }
  if (dropAfter !== undefined && dropAfter >= chunks.length) return dropConnection(ctx);
  await write(res, sseEvent("[DONE]"));
  res.end();
}

/**
 * The checks before a chat is served, in Kimi's order (README "Coding API"); answers and returns
 * undefined on the first refusal. An admitted chat holds a concurrency slot until its answer ends.
 */
function admit(ctx: RouteContext): { body: Record<string, unknown> & { messages: unknown[] }; model: ModelSpec } | undefined {
  const { state, request, res } = ctx;
  const opts = state.options;
  const bearer = authenticate(ctx);
  if (bearer === undefined) return undefined;
  const early =
    (!passesGate(request.headers, opts.allowedUserAgentPrefixes, opts.allowedPlatforms) && refusalFor("client-gate")) ||
    accountRefusal(opts);
  if (early) return void refuse(ctx, early);
  if (opts.membershipExpired || opts.expiredMembershipKeys.includes(bearer)) {
    return void sendJson(res, 402, apiError(MEMBERSHIP_MESSAGE, "membership_expired_error"));
  }
  const body = tryJson(request.rawBody);
  if (!isObject(body)) return void sendJson(res, 400, apiError("Invalid request: body must be a JSON object.", "invalid_request_error"));
  if (typeof body.model !== "string") return void sendJson(res, 400, apiError("Invalid request: model is required.", "invalid_request_error"));
  if (!Array.isArray(body.messages)) {
    return void sendJson(res, 400, apiError("Invalid request: messages must be an array.", "invalid_request_error"));
  }
  const model = opts.models.find((m) => m.id === body.model);
  if (!model) {
    return void sendJson(res, 404, apiError(`Not found the model ${body.model} or Permission denied`, "resource_not_found_error"));
  }
  const quota = quotaRefusal(opts, state.usage());
  if (quota) return void refuse(ctx, quota);
  if (!state.parallelChats.tryEnter(opts.parallelLimit)) return void refuse(ctx, refusalFor("too-many-requests"));
  let left = false;
  const leave = () => {
    if (!left) state.parallelChats.leave();
    left = true;
  };
  res.once("finish", leave);
  res.once("close", leave);
  return { body: body as Record<string, unknown> & { messages: unknown[] }, model };
}

function refuse(ctx: RouteContext, r: Refusal): void {
  sendJson(ctx.res, r.status, r.body, r.headers);
}

/** The body fields kimi-code 2.1.0 sends beyond OpenAI's (kimi-code-official.md "Wire"), as recorded. */
function kimiCodeFields(body: Record<string, unknown>): Pick<ChatDecision, "thinkingKeep" | "maxCompletionTokens" | "promptCacheKey" | "includeUsage"> {
  const thinking = isObject(body.thinking) ? body.thinking : {};
  const streamOptions = isObject(body.stream_options) ? body.stream_options : {};
  return {
    thinkingKeep: typeof thinking.keep === "string" ? thinking.keep : undefined,
    maxCompletionTokens: typeof body.max_completion_tokens === "number" ? body.max_completion_tokens : undefined,
    promptCacheKey: typeof body.prompt_cache_key === "string" ? body.prompt_cache_key : undefined,
    includeUsage: streamOptions.include_usage === true,
  };
}

/**
 * Closes the connection mid-answer. Under bun the write callback fires before the bytes leave, so
 * wait a moment first or the chunks already written would be lost with the socket.
 */
export async function dropConnection(ctx: RouteContext): Promise<void> {
  await sleep(DROP_FLUSH_MS, ctx.signal);
  // The socket, not the response: bun's res.destroy() after an await answers an empty 200 instead.
  (ctx.res.socket ?? ctx.res).destroy();
}
const DROP_FLUSH_MS = 30;

function planReply(ctx: RouteContext, view: ChatRequestView): ReplyPlan {
  const scripted = ctx.state.scriptedReply(view);
  const call = view.tools.length > 0 ? scripted.toolCall : undefined;
  const toolCall = call
    ? {
        id: call.id ?? `call_${randomBytes(8).toString("hex")}`,
        name: call.name,
        arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments),
      }
    : null;
  const text = scripted.text ?? (toolCall ? "" : DEFAULT_REPLY_TEXT);
  const reasoning = view.thinking ? (scripted.reasoning ?? DEFAULT_REASONING_TEXT) : null;
  const { promptTokens, cachedTokens } = ctx.state.promptCache.lookupAndStore(view.model, view.body.tools, view.messages);
  const completionTokens = estimateTokens(text + (reasoning ?? "") + (toolCall ? toolCall.name + toolCall.arguments : ""));
  return {
    text,
    reasoning,
    toolCall,
    finishReason: toolCall ? "tool_calls" : "stop",
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      ...(cachedTokens > 0 ? { cached_tokens: cachedTokens } : {}),
    },
  };
}

/** Writes and waits until the data is handed to the socket (so a later drop cannot discard it). */
export function write(res: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve();
    res.once("close", resolve);
    res.write(data, () => {
      res.off("close", resolve);
      resolve();
    });
  });
}
