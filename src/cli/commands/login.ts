// `kimi-code login`: the device login in the terminal (the same RFC 8628 flow and the same auth.json
// entry as the plugin's login method in opencode: type oauth, integer `expires`, API base in
// `enterpriseUrl`), or with --api-key a Kimi Code API key read from stdin. Written atomically, 0600,
// under the plugin's refresh lock, so a running opencode never interleaves a refresh with it.
import { PROVIDER_ID } from "../../core/config/constants.ts";
import { apiKeyProblem } from "../../core/login/auth-methods.ts";
import { pollForTokens } from "../../core/login/device-flow.ts";
import { fetchModels } from "../../core/models/discovery.ts";
import { writeModelCache } from "../../core/models/model-cache.ts";
import { HttpError } from "../../core/support/http.ts";
import { credentialFromTokens, type Credential } from "../../core/tokens/credential.ts";
import { withFileLock } from "../../core/tokens/refresh-lock.ts";
import { readAuthFile, writeOwnEntry } from "../auth-file.ts";
import { CliError } from "../cli-error.ts";
import { printJson, type Command, type RunContext } from "../command.ts";
import { oauthClient } from "../setup.ts";
import { tokenOf } from "../session.ts";

const DISCOVERY_TIMEOUT_MS = 10_000;

async function deviceLogin(ctx: RunContext): Promise<Credential> {
  const { setup } = ctx;
  const oauth = oauthClient(setup, setup.options.apiBase);
  let start;
  try {
    start = await oauth.deviceAuthorization();
  } catch (error) {
    throw new CliError(`Could not start the Kimi Code login at ${oauth.host}: ${(error as Error).message}.`, "Check your network connection and the region (`kimi-code doctor`).");
  }
  const minutes = Math.max(1, Math.round(start.expiresIn / 60));
  ctx.note(`Open this link and confirm the code ${ctx.style.bold(start.userCode)} (valid for ${minutes} min):\n  ${start.verificationUriComplete}\nWaiting for the confirmation…`);
  const outcome = await pollForTokens(start, { client: oauth });
  if (!outcome.ok) throw new CliError(`Kimi Code login failed: ${outcome.message}.`);
  return credentialFromTokens(outcome.tokens, setup.options.apiBase, setup.io.now());
}

async function apiKeyLogin(ctx: RunContext): Promise<Credential> {
  const { setup } = ctx;
  if (!setup.io.readStdin) throw new CliError("No standard input to read the API key from.");
  if (setup.io.stdinIsTTY) ctx.note("Paste your Kimi Code API key and press Enter (or pipe it in):");
  const key = (await setup.io.readStdin()).split(/\r?\n/)[0]?.trim() ?? "";
  const problem = apiKeyProblem(key);
  if (problem) throw new CliError(`That is ${problem}.`, "Pipe the key in: `kimi-code login --api-key < keyfile`.", 1);
  return { type: "api", key, apiBase: setup.options.apiBase };
}

/** GET /models with the new login: proves it works and fills the cache opencode starts from. */
async function discover(ctx: RunContext, c: Credential): Promise<string | undefined> {
  const { setup } = ctx;
  try {
    const list = await fetchModels({ apiBase: c.apiBase, token: tokenOf(c), headers: await setup.identity.headers("api"), fetch: setup.io.fetch, timeoutMs: DISCOVERY_TIMEOUT_MS });
    await writeModelCache(setup.options.cacheDir, c.apiBase, list, setup.io.now());
    return undefined;
  } catch (error) {
    if (c.type === "api" && error instanceof HttpError && error.kind === "unauthorized") {
      throw new CliError(`Kimi Code rejected this API key (${error.message}); nothing was stored.`, "Create a current key at https://www.kimi.com/code/console.");
    }
    return (error as Error).message;
  }
}

export const login: Command = {
  name: "login",
  summary: "log in with the device flow (or --api-key from stdin); stored where opencode reads it",
  description:
    "Writes the same auth.json entry as `opencode auth login` → Kimi Code (atomically, mode 0600), leaving\n" +
    "every other provider's entry as it is. With --api-key the key is read from standard input, never\n" +
    "from the command line (it would end up in your shell history).",
  options: { "api-key": { type: "boolean", description: "store a Kimi Code API key read from stdin instead" } },
  async run(ctx) {
    const { setup } = ctx;
    await readAuthFile(setup.options.opencodeDataDir); // a damaged file stops us before anything is sent
    const credential = ctx.flags["api-key"] ? await apiKeyLogin(ctx) : await deviceLogin(ctx);
    const discoveryProblem = await discover(ctx, credential);
    const { locked } = await withFileLock(setup.lockPath, () => writeOwnEntry(setup.options.opencodeDataDir, credential));
    if (!locked) ctx.note("kimi-code: the refresh lock was busy for a minute; stored without it.");
    const result = {
      loggedIn: true,
      type: credential.type,
      provider: PROVIDER_ID,
      apiBase: credential.apiBase,
      authFile: setup.authPath,
      expiresAt: credential.type === "oauth" ? new Date(credential.expires).toISOString() : null,
      modelDiscovery: discoveryProblem ? `failed: ${discoveryProblem}` : "ok",
      pluginConfigured: setup.config.plugin !== undefined,
    };
    if (ctx.json) {
      printJson(ctx, result);
      return 0;
    }
    const lines = [ctx.style.green(`Logged in to Kimi Code (${credential.type === "oauth" ? "device login" : "API key"}, ${credential.apiBase}).`), `Stored in ${setup.authPath}; opencode uses it from its next start.`];
    if (discoveryProblem) lines.push(ctx.style.yellow(`The model list could not be fetched (${discoveryProblem}); opencode shows the default model until it can.`));
    if (!setup.config.plugin) lines.push(ctx.style.yellow('opencode does not load this plugin yet: add "opencode-kimi-code" to "plugin" in your opencode.json (see `kimi-code doctor`).'));
    ctx.print(lines.join("\n"));
    return 0;
  },
};
