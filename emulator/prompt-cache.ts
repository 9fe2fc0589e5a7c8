// Token estimates and Kimi's content/prefix prompt cache (landscape.md §6: the cache is keyed on
// content, `prompt_cache_key` is ignored). A prefix is (model, tools, messages[0..i]); a request's
// cached_tokens are the prompt tokens of the longest prefix some earlier served request had.
// No 256-token alignment: any matching prefix counts.
import { createHash } from "node:crypto";

/** Rough tokenizer: 4 characters per token, rounded up. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export class PrefixCache {
  private readonly seen = new Set<string>();

  /**
   * Prompt tokens of the request and the tokens of its longest previously seen prefix, then
   * remembers every prefix of this request.
   */
  lookupAndStore(model: string, tools: unknown, messages: unknown[]): { promptTokens: number; cachedTokens: number } {
    const toolsJson = JSON.stringify(tools ?? []);
    const hash = createHash("sha256").update(model).update("\0").update(toolsJson);
    let tokens = estimateTokens(toolsJson);
    let cachedTokens = 0;
    const keys: string[] = [];
    for (const message of messages) {
      const json = JSON.stringify(message);
      hash.update("\0").update(json);
      tokens += estimateTokens(json);
      const key = hash.copy().digest("hex");
      keys.push(key);
      if (this.seen.has(key)) cachedTokens = tokens;
    }
    for (const key of keys) this.seen.add(key);
    return { promptTokens: tokens, cachedTokens };
  }

  clear(): void {
    this.seen.clear();
  }
}
