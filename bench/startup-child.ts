// One fresh process of the start-up benchmark: imports the given node: built-ins first (those opencode
// has loaded before it loads plugins; "" for none), counts network calls, then times import + server()
// + the config hook of the given plugin entry, and prints {ms, network, providers} as one JSON line.
const [entry, cacheHome, apiBase, preload = ""] = process.argv.slice(2) as [string, string, string, string?];
for (const name of preload.split(",").filter(Boolean)) await import(name);
let network = 0;
const realFetch = globalThis.fetch;
globalThis.fetch = ((...args: Parameters<typeof fetch>) => {
  network++;
  return realFetch(...args);
}) as typeof fetch;
process.env.XDG_CACHE_HOME = cacheHome;
process.env.XDG_DATA_HOME = `${cacheHome}/data`;
process.env.HOME = cacheHome;
process.env.KIMI_CODE_BASE_URL = apiBase;
const input = { client: { app: { log: async () => ({}) }, auth: { set: async () => ({}) } } } as never;

const t0 = performance.now();
const mod = (await import(entry)) as { default: { server: (i: never, o?: unknown) => Promise<Record<string, unknown>> } };
const hooks = await mod.default.server(input, {});
const config = { provider: {} } as Record<string, unknown>;
if (typeof hooks.config === "function") await (hooks.config as (c: unknown) => Promise<void>)(config);
const ms = performance.now() - t0;
await Bun.sleep(50); // anything started in the background that would touch the network
console.log(JSON.stringify({ ms, network, providers: Object.keys(config.provider as object) }));
export {};
