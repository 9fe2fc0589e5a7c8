// `kimi-code doctor`: a checklist to paste into a bug report, each line ok / warn / fail with the fix.
// Exit status 1 when any line fails.
import { loginFacts } from "../account.ts";
import { KimiError } from "../../core/support/errors.ts";
import type { Credential } from "../../core/tokens/credential.ts";
import { printJson, type Command, type RunContext } from "../command.ts";
import { authCheck, configChecks, opencodeCheck, type Check } from "../doctor-local.ts";
import { chatProbe, headerCheck, hostChecks, type Route } from "../doctor-remote.ts";
import { createKeeper } from "../setup.ts";
import { mark, wrap } from "../ui.ts";
import { PLUGIN_VERSION } from "../../core/config/constants.ts";

async function gather(ctx: RunContext): Promise<Check[]> {
  const { setup } = ctx;
  const checks: Check[] = [];
  const opencode = await opencodeCheck(setup);
  checks.push(opencode, ...configChecks(setup));
  const version = /^opencode (\S+) at/.exec(opencode.text)?.[1];
  const facts = await loginFacts(setup); // a damaged auth.json stops here with its own message
  checks.push(...authCheck(setup, facts));

  let credential: Credential | undefined;
  const keeper = createKeeper(setup);
  if (facts.credential) {
    try {
      credential = await keeper.credential();
      if (credential.type === "oauth" && facts.credential.type === "oauth" && credential.access !== facts.credential.access) {
        checks.push({ id: "token", level: "ok", text: "the access token was due and has been refreshed (under opencode's refresh lock)" });
      }
    } catch (error) {
      const message = error instanceof KimiError ? error.message : (error as Error).message;
      checks.push({ id: "token", level: "fail", text: `the token could not be refreshed: ${message}`, fix: "Run `kimi-code login`." });
    }
  }
  checks.push(...(await hostChecks(setup, facts.apiBase, credential)));
  if (credential) {
    checks.push(await headerCheck(setup, credential, version));
    if (ctx.flags.probe !== false && !ctx.flags["no-probe"]) checks.push(...(await routeProbes(setup, keeper, credential, version)));
  } else {
    checks.push({ id: "chat", level: "fail", text: "no chat probe: no usable login", fix: "Run `kimi-code login`." });
  }
  return checks;
}

/**
 * Both of Kimi's chat routes are probed (issue 11): the one in use decides pass or fail; the other only
 * says whether switching would help (a warning, never a failure).
 */
async function routeProbes(setup: RunContext["setup"], keeper: ReturnType<typeof createKeeper>, credential: Credential, version: string | undefined): Promise<Check[]> {
  const inUse: Route = setup.options.protocol === "anthropic" ? "anthropic" : "openai";
  const other: Route = inUse === "openai" ? "anthropic" : "openai";
  const mainProbe = await chatProbe(setup, keeper, credential, version, inUse);
  const altProbe = await chatProbe(setup, keeper, credential, version, other);
  const main = mainProbe.check;
  const alt = altProbe.check;
  const option = `protocol: "${other}"`;
  if (alt.level === "ok") {
    return [main, { ...alt, level: main.level === "ok" ? "info" : "warn", fix: `The ${other} route works for this account: set the plugin option ${option} (or KIMI_CODE_PROTOCOL=${other}).` }];
  }
  if (main.level !== "ok" && altProbe.errorType && altProbe.errorType === mainProbe.errorType) {
    // The same refusal on both routes (a used-up quota, a blocked account): switching would not help.
    return [main, { id: alt.id, level: "info", text: `the ${other} route gives the same answer (${altProbe.errorType}): switching routes would not help` }];
  }
  return [main, { ...alt, level: main.level === "ok" ? "info" : "warn", text: `${alt.text} (the route not in use)` }];
}

function render(checks: Check[], ctx: RunContext): string {
  const lines = [ctx.style.bold(`kimi-code doctor (opencode-kimi-code ${PLUGIN_VERSION})`)];
  for (const c of checks) {
    lines.push(`${mark(c.level, ctx.style)}  ${c.text}`);
    for (const l of c.lines ?? []) lines.push(`        ${l}`);
    if (c.fix && c.level !== "ok" && c.level !== "info") lines.push(`        ${ctx.style.dim("fix:")} ${wrap(c.fix, 92, "             ")}`);
  }
  const fails = checks.filter((c) => c.level === "fail").length;
  const warns = checks.filter((c) => c.level === "warn").length;
  lines.push(fails ? ctx.style.red(`${fails} failed, ${warns} warning(s).`) : warns ? ctx.style.yellow(`No failures, ${warns} warning(s).`) : ctx.style.green("All checks passed."));
  return lines.join("\n");
}

export const doctor: Command = {
  name: "doctor",
  summary: "check everything between opencode and Kimi Code, with the fix for each problem",
  description:
    "Checks opencode and its version, the plugin line in the config opencode loads, the stored login,\n" +
    "both hosts, the clock, the headers sent, and sends a one-token chat through the plugin's own request\n" +
    "path (--no-probe skips it). Exit status 1 when any check fails.",
  options: { "no-probe": { type: "boolean", description: "skip the one-token chat" } },
  async run(ctx) {
    const checks = await gather(ctx);
    const ok = !checks.some((c) => c.level === "fail");
    if (ctx.json) printJson(ctx, { ok, version: PLUGIN_VERSION, checks });
    else ctx.print(render(checks, ctx));
    return ok ? 0 : 1;
  },
};
