// A real plugin instance for benchmarks: the server entry's hooks over a throw-away opencode data dir
// holding one OAuth login for `apiBase`, and the loader's fetch opencode would get.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_MODELS } from "../src/core/models/model.ts";
import { writeModelCache } from "../src/core/models/model-cache.ts";
import { createHooks } from "../src/server/hooks.ts";
import { fakeOpencode } from "../test/helpers/fake-opencode.ts";
import { snapshot } from "../scripts/secrets-snapshot.ts";

export type FetchFn = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

export interface BenchPlugin {
  fetch: FetchFn;
  home: string;
  close(): Promise<void>;
}

/** A JWT-shaped access token (unsigned) valid for `lifetimeSec` from now. */
export function benchJwt(lifetimeSec = 3600): string {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  return `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ iat: now, exp: now + lifetimeSec, sub: "bench" })}.sig`;
}

export function benchEnv(home: string, apiBase: string, oauthHost = "http://127.0.0.1:9"): Record<string, string> {
  return {
    HOME: home,
    XDG_DATA_HOME: join(home, "data"),
    XDG_CACHE_HOME: join(home, "cache"),
    KIMI_SHARE_DIR: join(home, "kimi"),
    KIMI_CODE_OAUTH_HOST: oauthHost,
    KIMI_CODE_BASE_URL: apiBase,
  };
}

export async function benchPlugin(
  apiBase: string,
  entry?: Record<string, unknown>,
  oauthHost?: string,
  innerFetch?: typeof fetch,
): Promise<BenchPlugin> {
  const home = await mkdtemp(join(tmpdir(), "okc-bench-"));
  const env = benchEnv(home, apiBase, oauthHost);
  const store = fakeOpencode(env.XDG_DATA_HOME!);
  // A warm model cache: no discovery in the background while the benchmark runs.
  await writeModelCache(join(env.XDG_CACHE_HOME!, "opencode-kimi-code"), apiBase, [...DEFAULT_MODELS]);
  await store.set(
    "kimi-for-coding-oauth",
    entry ?? { type: "oauth", access: benchJwt(), refresh: "bench-refresh", expires: Date.now() + 3_600_000, enterpriseUrl: apiBase },
  );
  const hooks = await createHooks(store.input, {}, { env, ...(innerFetch ? { fetch: innerFetch } : {}) });
  const loaded = (await hooks.auth!.loader!(store.getAuth as never, {} as never)) as { fetch?: FetchFn };
  if (!loaded.fetch) throw new Error("bench: the loader returned no fetch");
  const close = async () => {
    snapshot(home); // `npm run secrets` only
    await rm(home, { recursive: true, force: true });
    // A background discovery or save still running may write into the home again; remove it once more.
    await Bun.sleep(250);
    await rm(home, { recursive: true, force: true });
  };
  return { fetch: loaded.fetch, home, close };
}
