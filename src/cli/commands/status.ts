// `kimi-code status`: the stored login, region, token expiry, identity and cached models, read from
// disk only (no network, no refresh).
import { cacheFacts, loginFacts, type CacheFacts, type LoginFacts } from "../account.ts";
import { printJson, type Command, type RunContext } from "../command.ts";
import { localTime, redactToken, relative, row } from "../ui.ts";

function loginLine(f: LoginFacts, ctx: RunContext): string {
  const s = ctx.style;
  if (!f.present) return s.red("not logged in");
  if (!f.credential) return s.red(`stored entry unusable: ${f.problems.join("; ")}`);
  return f.credential.type === "oauth" ? "OAuth (device login)" : `API key ${redactToken(f.credential.key)}`;
}

function expiryLine(f: LoginFacts, ctx: RunContext): string {
  const at = f.expiresAt!;
  const now = ctx.setup.io.now();
  const when = `${localTime(at)} (${relative(at, now)})`;
  return at.getTime() <= now ? ctx.style.yellow(`${when}, expired; refreshed on next use`) : when;
}

function modelsLine(c: CacheFacts, ctx: RunContext): string {
  if (!c.fetchedAt) return ctx.style.yellow("none cached yet (opencode shows the default model until discovery runs)");
  const age = `${localTime(c.fetchedAt)} (${relative(c.fetchedAt, ctx.setup.io.now())})`;
  return `${c.count} cached, fetched ${age}${c.stale ? ctx.style.yellow(", due for refresh") : ""}`;
}

function human(ctx: RunContext, f: LoginFacts, c: CacheFacts): void {
  const { setup, style: s } = ctx;
  const lines = [s.bold("Kimi Code status"), row("login", loginLine(f, ctx)), row("auth file", f.authPath)];
  lines.push(row("region", `${f.region} (API base ${f.apiBase})`));
  if (f.expiresAt) {
    lines.push(row("token expires", expiryLine(f, ctx)));
    lines.push(row("refresh token", f.refreshTokenPresent ? "present" : s.red("missing")));
  }
  const id = setup.identity;
  lines.push(row("identity", `${id.name}: requests go out as ${id.description} (${setup.identitySource.detail})`));
  lines.push(row("models", modelsLine(c, ctx)));
  const plugin = setup.config.plugin;
  lines.push(row("plugin line", plugin ? `${plugin.spec} in ${plugin.source.path}` : s.yellow("not found in any opencode config (run `kimi-code doctor`)")));
  for (const w of setup.options.warnings) lines.push(row("warning", s.yellow(w)));
  ctx.print(lines.join("\n"));
}

export const status: Command = {
  name: "status",
  summary: "login, region, token expiry, identity and cached models (no network)",
  description:
    "Reads opencode's auth.json and config and this plugin's model cache; sends nothing.\n" +
    "Exit status 1 when no usable Kimi Code login is stored.",
  options: {},
  async run(ctx) {
    const f = await loginFacts(ctx.setup);
    const c = await cacheFacts(ctx.setup, f.apiBase);
    const now = ctx.setup.io.now();
    if (ctx.json) {
      const { setup } = ctx;
      printJson(ctx, {
        loggedIn: f.credential !== undefined,
        login: {
          present: f.present,
          type: f.credential?.type ?? null,
          problems: f.problems,
          authFile: f.authPath,
          region: f.region,
          apiBase: f.apiBase,
          expiresAt: f.expiresAt?.toISOString() ?? null,
          expiresInSeconds: f.expiresAt ? Math.round((f.expiresAt.getTime() - now) / 1000) : null,
          refreshToken: f.refreshTokenPresent ?? null,
        },
        identity: { name: setup.identity.name, description: setup.identity.description, source: setup.identitySource.from, detail: setup.identitySource.detail },
        models: {
          cached: c.count,
          ids: c.ids,
          fetchedAt: c.fetchedAt?.toISOString() ?? null,
          ageSeconds: c.fetchedAt ? Math.round((now - c.fetchedAt.getTime()) / 1000) : null,
          stale: c.stale,
        },
        plugin: setup.config.plugin ? { spec: setup.config.plugin.spec, configFile: setup.config.plugin.source.path } : null,
        warnings: setup.options.warnings,
      });
    } else {
      human(ctx, f, c);
    }
    return f.credential ? 0 : 1;
  },
};
