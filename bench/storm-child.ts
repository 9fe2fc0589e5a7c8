// One "opencode process" of the cross-process refresh storm: a plugin on the shared auth.json waits
// for the go file, then sends `n` concurrent requests and prints {ok, failed, ms} as one JSON line.
import { existsSync } from "node:fs";
import { createHooks } from "../src/server/hooks.ts";
import { fakeOpencode } from "../test/helpers/fake-opencode.ts";
import { benchEnv, type FetchFn } from "./plugin-instance.ts";

const [home, oauthHost, apiBase, goFile, count] = process.argv.slice(2) as [string, string, string, string, string];
const env = benchEnv(home, apiBase, oauthHost);
const store = fakeOpencode(env.XDG_DATA_HOME!);
const hooks = await createHooks(store.input, {}, { env });
const { fetch: f } = (await hooks.auth!.loader!(store.getAuth as never, {} as never)) as { fetch: FetchFn };
console.log("ready");
for (let i = 0; i < 3000 && !existsSync(goFile); i++) await Bun.sleep(5);
const t0 = performance.now();
const statuses = await Promise.all(
  Array.from({ length: Number(count) }, async () => {
    const res = await f(`${apiBase}/models`, { headers: { "user-agent": "opencode/1.18.33" } });
    await res.arrayBuffer();
    return res.status;
  }),
);
console.log(JSON.stringify({ ok: statuses.filter((s) => s === 200).length, failed: statuses.filter((s) => s !== 200).length, ms: performance.now() - t0 }));
