// The plugin's own HTTP helpers against hostile servers (issue 8 F12, F1, redirects): bounded reads,
// no redirect followed, header values HTTP cannot carry refused without quoting them.
import { afterAll, describe, expect, test } from "bun:test";
import { createServer } from "node:net";
import { describe as describeError, getJson, HttpError, readBody } from "../../../src/core/support/http.ts";
import * as constants from "../../../src/core/config/constants.ts";

// Through the namespace (with the documented values as fallback) so this file loads on older code too.
const limits = constants as unknown as Record<string, number | undefined>;
const MAX_ERROR_BODY_BYTES = limits.MAX_ERROR_BODY_BYTES ?? 64 * 1024;
const MAX_JSON_BODY_BYTES = limits.MAX_JSON_BODY_BYTES ?? 2 * 1024 * 1024;

const CHUNK = 64 * 1024;
// 64 MiB offered. The server side pulls ahead of the client (socket buffers), so the count only shows
// that the client stopped: reading it all pulls every chunk.
const TOTAL_CHUNKS = 1024;
let pulled = 0;
let hitsElsewhere = 0;
let answer: (req: Request) => Response = () => new Response("{}");

/** A body of TOTAL_CHUNKS chunks produced on demand, counting how many the client pulled. */
function bigBody(status: number, first = "", contentType = "application/json"): Response {
  pulled = 0;
  const filler = new TextEncoder().encode("x".repeat(CHUNK));
  return new Response(
    new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(first));
      },
      pull(c) {
        if (++pulled > TOTAL_CHUNKS) c.close();
        else c.enqueue(filler);
      },
    }),
    { status, headers: { "content-type": contentType } },
  );
}

const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => answer(req) });
const elsewhere = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: () => {
    hitsElsewhere++;
    return Response.json({ data: [] });
  },
});
afterAll(() => {
  server.stop(true);
  elsewhere.stop(true);
});
const BASE = `http://127.0.0.1:${server.port}/coding/v1`;
const make = (m: string, k: ConstructorParameters<typeof HttpError>[1], s?: number) => new HttpError(m, k, s);

async function caught(p: Promise<unknown>): Promise<HttpError> {
  const e = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(e).toBeInstanceOf(HttpError);
  return e as HttpError;
}

describe("bounded reads", () => {
  test("readBody stops at its cap on an endless error body and cancels the rest", async () => {
    answer = () => bigBody(401, '{"error":{"message":"');
    const res = await fetch(`${BASE}/chat/completions`);
    const body = await readBody(res);
    expect(typeof body).toBe("string");
    expect((body as string).length).toBeLessThanOrEqual(MAX_ERROR_BODY_BYTES);
    expect(pulled).toBeLessThan(TOTAL_CHUNKS);
  });

  test("readBody still parses a small JSON error body", async () => {
    answer = () => Response.json({ error: { message: "bad" } }, { status: 401 });
    expect(await readBody(await fetch(BASE))).toEqual({ error: { message: "bad" } });
  });

  test("getJson refuses a body over its cap with a clear error, without reading it all", async () => {
    answer = () => bigBody(200, '{"data":["');
    const e = await caught(getJson("/models", { apiBase: BASE, token: "sk-kimi-abcdefghijklmnop" }, make));
    expect(e.kind).toBe("too-large");
    expect(e.message).toContain(`more than ${MAX_JSON_BODY_BYTES / 1024} KiB`);
    expect(pulled).toBeLessThan(TOTAL_CHUNKS);
  });
});

describe("redirects are not followed", () => {
  test("getJson: a 302 to another server is an error, the other server sees nothing", async () => {
    hitsElsewhere = 0;
    answer = () => new Response(null, { status: 302, headers: { location: `http://127.0.0.1:${elsewhere.port}/models` } });
    const e = await caught(getJson("/models", { apiBase: BASE, token: "sk-kimi-abcdefghijklmnop" }, make));
    expect(e.kind).toBe("redirect");
    expect(e.message).toContain("redirect");
    expect(hitsElsewhere).toBe(0);
  });
});

describe("header values HTTP cannot carry", () => {
  test("a token with a zero-width space: refused before sending, the token not in the message", async () => {
    const token = "sk-kimi-abcd\u200bSECRETTAIL0123456789";
    const e = await caught(getJson("/models", { apiBase: BASE, token }, make));
    expect(e.kind).toBe("header");
    expect(e.message).toContain("zero-width");
    expect(e.message).not.toContain("SECRETTAIL");
  });

  test("an identity header with an inner newline: refused, naming the header, not the value", async () => {
    const e = await caught(
      getJson("/models", { apiBase: BASE, token: "sk-kimi-abcdefghijklmnop", headers: { "X-Msh-Device-Id": "abc\ndef-VALUE" } }, make),
    );
    expect(e.kind).toBe("header");
    expect(e.message).toContain("X-Msh-Device-Id");
    expect(e.message).not.toContain("VALUE");
  });
});

describe("network errors in words", () => {
  test("a connection reset reads as the runtime's cause, without its developer hint (issue 14 §2)", async () => {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as { port: number }).port;
      const error = await fetch(`http://127.0.0.1:${port}/`).then(() => undefined, (e: unknown) => e);
      const text = describeError(error);
      expect(text.length).toBeGreaterThan(0);
      expect(text).not.toMatch(/verbose|second argument to fetch/i);
    } finally {
      server.close();
    }
  });
});
