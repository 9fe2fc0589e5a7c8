// A reply script for driving a client through one tool call: the model calls a tool, and once the
// tool's result comes back it answers with text built from that result. With a real opencode this
// proves the whole loop: opencode offers the tool, runs it, and sends its output back.
import type { ChatRequestView, ReplyScript, ScriptedReply } from "./state.ts";

export interface ToolRoundTrip {
  /** The tool to call; the call is made only when the request offers a function of this name. */
  name: string;
  arguments: string | Record<string, unknown>;
  id?: string;
  /** The final answer from the tool outputs (default: "Tool <name> answered:" and the outputs). */
  answer?: (outputs: string[]) => string;
}

function offeredToolNames(tools: unknown[]): string[] {
  return tools.flatMap((t) => {
    const fn = (t as { function?: { name?: unknown } } | null)?.function;
    return typeof fn?.name === "string" ? [fn.name] : [];
  });
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((p) => (typeof (p as { text?: unknown })?.text === "string" ? (p as { text: string }).text : "")).join("");
  }
  return content === undefined || content === null ? "" : JSON.stringify(content);
}

/** The contents of the trailing `role: "tool"` messages (the results of the last round of calls). */
export function toolResultsOf(messages: unknown[]): string[] {
  const out: string[] = [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: unknown; content?: unknown } | null;
    if (m?.role !== "tool") break;
    out.unshift(textOf(m.content));
  }
  return out;
}

/**
 * First turn (the tool offered, no tool result yet): call it. Turn after the result: answer with text.
 * Requests that do not offer the tool (e.g. opencode's title request) get the default reply.
 */
export function toolRoundTrip(spec: ToolRoundTrip): ReplyScript {
  return (view: ChatRequestView): ScriptedReply | undefined => {
    const results = toolResultsOf(view.messages);
    if (results.length > 0) {
      return { text: spec.answer ? spec.answer(results) : `Tool ${spec.name} answered:\n${results.join("\n")}` };
    }
    if (!offeredToolNames(view.tools).includes(spec.name)) return undefined;
    return { toolCall: { name: spec.name, arguments: spec.arguments, ...(spec.id ? { id: spec.id } : {}) } };
  };
}
