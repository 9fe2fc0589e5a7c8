// `npm run demo`: the README's journey, end to end, with the real opencode binary against the local
// Kimi Code emulator. No account, no network (127.0.0.1 only), a throw-away opencode home: the
// user's own opencode data and ~/.kimi are never touched. Exits 0 on success, 1 with a reason on failure.
import { startEmulator, type RecordedRequest, type RunningEmulator } from "../emulator/index.ts";
import {
  cleanup,
  createHome,
  kimiEnv,
  killAllRuns,
  login,
  OPENCODE_BIN,
  OPENCODE_VERSION,
  PLUGIN_ENTRY,
  readAuth,
  runChat,
  runOpencode,
  stripAnsi,
  type OpencodeHome,
  type RunResult,
} from "./opencode-sandbox.ts";
import { existsSync, statSync } from "node:fs";

const PROVIDER = "kimi-for-coding-oauth";
const LOGIN_METHOD = "Kimi Code (device login)";
const MODEL = "kimi-for-coding";
const VARIANT = "high";
const PROMPT = "Say hello in one short sentence";
const STEP_TIMEOUT_MS = 90_000;

class DemoFailure extends Error {}

const started = Date.now();
let emu: RunningEmulator | undefined;
let home: OpencodeHome | undefined;
let tidied = false;

async function tidy(): Promise<void> {
  if (tidied) return;
  tidied = true;
  killAllRuns();
  if (home) cleanup(home);
  await emu?.stop();
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    void tidy().finally(() => process.exit(130));
  });
}

const say = (line = "") => process.stdout.write(line + "\n");
const indent = (text: string, pad = "    ") =>
  text
    .split("\n")
    .map((l) => (l.trim() ? pad + l : ""))
    .join("\n");

/** opencode's clack UI without colours, spinner frames and empty "│" rungs. */
function tidyClack(stdout: string): string {
  return stripAnsi(stdout)
    .replace(/(?:[◒◐◓◑] {2}[^◒◐◓◑◇\n]*)+/g, "")
    .split("\n")
    .filter((l) => l.trim() !== "" && l.trim() !== "│")
    .join("\n");
}

function check(result: RunResult, what: string): void {
  if (result.exitCode === 0 && !result.timedOut) return;
  const why = result.timedOut ? `timed out after ${Math.round(result.durationMs / 1000)} s` : `exited with ${result.exitCode}`;
  const output = stripAnsi(result.stderr + "\n" + result.stdout).trim();
  throw new DemoFailure(`${what} ${why}.${output ? "\nopencode printed:\n" + indent(output) : ""}`);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function isTitleRequest(r: RecordedRequest): boolean {
  return JSON.stringify((r.body as { messages?: unknown } | undefined)?.messages ?? "").includes("title generator");
}

async function main(): Promise<void> {
  if (!existsSync(OPENCODE_BIN)) throw new DemoFailure(`opencode is not installed (${OPENCODE_BIN}). Run \`npm ci\` first.`);

  emu = await startEmulator({ pollIntervalSec: 1, autoApproveAfterPolls: 1 });
  home = createHome({ prefix: "okc-demo-", plugins: [PLUGIN_ENTRY], env: kimiEnv(emu) });

  say(`opencode-kimi-code demo: opencode ${OPENCODE_VERSION} + this checkout's plugin, against the local Kimi Code emulator`);
  say(`  emulator: OAuth ${emu.oauthHost}, API ${emu.apiBase}`);
  say(`  opencode home: ${home.root} (temporary; deleted at the end)`);
  say();

  // 1. Login
  say(`1. opencode providers login -p ${PROVIDER} -m "${LOGIN_METHOD}"`);
  say(`   (the emulator approves the code as soon as the plugin polls, as you would in the browser)`);
  const loginRun = await login(home, PROVIDER, LOGIN_METHOD, { timeoutMs: STEP_TIMEOUT_MS });
  say(indent(tidyClack(loginRun.stdout)));
  check(loginRun, "Login");
  const entry = readAuth(home)?.[PROVIDER];
  if (entry?.type !== "oauth" || typeof entry.expires !== "number") {
    throw new DemoFailure(`Login reported success but auth.json has no oauth entry for ${PROVIDER}.`);
  }
  const mode = (statSync(home.authPath).mode & 0o777).toString(8).padStart(4, "0");
  say(`   auth.json: ${entry.type} entry, token valid for ${Math.round((entry.expires - Date.now()) / 60_000)} min, file mode ${mode}  (${seconds(loginRun.durationMs)})`);
  say();

  // 2. Models
  say(`2. opencode models ${PROVIDER}`);
  const modelsRun = await runOpencode(home, ["models", PROVIDER], { timeoutMs: STEP_TIMEOUT_MS });
  check(modelsRun, "Listing the models");
  const models = modelsRun.stdout.split("\n").map((l) => l.trim()).filter(Boolean);
  say(indent(models.join("\n")));
  if (!models.includes(`${PROVIDER}/${MODEL}`)) throw new DemoFailure(`${PROVIDER}/${MODEL} is not in the model list.`);
  say(`   (${models.length} models from the emulator's /models, no provider block in opencode.json; ${seconds(modelsRun.durationMs)})`);
  say();

  // 3. One chat turn with a reasoning variant
  const chatsBefore = emu.state.requestsTo("/coding/v1/chat/completions").length;
  const refreshesBefore = emu.state.refreshCount;
  say(`3. opencode run --model ${PROVIDER}/${MODEL} --variant ${VARIANT} --thinking "${PROMPT}"`);
  const chat = await runChat(home, `${PROVIDER}/${MODEL}`, PROMPT, {
    variant: VARIANT,
    extraArgs: ["--thinking"],
    timeoutMs: STEP_TIMEOUT_MS,
  });
  check(chat, "The chat turn");
  const reply = stripAnsi(chat.stdout).trim();
  if (!reply) throw new DemoFailure("opencode printed no reply.");
  say(indent(reply));
  say(`   (${seconds(chat.durationMs)})`);
  say();

  // What the emulator saw
  const sent = emu.state.requestsTo("/coding/v1/chat/completions").slice(chatsBefore);
  const main = sent.find((r) => !isTitleRequest(r));
  const title = sent.find(isTitleRequest);
  if (!main) throw new DemoFailure("The emulator recorded no chat request for the turn.");
  const body = (main.body ?? {}) as Record<string, unknown>;
  const h = main.headers;
  const msh = Object.keys(h).filter((n) => n.startsWith("x-msh-"));
  const sessionId = h["x-session-id"];
  const refreshes = emu.state.refreshCount - refreshesBefore;
  const variantFields = ["reasoning_effort", "thinking"]
    .filter((k) => body[k] !== undefined)
    .map((k) => `${k}: ${JSON.stringify(body[k])}`)
    .join(", ");
  say("What went over the wire (recorded by the emulator):");
  say(`    requests:          ${sent.length} × POST /coding/v1/chat/completions (${title ? "session title + the turn" : "the turn"})`);
  say(`    identity:          "opencode" profile, User-Agent: ${h["user-agent"] ?? "(none)"}; ${msh.length ? `X-Msh-*: ${msh.join(", ")}` : "no X-Msh-* headers"}`);
  say(`    authorization:     Bearer <the access token from the device login>${h["authorization"] === `Bearer ${String(entry.access)}` ? "" : " (NOT the stored one!)"}`);
  say(`    model:             ${String(body.model)}`);
  say(`    ${`variant "${VARIANT}":`.padEnd(19)}${variantFields || "(no reasoning fields)"} → the emulator ${main.chat?.thinking ? "thought" : "did not think"}`);
  if (title) {
    const tb = (title.body ?? {}) as Record<string, unknown>;
    say(`    title request:     thinking: ${JSON.stringify(tb.thinking ?? null)} (first variant, "off")`);
  }
  say(`    prompt_cache_key:  ${String(body.prompt_cache_key)}${body.prompt_cache_key === sessionId ? " (= opencode's session id)" : ` (session id is ${sessionId})`}`);
  say(`    token refreshed:   ${refreshes === 0 ? "no (still fresh)" : `yes, ${refreshes} time(s)`}`);
  say();

  const problems: string[] = [];
  if (h["user-agent"]?.startsWith("opencode/") !== true) problems.push("User-Agent is not opencode's");
  if (VARIANT === "high" && body.reasoning_effort !== "high") problems.push('reasoning_effort is not "high"');
  if (body.prompt_cache_key !== sessionId) problems.push("prompt_cache_key is not the session id");
  if (problems.length) throw new DemoFailure(`The request was not what the plugin promises: ${problems.join("; ")}.`);
}

let code = 0;
try {
  await main();
  say(`Demo finished in ${seconds(Date.now() - started)}; temporary home and emulator removed.`);
} catch (error) {
  code = 1;
  const message = error instanceof DemoFailure ? error.message : `unexpected error: ${(error as Error)?.stack ?? String(error)}`;
  process.stderr.write(`\nDemo FAILED: ${message}\n`);
} finally {
  await tidy();
}
process.exit(code);
