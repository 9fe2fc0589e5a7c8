// The auth loader against stored credentials that are broken in ways a user can cause (issue 8 F1,
// "also close": base spelling): recognised when loaded, answered with a clear final error, never sent.
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createHooks } from "../../src/server/hooks.ts";
import { setLogSink } from "../../src/core/support/log.ts";
import { fakeOpencode } from "../helpers/fake-opencode.ts";
import { tempDir } from "../helpers/tmp.ts";

const seen: string[] = [];
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(req) {
    seen.push(new URL(req.url).pathname);
    return Response.json({ id: "x", choices: [] });
  },
});
afterAll(() => server.stop(true));
const BASE = `http://127.0.0.1:${server.port}/coding/v1`;
const SECRET_TAIL = "SECRETTAIL0123456789abcdef";

async function world() {
  const home = await tempDir("okc-loader-");
  const env = {
    HOME: home,
    XDG_DATA_HOME: join(home, "data"),
    XDG_CACHE_HOME: join(home, "cache"),
    KIMI_SHARE_DIR: join(home, "kimi"),
    KIMI_CODE_OAUTH_HOST: `http://127.0.0.1:${server.port}`,
    KIMI_CODE_BASE_URL: BASE,
  };
  const store = fakeOpencode(env.XDG_DATA_HOME);
  const hooks = await createHooks(store.input, {}, { env });
  const load = async () => (await hooks.auth!.loader!(store.getAuth as never, {} as never)) as { fetch?: typeof fetch };
  return { store, load };
}

async function withLog<T>(fn: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const lines: string[] = [];
  const restore = setLogSink((line) => lines.push(line));
  try {
    return { value: await fn(), lines };
  } finally {
    restore();
  }
}

const chat = (f: typeof fetch, url = `${BASE}/chat/completions`) => f(url, { method: "POST", body: "{}" });

describe("F1: a stored key with a character HTTP cannot carry", () => {
  test("recognised by the loader (logged, no discovery sends it) and every request answers a final error", async () => {
    seen.length = 0;
    const { store, load } = await world();
    await store.set("kimi-for-coding-oauth", { type: "api", key: `sk-kimi-abcdefgh\u200b${SECRET_TAIL}`, metadata: { baseURL: BASE } });
    const { value: loaded, lines } = await withLog(load);
    expect(lines.some((l) => l.includes("invisible or invalid character") && l.includes("zero-width"))).toBe(true);
    for (const line of lines) expect(line).not.toContain(SECRET_TAIL);
    expect(typeof loaded.fetch).toBe("function");
    const res = await chat(loaded.fetch!);
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(text).toContain("Paste the key again");
    expect(text).not.toContain(SECRET_TAIL);
    expect(seen).toEqual([]);
  });
});

describe("a stored base spelled differently is the same base", () => {
  for (const spelling of ["trailing slash", "upper-case scheme and host", "dot segment"]) {
    test(spelling, async () => {
      seen.length = 0;
      const { store, load } = await world();
      const stored =
        spelling === "trailing slash"
          ? `${BASE}/`
          : spelling === "dot segment"
            ? `${BASE}/x/..`
            : BASE.replace("http://127.0.0.1", "HTTP://127.0.0.1");
      await store.set("kimi-for-coding-oauth", { type: "api", key: "sk-kimi-abcdefghijklmnop", metadata: { baseURL: stored } });
      const loaded = await load();
      const res = await chat(loaded.fetch!);
      expect(res.status).toBe(200);
      expect(seen).toContain("/coding/v1/chat/completions");
    });
  }
});
