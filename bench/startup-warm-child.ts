// The start-up benchmark inside one warm process, as opencode is when it loads plugins: the runtime's
// built-ins, file system and JSON/URL machinery already in use. Each run imports a fresh copy of the
// plugin's directory (a new module instance whose code has never run), then runs server() and the
// config hook; runs alternate with fresh copies of an empty plugin. Then, for the plugin, what the
// first turn loads on demand: the auth loader (an API-key login), chat.params and one request, whose
// network answer is replaced by an immediate one. Prints {a, b, firstTurn, network} as JSON.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [pluginDir, pluginEntry, emptyDir, emptyEntry, home, apiBase, pairsArg, preload = ""] = process.argv.slice(2) as string[];
for (const name of preload.split(",").filter(Boolean)) await import(name);
let network = 0;
let turn = false;
const realFetch = globalThis.fetch;
globalThis.fetch = ((...args: Parameters<typeof fetch>) => {
  if (turn) return Promise.resolve(new Response("{}", { headers: { "content-type": "application/json" } }));
  network++;
  return realFetch(...args);
}) as typeof fetch;
const API_KEY = "sk-kimi-bench-0000000000000000";
Object.assign(process.env, { XDG_CACHE_HOME: home, XDG_DATA_HOME: `${home}/data`, HOME: home, KIMI_CODE_BASE_URL: apiBase });
const input = { client: { app: { log: async () => ({}) }, auth: { set: async () => ({}) } } } as never;
const work = mkdtempSync(join(tmpdir(), "okc-bench-warm-"));
let copies = 0;

type Hooks = Record<string, unknown> & { auth?: { loader?: (get: () => Promise<unknown>, p: unknown) => Promise<{ fetch?: typeof fetch }> } };
let lastHooks: Hooks = {};

async function timedStart(dir: string, entry: string): Promise<number> {
  const copy = join(work, `c${copies++}`);
  cpSync(dir, copy, { recursive: true });
  const t0 = performance.now();
  const mod = (await import(join(copy, entry))) as { default: { server: (i: never, o?: unknown) => Promise<Hooks> } };
  const hooks = await mod.default.server(input, {});
  if (typeof hooks.config === "function") await (hooks.config as (c: unknown) => Promise<void>)({ provider: {} });
  const ms = performance.now() - t0;
  lastHooks = hooks;
  return ms;
}

/** The first turn's on-demand part for the hooks of the last start (no network: answers are immediate). */
async function timedFirstTurn(hooks: Hooks): Promise<number> {
  turn = true;
  try {
    const t0 = performance.now();
    const loaded = await hooks.auth!.loader!(async () => ({ type: "api", key: API_KEY }), {});
    const params = { options: {} as Record<string, unknown> };
    const chatParams = hooks["chat.params"] as (i: unknown, o: unknown) => Promise<void>;
    await chatParams({ sessionID: "ses_bench", agent: "build", model: { providerID: "kimi-for-coding-oauth", id: "kimi-for-coding", variants: {} }, message: {} }, params);
    const res = await loaded.fetch!(`${apiBase}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    await res.text();
    return performance.now() - t0;
  } finally {
    turn = false;
  }
}

try {
  // Warm-up: the first starts pay what opencode has paid before it loads any plugin.
  for (let i = 0; i < 3; i++) {
    await timedStart(emptyDir!, emptyEntry!);
    await timedStart(pluginDir!, pluginEntry!);
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < Number(pairsArg); i++) {
    if (i % 2 === 0) {
      a.push(await timedStart(emptyDir!, emptyEntry!));
      b.push(await timedStart(pluginDir!, pluginEntry!));
    } else {
      b.push(await timedStart(pluginDir!, pluginEntry!));
      a.push(await timedStart(emptyDir!, emptyEntry!));
    }
  }
  const firstTurn: number[] = [];
  for (let i = 0; i < Math.min(b.length, 10); i++) {
    await timedStart(pluginDir!, pluginEntry!);
    firstTurn.push(await timedFirstTurn(lastHooks));
  }
  await Bun.sleep(50); // anything started in the background that would touch the network
  console.log(JSON.stringify({ a, b, firstTurn, network }));
} finally {
  rmSync(work, { recursive: true, force: true });
}
