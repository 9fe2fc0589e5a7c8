import { describe, expect, test } from "bun:test";
import { argumentSchema, FETCH_URL_TOOL, parseFetchArgs, parseSearchArgs, WEB_SEARCH_TOOL } from "../../src/server/web-tools.ts";

describe("parseSearchArgs", () => {
  test("defaults: 5 results, no page content; the query is trimmed", () => {
    expect(parseSearchArgs({ query: "  bun  " })).toEqual({ ok: true, value: { query: "bun", limit: 5, includeContent: false } });
  });

  test("what models send loosely is accepted: numeric strings, boolean strings, null", () => {
    expect(parseSearchArgs({ query: "q", limit: "20", include_content: "true" })).toEqual({ ok: true, value: { query: "q", limit: 20, includeContent: true } });
    expect(parseSearchArgs({ query: "q", limit: null, include_content: null })).toEqual({ ok: true, value: { query: "q", limit: 5, includeContent: false } });
  });

  test("bad values are refused with the reason", () => {
    for (const [args, reason] of [
      [{}, 'needs a non-empty "query"'],
      [{ query: 7 }, 'needs a non-empty "query"'],
      [{ query: "x".repeat(1001) }, "keep it under 1000"],
      [{ query: "q", limit: 0 }, "from 1 to 20; got 0"],
      [{ query: "q", limit: 2.5 }, "got 2.5"],
      [{ query: "q", limit: "many" }, 'got "many"'],
      [{ query: "q", include_content: 1 }, '"include_content" must be true or false; got 1'],
    ] as const) {
      const r = parseSearchArgs(args as Record<string, unknown>);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toContain(reason);
    }
  });
});

describe("parseFetchArgs", () => {
  test("an http(s) URL, normalised", () => {
    expect(parseFetchArgs({ url: " https://Example.com/a b " })).toEqual({ ok: true, value: { url: "https://example.com/a%20b" } });
  });

  test("anything else is refused with the reason", () => {
    expect(parseFetchArgs({})).toEqual({ ok: false, error: 'kimi_fetch_url needs a "url".' });
    expect(parseFetchArgs({ url: "example.com" })).toMatchObject({ ok: false, error: expect.stringContaining("is not a URL") });
    expect(parseFetchArgs({ url: "ftp://example.com/x" })).toEqual({ ok: false, error: "Only http(s) URLs can be fetched; got ftp." });
    expect(parseFetchArgs({ url: `https://a.example/${"x".repeat(9000)}` })).toMatchObject({ ok: false });
  });
});

test("argument schemas: only query / url required, nothing else accepted", () => {
  expect(argumentSchema(WEB_SEARCH_TOOL)).toMatchObject({ type: "object", required: ["query"], additionalProperties: false });
  expect(Object.keys((argumentSchema(WEB_SEARCH_TOOL)!.properties as object) ?? {})).toEqual(["query", "limit", "include_content"]);
  expect(argumentSchema(FETCH_URL_TOOL)).toMatchObject({ required: ["url"] });
  expect(argumentSchema("bash")).toBeUndefined();
});
