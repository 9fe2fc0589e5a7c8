// Kimi's web search and page fetch as opencode tools (`kimi_web_search`, `kimi_fetch_url`).
//
// No runtime dependency: `tool()` of @opencode-ai/plugin only returns its argument, and its
// `tool.schema` is that package's own zod, which opencode does not provide to an installed plugin. So
// the arguments are plain JSON Schema. opencode 1.18.33 takes those as they are (ToolRegistry
// `fromPlugin`: arguments without zod's `_zod` become a JSON Schema whose every property is required,
// with no validation), so `execute` validates itself, and the `tool.definition` hook hands opencode
// the full schema with only the truly required properties (it uses `output.jsonSchema` when set).
// Every failure is returned as text for the model; nothing throws into opencode.
import type { Hooks } from "@opencode-ai/plugin";
import { log } from "../core/support/log.ts";
import type { WebClient, WebOutcome } from "../core/web/client.ts";
import { SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX, SEARCH_LIMIT_MIN } from "../core/web/limits.ts";

export const WEB_SEARCH_TOOL = "kimi_web_search";
export const FETCH_URL_TOOL = "kimi_fetch_url";
const QUERY_MAX_CHARS = 1000;
const URL_MAX_CHARS = 8192;

type JsonSchema = Record<string, unknown>;
interface ToolSpec {
  description: string;
  properties: Record<string, JsonSchema>;
  required: string[];
}

const SPECS: Record<string, ToolSpec> = {
  [WEB_SEARCH_TOOL]: {
    description:
      "Search the web with Kimi's search service (part of the Kimi Code plan). Use it for current information: news, documentation, " +
      "release notes, error messages, papers. Each result has its title, site, date, URL and a snippet; to read a page in full, call " +
      `${FETCH_URL_TOOL} on its URL. Cite the URLs you rely on.`,
    properties: {
      query: { type: "string", description: "What to search for." },
      limit: {
        type: "integer",
        minimum: SEARCH_LIMIT_MIN,
        maximum: SEARCH_LIMIT_MAX,
        description: `How many results (${SEARCH_LIMIT_MIN}-${SEARCH_LIMIT_MAX}, default ${SEARCH_LIMIT_DEFAULT}). Usually leave it out; a more specific query helps more.`,
      },
      include_content: {
        type: "boolean",
        description: "Also return the text of each result page (default false). Costs many tokens; keep limit small with it.",
      },
    },
    required: ["query"],
  },
  [FETCH_URL_TOOL]: {
    description:
      "Fetch a web page with Kimi's fetch service (part of the Kimi Code plan) and return its main content as markdown or text. " +
      "Public http(s) pages only; pages behind a login return the login page or an error.",
    properties: { url: { type: "string", description: "The full http(s) URL of the page." } },
    required: ["url"],
  },
};

/** The full JSON Schema of a tool's arguments, as the model should see it. */
export function argumentSchema(toolId: string): JsonSchema | undefined {
  const spec = SPECS[toolId];
  return spec && { type: "object", properties: spec.properties, required: spec.required, additionalProperties: false };
}

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function integerOf(v: unknown): number | undefined {
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  return typeof n === "number" && Number.isInteger(n) ? n : undefined;
}

export function parseSearchArgs(args: Record<string, unknown>): Parsed<{ query: string; limit: number; includeContent: boolean }> {
  const query = typeof args.query === "string" ? args.query.trim() : "";
  if (!query) return { ok: false, error: `${WEB_SEARCH_TOOL} needs a non-empty "query".` };
  if (query.length > QUERY_MAX_CHARS) return { ok: false, error: `The query is ${query.length} characters; keep it under ${QUERY_MAX_CHARS}.` };
  let limit = SEARCH_LIMIT_DEFAULT;
  if (args.limit !== undefined && args.limit !== null) {
    const n = integerOf(args.limit);
    if (n === undefined || n < SEARCH_LIMIT_MIN || n > SEARCH_LIMIT_MAX) {
      return { ok: false, error: `"limit" must be a whole number from ${SEARCH_LIMIT_MIN} to ${SEARCH_LIMIT_MAX}; got ${JSON.stringify(args.limit)}.` };
    }
    limit = n;
  }
  const raw = args.include_content;
  let includeContent = false;
  if (raw === true || raw === "true") includeContent = true;
  else if (raw !== undefined && raw !== null && raw !== false && raw !== "false") {
    return { ok: false, error: `"include_content" must be true or false; got ${JSON.stringify(raw)}.` };
  }
  return { ok: true, value: { query, limit, includeContent } };
}

export function parseFetchArgs(args: Record<string, unknown>): Parsed<{ url: string }> {
  const url = typeof args.url === "string" ? args.url.trim() : "";
  if (!url) return { ok: false, error: `${FETCH_URL_TOOL} needs a "url".` };
  if (url.length > URL_MAX_CHARS) return { ok: false, error: `The URL is longer than ${URL_MAX_CHARS} characters.` };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, error: `"${url.slice(0, 200)}" is not a URL; give a full http(s) URL such as https://example.com/page.` };
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return { ok: false, error: `Only http(s) URLs can be fetched; got ${parsed.protocol.replace(/:$/, "")}.` };
  }
  return { ok: true, value: { url: parsed.toString() } };
}

/** What opencode passes as a tool's context at run time (ToolRegistry `fromPlugin`): the typed part and `callID`. */
interface RunContext {
  abort?: AbortSignal;
  callID?: string;
}

function result(title: string, outcome: WebOutcome) {
  return { title, output: outcome.output, metadata: { ok: outcome.ok } };
}

function runTool(title: string, run: () => Promise<WebOutcome>) {
  return run()
    .then((outcome) => result(title, outcome))
    .catch((error: unknown) => {
      const message = `opencode-kimi-code failed unexpectedly: ${(error as Error)?.message ?? String(error)}`;
      log("error", message);
      return result(title, { ok: false, output: message });
    });
}

/** The `tool` and `tool.definition` hooks for the two tools; the client is made on first use. */
export function webToolHooks(webClient: () => Promise<WebClient>): Pick<Hooks, "tool" | "tool.definition"> {
  const definition = (id: string) => {
    const spec = SPECS[id]!;
    return { description: spec.description, args: spec.properties as never };
  };
  return {
    tool: {
      [WEB_SEARCH_TOOL]: {
        ...definition(WEB_SEARCH_TOOL),
        execute: async (args: Record<string, unknown>, context: RunContext) => {
          const parsed = parseSearchArgs(args ?? {});
          if (!parsed.ok) return result("Web search: bad arguments", { ok: false, output: parsed.error });
          const ctx = { ...(context?.callID ? { toolCallId: context.callID } : {}), ...(context?.abort ? { signal: context.abort } : {}) };
          return runTool(`Web search: ${parsed.value.query}`, async () => (await webClient()).search(parsed.value, ctx));
        },
      },
      [FETCH_URL_TOOL]: {
        ...definition(FETCH_URL_TOOL),
        execute: async (args: Record<string, unknown>, context: RunContext) => {
          const parsed = parseFetchArgs(args ?? {});
          if (!parsed.ok) return result("Fetch URL: bad arguments", { ok: false, output: parsed.error });
          const ctx = { ...(context?.callID ? { toolCallId: context.callID } : {}), ...(context?.abort ? { signal: context.abort } : {}) };
          return runTool(`Fetch ${parsed.value.url}`, async () => (await webClient()).fetchUrl(parsed.value.url, ctx));
        },
      },
    } as NonNullable<Hooks["tool"]>,
    async "tool.definition"(input, output) {
      try {
        const schema = argumentSchema(input.toolID);
        if (schema) (output as { jsonSchema?: unknown }).jsonSchema = schema;
      } catch (error) {
        log("warn", "tool.definition failed; opencode's schema is kept", { error: (error as Error).message });
      }
    },
  };
}
