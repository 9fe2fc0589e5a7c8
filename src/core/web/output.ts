// What the web tools hand the model: search hits and fetched pages as plain text, bounded so one tool
// result never floods the context. opencode truncates any tool output over 2000 lines or 50 KiB by
// itself (packages/opencode/src/tool/truncate.ts MAX_LINES, MAX_BYTES) and points the model at a file
// instead; our bounds sit below that, so the model gets our marker, not opencode's. All pure.

/** The whole tool output, UTF-8 bytes. */
export const OUTPUT_MAX_BYTES = 32 * 1024;
/** The whole tool output, lines. */
export const OUTPUT_MAX_LINES = 1000;
/** One search hit's snippet, characters. */
export const SNIPPET_MAX_CHARS = 1000;
export { SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX, SEARCH_LIMIT_MIN } from "./limits.ts";

/** One hit as Kimi sends it (kimi-cli search.py `SearchResult`; every field may be missing or empty). */
export interface SearchHit {
  site_name?: unknown;
  title?: unknown;
  url?: unknown;
  snippet?: unknown;
  content?: unknown;
  date?: unknown;
}

export interface Bounded {
  text: string;
  truncated: boolean;
}

const encoder = new TextEncoder();

export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/**
 * The longest prefix of `text` within `maxBytes` UTF-8 bytes and `maxLines` lines, cut on a character
 * boundary (never inside a surrogate pair).
 */
export function boundText(text: string, maxBytes: number, maxLines = Number.POSITIVE_INFINITY): Bounded {
  let bytes = 0;
  let lines = 1;
  for (let i = 0; i < text.length; i++) {
    const code = text.codePointAt(i)!;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) return { text: text.slice(0, i), truncated: true };
    if (code === 0x0a && ++lines > maxLines) return { text: text.slice(0, i), truncated: true };
    bytes += size;
    if (code > 0xffff) i++;
  }
  return { text, truncated: false };
}

function field(value: unknown, maxChars = Number.POSITIVE_INFINITY): string {
  if (typeof value !== "string") return "";
  const flat = value.trim();
  return flat.length > maxChars ? `${flat.slice(0, maxChars)}…` : flat;
}

/**
 * Ends `text` with a marker saying how much was left out, keeping the whole within the bounds.
 * `readCap`: the source was cut when read, at that many bytes.
 */
function finish(text: string, what: string, readCap?: number): string {
  const bounded = boundText(text, OUTPUT_MAX_BYTES, OUTPUT_MAX_LINES);
  if (!bounded.truncated && readCap === undefined) return text;
  const kib = (n: number) => `${Math.ceil(n / 1024)} KiB`;
  const size = readCap === undefined ? kib(utf8Bytes(text)) : `more than ${kib(readCap)}`;
  const marker = `\n\n[Truncated: ${what} is ${size}; only the first ${kib(OUTPUT_MAX_BYTES)} (at most ${OUTPUT_MAX_LINES} lines) are shown.]`;
  const room = boundText(text, OUTPUT_MAX_BYTES - utf8Bytes(marker), OUTPUT_MAX_LINES - 2);
  return room.text + marker;
}

/**
 * Search hits as text: title, site, date, URL and snippet of each, and the page content when it was
 * asked for. Each hit's content gets an equal share of the output, so one long page cannot push the
 * other hits out.
 */
export function formatSearch(query: string, hits: readonly SearchHit[]): string {
  if (hits.length === 0) return `Kimi web search found nothing for "${query}". Try other words.`;
  const contentShare = Math.floor(OUTPUT_MAX_BYTES / hits.length / 2);
  const blocks = hits.map((hit, i) => {
    const lines = [`${i + 1}. ${field(hit.title) || field(hit.url) || "(untitled)"}`];
    const site = field(hit.site_name);
    const date = field(hit.date);
    if (site) lines.push(`Site: ${site}`);
    if (date) lines.push(`Date: ${date}`);
    lines.push(`URL: ${field(hit.url) || "(none)"}`);
    const snippet = field(hit.snippet, SNIPPET_MAX_CHARS);
    if (snippet) lines.push(`Snippet: ${snippet}`);
    const content = field(hit.content);
    if (content) {
      const part = boundText(content, contentShare);
      lines.push("", part.truncated ? `${part.text}\n[Page content truncated.]` : part.text);
    }
    return lines.join("\n");
  });
  const head = `Kimi web search: ${hits.length} result${hits.length === 1 ? "" : "s"} for "${query}". Cite the URLs you rely on.`;
  return finish(`${head}\n\n${blocks.join("\n\n---\n\n")}`, "the result list");
}

/** A fetched page as text, bounded. `readCap`: the body was cut when read, at that many bytes. */
export function formatPage(url: string, body: string, contentType: string | null, readCap?: number): string {
  const text = body.trim();
  if (!text) return `Kimi's fetch service returned no content for ${url}. The page may be empty or need JavaScript or a login.`;
  const kind = /markdown/i.test(contentType ?? "") ? "markdown" : "text";
  return finish(`Content of ${url} (${kind}, main content extracted by Kimi's fetch service):\n\n${text}`, "the page", readCap);
}
