// One "opencode process" for the cross-process test: loads the plugin with its own fake opencode
// client on the shared auth.json, waits for the go signal file, sends one chat, prints the outcome.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createHooks } from "../../src/server/hooks.ts";
import { fakeOpencode } from "./fake-opencode.ts";

const [home, oauthHost, apiBase, goFile] = process.argv.slice(2) as [string, string, string, string];
const env = {
  HOME: home,
  XDG_DATA_HOME: join(home, "data"),
  XDG_CACHE_HOME: join(home, "cache"),
  KIMI_SHARE_DIR: join(home, "kimi"),
  KIMI_CODE_OAUTH_HOST: oauthHost,
  KIMI_CODE_BASE_URL: apiBase,
};
const store = fakeOpencode(env.XDG_DATA_HOME);
const hooks = await createHooks(store.input, {}, { env });
const { fetch: f } = (await hooks.auth!.loader!(store.getAuth as never, {} as never)) as { fetch: typeof fetch };
for (let i = 0; i < 500 && !existsSync(goFile); i++) await Bun.sleep(10);
const res = await f(`${apiBase}/chat/completions`, {
  method: "POST",
  headers: { "user-agent": "opencode/1.18.33", "content-type": "application/json" },
  body: JSON.stringify({ model: "kimi-for-coding", messages: [{ role: "user", content: "hi" }] }),
});
console.log(JSON.stringify({ status: res.status, body: (await res.text()).slice(0, 300) }));
