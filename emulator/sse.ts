// OpenAI-compatible chat completion bodies: the streamed chunk sequence and the non-streamed object.
// Chunk order (what Kimi's OpenAI route sends, kimi-cli-wire.md §6 SSE parsing): role chunk,
// reasoning_content deltas (thinking on), content deltas, tool_calls deltas (first with id/type/name
// and empty arguments, then argument fragments, index 0), final chunk with finish_reason + usage.

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Moonshot puts cached tokens top-level (kimi-cli-wire.md §6 "Usage"); only when > 0. */
  cached_tokens?: number;
}

export interface ReplyPlan {
  text: string;
  reasoning: string | null;
  toolCall: { id: string; name: string; arguments: string } | null;
  finishReason: "stop" | "tool_calls";
  usage: Usage;
}

export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

/** Splits text at word boundaries into at most `maxPieces` pieces whose concatenation is the text. */
export function splitText(text: string, maxPieces = 4): string[] {
  if (text === "") return [];
  const words = text.match(/\s*\S+\s*/g);
  if (!words) return [text];
  const size = Math.ceil(words.length / Math.min(maxPieces, words.length));
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += size) pieces.push(words.slice(i, i + size).join(""));
  return pieces;
}

/** Splits a string into at most `n` pieces of roughly equal length. */
function splitEvenly(s: string, n: number): string[] {
  if (s === "") return [];
  const size = Math.ceil(s.length / n);
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

export function streamChunks(meta: CompletionMeta, plan: ReplyPlan): Record<string, unknown>[] {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) => ({
    id: meta.id,
    object: "chat.completion.chunk",
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...extra,
  });
  const chunks = [chunk({ role: "assistant", content: "" })];
  if (plan.reasoning !== null) for (const piece of splitText(plan.reasoning)) chunks.push(chunk({ reasoning_content: piece }));
  for (const piece of splitText(plan.text)) chunks.push(chunk({ content: piece }));
  if (plan.toolCall) {
    const { id, name, arguments: args } = plan.toolCall;
    chunks.push(chunk({ tool_calls: [{ index: 0, id, type: "function", function: { name, arguments: "" } }] }));
    for (const piece of splitEvenly(args, 3)) chunks.push(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
  }
  chunks.push(chunk({}, plan.finishReason, { usage: plan.usage }));
  return chunks;
}

export function sseEvent(data: unknown): string {
  return `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
}

export function completionObject(meta: CompletionMeta, plan: ReplyPlan): Record<string, unknown> {
  const message: Record<string, unknown> = {
    role: "assistant",
    content: plan.toolCall && plan.text === "" ? null : plan.text,
  };
  if (plan.reasoning !== null) message.reasoning_content = plan.reasoning;
  if (plan.toolCall) {
    const { id, name, arguments: args } = plan.toolCall;
    message.tool_calls = [{ id, type: "function", function: { name, arguments: args } }];
  }
  return {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message, finish_reason: plan.finishReason }],
    usage: plan.usage,
  };
}
