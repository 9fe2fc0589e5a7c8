// Anthropic Messages bodies for /coding/v1/messages: the streamed event sequence and the non-streamed
// message object. Event order follows Anthropic's Messages streaming format (the one @ai-sdk/anthropic
// parses, opencode 1.18.33's bundled copy): message_start, ping, per content block
// content_block_start / *_delta / content_block_stop (thinking with a signature_delta, then text, then
// tool_use with input_json_delta fragments), message_delta (stop_reason + usage), message_stop.
// Kimi returns signed thinking blocks on this route and validates its own signatures on replay
// (NousResearch/hermes-agent PR #18898), so every thinking block carries a signature.
import { createHash } from "node:crypto";
import { splitText } from "./sse.ts";

export interface AnthropicUsage {
  /** Prompt tokens not read from the cache (Anthropic counts cache reads separately). */
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

export interface MessagePlan {
  text: string;
  /** Thinking text; null when thinking is off. */
  reasoning: string | null;
  toolCall: { id: string; name: string; input: Record<string, unknown> } | null;
  stopReason: "end_turn" | "tool_use";
  usage: AnthropicUsage;
}

export interface MessageMeta {
  id: string;
  model: string;
}

/** The emulator's signature of a thinking text (opaque to clients, stable for a text). */
export function thinkingSignature(thinking: string): string {
  return createHash("sha256").update("kimi-emulator-thinking\0").update(thinking).digest("base64");
}

/** One SSE event in Anthropic's framing: `event:` line + `data:` line. */
export function anthropicEvent(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

export interface NamedEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Splits a string into at most `n` pieces of roughly equal length. */
function splitEvenly(s: string, n: number): string[] {
  if (s === "") return [];
  const size = Math.ceil(s.length / n);
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

function blockEvents(index: number, start: Record<string, unknown>, deltas: Record<string, unknown>[]): NamedEvent[] {
  return [
    { event: "content_block_start", data: { type: "content_block_start", index, content_block: start } },
    ...deltas.map((delta) => ({ event: "content_block_delta", data: { type: "content_block_delta", index, delta } })),
    { event: "content_block_stop", data: { type: "content_block_stop", index } },
  ];
}

export function messageEvents(meta: MessageMeta, plan: MessagePlan): NamedEvent[] {
  const { usage } = plan;
  const events: NamedEvent[] = [
    {
      event: "message_start",
      data: {
        type: "message_start",
        message: {
          id: meta.id,
          type: "message",
          role: "assistant",
          model: meta.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usage, output_tokens: 0 },
        },
      },
    },
    { event: "ping", data: { type: "ping" } },
  ];
  let index = 0;
  if (plan.reasoning !== null) {
    const deltas: Record<string, unknown>[] = splitText(plan.reasoning).map((thinking) => ({ type: "thinking_delta", thinking }));
    deltas.push({ type: "signature_delta", signature: thinkingSignature(plan.reasoning) });
    events.push(...blockEvents(index++, { type: "thinking", thinking: "", signature: "" }, deltas));
  }
  if (plan.text !== "") {
    const deltas = splitText(plan.text).map((text) => ({ type: "text_delta", text }));
    events.push(...blockEvents(index++, { type: "text", text: "" }, deltas));
  }
  if (plan.toolCall) {
    const { id, name, input } = plan.toolCall;
    const deltas = splitEvenly(JSON.stringify(input), 3).map((partial_json) => ({ type: "input_json_delta", partial_json }));
    events.push(...blockEvents(index++, { type: "tool_use", id, name, input: {} }, deltas));
  }
  events.push(
    {
      event: "message_delta",
      data: { type: "message_delta", delta: { stop_reason: plan.stopReason, stop_sequence: null }, usage },
    },
    { event: "message_stop", data: { type: "message_stop" } },
  );
  return events;
}

export function messageObject(meta: MessageMeta, plan: MessagePlan): Record<string, unknown> {
  const content: Record<string, unknown>[] = [];
  if (plan.reasoning !== null) {
    content.push({ type: "thinking", thinking: plan.reasoning, signature: thinkingSignature(plan.reasoning) });
  }
  if (plan.text !== "") content.push({ type: "text", text: plan.text });
  if (plan.toolCall) content.push({ type: "tool_use", ...plan.toolCall });
  return {
    id: meta.id,
    type: "message",
    role: "assistant",
    model: meta.model,
    content,
    stop_reason: plan.stopReason,
    stop_sequence: null,
    usage: plan.usage,
  };
}
