import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { boundText, formatPage, formatSearch, OUTPUT_MAX_BYTES, OUTPUT_MAX_LINES, SNIPPET_MAX_CHARS, utf8Bytes } from "../../../src/core/web/output.ts";

describe("boundText", () => {
  test("keeps text within the byte bound, cutting on character boundaries", () => {
    expect(boundText("abcdef", 4)).toEqual({ text: "abcd", truncated: true });
    expect(boundText("abc", 3)).toEqual({ text: "abc", truncated: false });
    expect(boundText("ééé", 5)).toEqual({ text: "éé", truncated: true }); // 2 bytes each
    expect(boundText("a😀b", 4)).toEqual({ text: "a", truncated: true }); // never half a surrogate pair
    expect(boundText("a😀b", 5)).toEqual({ text: "a😀", truncated: true });
  });

  test("and within the line bound", () => {
    expect(boundText("1\n2\n3\n4", 100, 2)).toEqual({ text: "1\n2", truncated: true });
    expect(boundText("1\n2", 100, 2)).toEqual({ text: "1\n2", truncated: false });
  });

  test("any string: the result is a prefix within both bounds", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.integer({ min: 0, max: 64 }), fc.integer({ min: 1, max: 8 }), (s, bytes, lines) => {
        const r = boundText(s, bytes, lines);
        expect(s.startsWith(r.text)).toBe(true);
        expect(utf8Bytes(r.text)).toBeLessThanOrEqual(bytes);
        expect(r.text.split("\n").length).toBeLessThanOrEqual(lines);
        expect(r.truncated).toBe(r.text !== s);
      }),
      { numRuns: 200 },
    );
  }, 60_000);
});

describe("formatSearch", () => {
  const hit = { site_name: "Bun", title: "Bun docs", url: "https://bun.sh/docs", snippet: "Fast JS runtime", content: "", date: "2026-01-02" };

  test("title, site, date, URL and snippet of each hit, numbered, separated", () => {
    const out = formatSearch("bun", [hit, { ...hit, title: "", site_name: "", date: "", url: "https://x.example/" }]);
    expect(out).toBe(
      'Kimi web search: 2 results for "bun". Cite the URLs you rely on.\n\n' +
        "1. Bun docs\nSite: Bun\nDate: 2026-01-02\nURL: https://bun.sh/docs\nSnippet: Fast JS runtime\n\n---\n\n" +
        "2. https://x.example/\nURL: https://x.example/\nSnippet: Fast JS runtime",
    );
  });

  test("page content follows its hit when present; fields of the wrong type are ignored", () => {
    const out = formatSearch("bun", [{ ...hit, content: "Full text.", date: 5 as unknown as string }]);
    expect(out).toContain("Snippet: Fast JS runtime\n\nFull text.");
    expect(out).not.toContain("Date:");
  });

  test("nothing found is said so", () => {
    expect(formatSearch("zzz", [])).toBe('Kimi web search found nothing for "zzz". Try other words.');
  });

  test("a long snippet is cut to its bound; one huge page cannot crowd out the other hits", () => {
    const out = formatSearch("q", [
      { ...hit, snippet: "s".repeat(SNIPPET_MAX_CHARS + 500), content: "x".repeat(200_000) },
      { ...hit, title: "Second" },
    ]);
    expect(out).toContain(`Snippet: ${"s".repeat(SNIPPET_MAX_CHARS)}…\n`);
    expect(out).toContain("[Page content truncated.]");
    expect(out).toContain("2. Second");
    expect(utf8Bytes(out)).toBeLessThanOrEqual(OUTPUT_MAX_BYTES);
  });
});

describe("formatPage", () => {
  test("says what it is and where it came from", () => {
    expect(formatPage("https://a.example/", "# Hi\n", "text/markdown; charset=utf-8")).toBe(
      "Content of https://a.example/ (markdown, main content extracted by Kimi's fetch service):\n\n# Hi",
    );
    expect(formatPage("https://a.example/", "plain", "text/plain")).toContain("(text, ");
  });

  test("an empty page is explained", () => {
    expect(formatPage("https://a.example/", "  \n", "text/markdown")).toContain("returned no content for https://a.example/");
  });

  test("a long page is cut within the bounds and the cut is marked", () => {
    const many = formatPage("https://a.example/", "x\n".repeat(5000), "text/markdown");
    expect(many.split("\n").length).toBeLessThanOrEqual(OUTPUT_MAX_LINES);
    expect(many).toEndWith("[Truncated: the page is 10 KiB; only the first 32 KiB (at most 1000 lines) are shown.]");
    const big = formatPage("https://a.example/", "語".repeat(40_000), "text/plain");
    expect(utf8Bytes(big)).toBeLessThanOrEqual(OUTPUT_MAX_BYTES);
    expect(big).toContain("[Truncated: the page is 118 KiB;");
  });
});
