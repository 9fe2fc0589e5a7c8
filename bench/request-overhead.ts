// What the plugin adds to one request, next to bare fetch against the same loopback server: request
// bodies of 2 KB, 200 KB and 2 MB, time to the first SSE chunk, and memory after many requests.
import { alternate, summarisePairs, summarise, type PairedSummary, type Summary } from "./stats.ts";
import { benchPlugin, type FetchFn } from "./plugin-instance.ts";

/** The headers opencode's AI SDK puts on a real turn (test/e2e/NOTES.md). */
const OPENCODE_HEADERS = {
  "content-type": "application/json",
  "user-agent": "opencode/1.18.33 ai-sdk/provider-utils/4.0.23 runtime/bun/1.3.14",
  "x-session-id": "ses_bench0000000000000000000000",
  "x-session-affinity": "ses_bench0000000000000000000000",
  authorization: "Bearer ",
};

const SSE_CHUNK = `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: "hi" } }] })}\n\n`;

function startServer() {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      await req.arrayBuffer();
      if (new URL(req.url).searchParams.has("sse")) {
        const enc = new TextEncoder();
        const body = new ReadableStream({
          start(c) {
            c.enqueue(enc.encode(SSE_CHUNK));
            setTimeout(() => {
              c.enqueue(enc.encode("data: [DONE]\n\n"));
              c.close();
            }, 1);
          },
        });
        return new Response(body, { headers: { "content-type": "text/event-stream" } });
      }
      return Response.json({ id: "c", choices: [{ message: { content: "ok" } }] });
    },
  });
}

function chatBody(bytes: number): string {
  const filler = "x".repeat(Math.max(0, bytes - 120));
  return JSON.stringify({ model: "kimi-for-coding", stream: false, messages: [{ role: "user", content: filler }] });
}

async function timeFull(f: FetchFn, url: string, body: string): Promise<number> {
  const t0 = performance.now();
  const res = await f(url, { method: "POST", headers: OPENCODE_HEADERS, body });
  await res.arrayBuffer();
  return performance.now() - t0;
}

async function timeFirstChunk(f: FetchFn, url: string, body: string): Promise<number> {
  const t0 = performance.now();
  const res = await f(url, { method: "POST", headers: OPENCODE_HEADERS, body });
  const reader = res.body!.getReader();
  await reader.read();
  const t = performance.now() - t0;
  while (!(await reader.read()).done) {
    // drain
  }
  return t;
}

/**
 * The plugin's own work per request, without a network: the loader's fetch over an inner fetch that
 * answers at once, next to calling that inner fetch directly; `rounds` × `calls` calls per side.
 */
async function ownWork(rounds: number, calls: number): Promise<PairedSummary> {
  const base = "http://127.0.0.1:9/coding/v1";
  const url = `${base}/chat/completions`;
  const answered = (async () => new Response("ok")) as unknown as typeof fetch;
  const plugin = await benchPlugin(base, undefined, undefined, answered);
  const body = chatBody(2_048);
  const perCall = async (f: FetchFn) => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await f(url, { method: "POST", headers: OPENCODE_HEADERS, body });
    return (performance.now() - t0) / calls;
  };
  try {
    await alternate(3, () => perCall(answered), () => perCall(plugin.fetch));
    const r = await alternate(rounds, () => perCall(answered), () => perCall(plugin.fetch));
    return summarisePairs(r.a, r.b);
  } finally {
    await plugin.close();
  }
}

export interface RequestBenchResult {
  /** Per call, averaged over a round of calls; no network (see ownWork). */
  ownWork: PairedSummary;
  bodies: { label: string; result: PairedSummary }[];
  firstChunk: PairedSummary;
  memory: { requests: number; heapUsed: number; rss: number }[];
  heapGrowth: Summary | undefined;
}

export async function runRequestBench(opts: { pairs: number; memoryCheckpoints: number[] }): Promise<RequestBenchResult> {
  const own = await ownWork(Math.max(5, Math.round(opts.pairs / 100)), 2_000);
  const server = startServer();
  const base = `http://127.0.0.1:${server.port}/coding/v1`;
  const url = `${base}/chat/completions`;
  const plugin = await benchPlugin(base);
  const bare: FetchFn = (i, init) => fetch(i, init);
  try {
    const bodies: RequestBenchResult["bodies"] = [];
    for (const [label, size] of [["2 KB", 2_048], ["200 KB", 204_800], ["2 MB", 2_097_152]] as const) {
      const body = chatBody(size);
      await alternate(Math.max(20, opts.pairs / 10), () => timeFull(bare, url, body), () => timeFull(plugin.fetch, url, body));
      const r = await alternate(opts.pairs, () => timeFull(bare, url, body), () => timeFull(plugin.fetch, url, body));
      bodies.push({ label, result: summarisePairs(r.a, r.b) });
    }
    const sseBody = chatBody(2_048);
    const sseUrl = `${url}?sse=1`;
    await alternate(20, () => timeFirstChunk(bare, sseUrl, sseBody), () => timeFirstChunk(plugin.fetch, sseUrl, sseBody));
    const sse = await alternate(opts.pairs, () => timeFirstChunk(bare, sseUrl, sseBody), () => timeFirstChunk(plugin.fetch, sseUrl, sseBody));

    const memory: RequestBenchResult["memory"] = [];
    const small = chatBody(2_048);
    let sent = 0;
    for (const checkpoint of opts.memoryCheckpoints) {
      while (sent < checkpoint) {
        const batch = Math.min(100, checkpoint - sent);
        await Promise.all(Array.from({ length: batch }, () => timeFull(plugin.fetch, url, small)));
        sent += batch;
      }
      Bun.gc(true);
      const m = process.memoryUsage();
      memory.push({ requests: sent, heapUsed: m.heapUsed, rss: m.rss });
    }
    const first = memory[0];
    const last = memory[memory.length - 1];
    const heapGrowth = first && last && last !== first ? summarise([last.heapUsed - first.heapUsed]) : undefined;
    return { ownWork: own, bodies, firstChunk: summarisePairs(sse.a, sse.b), memory, heapGrowth };
  } finally {
    await plugin.close();
    server.stop(true);
  }
}
