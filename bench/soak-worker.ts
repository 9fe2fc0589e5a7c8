// One plugin process of the soak: a plugin on the shared auth.json sends streamed chat requests one
// after another until the deadline and appends one JSON line per request to its outcome file.
import { appendFileSync } from "node:fs";
import { setLogSink } from "../src/core/support/log.ts";
import { createHooks } from "../src/server/hooks.ts";
import { fakeOpencode } from "../test/helpers/fake-opencode.ts";
import { benchEnv, type FetchFn } from "./plugin-instance.ts";

const [home, oauthHost, apiBase, deadlineText, outFile, pauseText] = process.argv.slice(2) as [string, string, string, string, string, string];
const deadline = Number(deadlineText);
const pauseMs = Number(pauseText);
setLogSink((line) => appendFileSync(outFile, JSON.stringify({ log: line.slice(0, 300) }) + "\n"));
const env = benchEnv(home, apiBase, oauthHost);
const store = fakeOpencode(env.XDG_DATA_HOME!);
const hooks = await createHooks(store.input, {}, { env });
const { fetch: f } = (await hooks.auth!.loader!(store.getAuth as never, {} as never)) as { fetch: FetchFn };
const body = JSON.stringify({ model: "kimi-for-coding", stream: true, messages: [{ role: "user", content: "soak" }] });

while (Date.now() < deadline) {
  const t0 = performance.now();
  let line: Record<string, unknown>;
  try {
    const res = await f(`${apiBase}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "opencode/1.18.33" },
      body,
      signal: AbortSignal.timeout(120_000),
    });
    const text = await res.text();
    line = { status: res.status };
    if (!res.ok) line.type = (JSON.parse(text) as { error?: { type?: string } }).error?.type ?? "unknown";
    else if (!text.includes("[DONE]")) line.type = "incomplete-stream";
  } catch (error) {
    line = { status: 0, type: "network", message: String((error as Error).message).slice(0, 200) };
  }
  line.ms = performance.now() - t0;
  appendFileSync(outFile, JSON.stringify(line) + "\n");
  await Bun.sleep(pauseMs);
}
process.exit(0);
