// The start-up benchmark inside one warm process, as opencode is when it loads plugins: the runtime's
// built-ins, file system and JSON/URL machinery already in use. Each run imports a fresh copy of the
// plugin's directory (a new module instance whose code has never run), then runs server() and the
// config hook; runs alternate with fresh copies of an empty plugin. Prints {a, b, network} as JSON.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [pluginDir, pluginEntry, emptyDir, emptyEntry, home, apiBase, pairsArg, preload = ""] = process.argv.slice(2) as string[];
for (const name of preload.split(",").filter(Boolean)) await import(name);
let network = 0;
const realFetch = globalThis.fetch;
globalThis.fetch = ((...args: Parameters<typeof fetch>) => {
  network++;
  return realFetch(...args);
}) as typeof fetch;
Object.assign(process.env, { XDG_CACHE_HOME: home, XDG_DATA_HOME: `${home}/data`, HOME: home, KIMI_CODE_BASE_URL: apiBase });
const input = { client: { app: { log: async () => ({}) }, auth: { set: async () => ({}) } } } as never;
const work = mkdtempSync(join(tmpdir(), "okc-bench-warm-"));
let copies = 0;

async function timedStart(dir: string, entry: string): Promise<number> {
  const copy = join(work, `c${copies++}`);
  cpSync(dir, copy, { recursive: true });
  const t0 = performance.now();
  const mod = (await import(join(copy, entry))) as { default: { server: (i: never, o?: unknown) => Promise<Record<string, unknown>> } };
  const hooks = await mod.default.server(input, {});
  if (typeof hooks.config === "function") await (hooks.config as (c: unknown) => Promise<void>)({ provider: {} });
  return performance.now() - t0;
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
  await Bun.sleep(50); // anything started in the background that would touch the network
  console.log(JSON.stringify({ a, b, network }));
} finally {
  rmSync(work, { recursive: true, force: true });
}
