import { expect, test } from "bun:test";
import { readHead } from "../../../src/core/support/body-head.ts";

function chunked(parts: string[]): Response {
  const enc = new TextEncoder();
  return new Response(
    new ReadableStream({
      start(c) {
        for (const p of parts) c.enqueue(enc.encode(p));
        c.close();
      },
    }),
  );
}

test("a body within the limit: all of it as head, no rest", async () => {
  const { head, rest } = await readHead(chunked(["ab", "cd"]), 10);
  expect(new TextDecoder().decode(head)).toBe("abcd");
  expect(rest).toBeUndefined();
});

test("a longer body: the head is bounded, and rest gives the whole body back byte for byte", async () => {
  const parts = Array.from({ length: 50 }, (_, i) => `chunk-${i}-${"x".repeat(1000)}|`);
  const { head, rest } = await readHead(chunked(parts), 4096);
  expect(head.byteLength).toBeLessThan(4096 + 1100);
  expect(rest).toBeDefined();
  expect(await new Response(rest!).text()).toBe(parts.join(""));
});

test("no body at all", async () => {
  const { head, rest } = await readHead(new Response(null, { status: 404 }), 10);
  expect(head.byteLength).toBe(0);
  expect(rest).toBeUndefined();
});

test("cancelling the rest cancels the source", async () => {
  let cancelled = false;
  const res = new Response(
    new ReadableStream({
      pull(c) {
        c.enqueue(new Uint8Array(1024));
      },
      cancel() {
        cancelled = true;
      },
    }),
  );
  const { rest } = await readHead(res, 2048);
  await rest!.cancel();
  expect(cancelled).toBe(true);
});
