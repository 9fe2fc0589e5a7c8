// `kimi-code models`: the models opencode will list for this provider, built by the same code as the
// plugin's config hook (cached list or the default model → buildProviderBlock → merged with the
// user's provider block by applyProviderConfig), then filtered and ordered as opencode does.
import { PROVIDER_ID } from "../../core/config/constants.ts";
import { DEFAULT_MODELS, fetchModels } from "../../core/models/discovery.ts";
import { readModelCache, writeModelCache } from "../../core/models/model-cache.ts";
import {
  applyProviderConfig,
  buildProviderBlock,
  OPENCODE_COMPUTED_EFFORTS,
  opencodeComputesVariants,
  type ModelEntry,
  type ProviderBlock,
} from "../../core/models/provider-config.ts";
import { isRecord } from "../../core/support/http.ts";
import { readAuthFile } from "../auth-file.ts";
import { printJson, type Command, type RunContext } from "../command.ts";
import { requireLogin, tokenOf, withLogin } from "../session.ts";
import { localTime, relative } from "../ui.ts";

/**
 * Variants as opencode lists them: for ids it computes efforts for, its computed low/medium/high come
 * first and ours are merged over them (opencode-plugin-api.md §2; provider.ts:1503-1511), and every
 * variant marked `disabled: true` is dropped.
 */
export function visibleVariants(entry: ModelEntry): Record<string, Record<string, unknown>> {
  const ours = entry.variants ?? {};
  const merged: Record<string, Record<string, unknown>> = {};
  if (entry.reasoning && opencodeComputesVariants(entry.id)) for (const e of OPENCODE_COMPUTED_EFFORTS) merged[e] = { reasoningEffort: e };
  for (const [name, v] of Object.entries(ours)) merged[name] = { ...merged[name], ...v };
  return Object.fromEntries(Object.entries(merged).filter(([, v]) => v.disabled !== true));
}

/** The user's whitelist/blacklist, as opencode applies them to a provider's models. */
function listed(block: ProviderBlock): [string, ModelEntry][] {
  const white = Array.isArray(block.whitelist) ? (block.whitelist as unknown[]) : undefined;
  const black = Array.isArray(block.blacklist) ? (block.blacklist as unknown[]) : [];
  return Object.entries(block.models).filter(([id]) => (!white || white.includes(id)) && !black.includes(id));
}

/** Refreshes the cache from Kimi; a warning when that was not possible (`failed`: it went wrong). */
async function discover(ctx: RunContext): Promise<{ warning: string; failed: boolean } | undefined> {
  const { setup } = ctx;
  try {
    await requireLogin(setup);
  } catch {
    return { warning: "not logged in: showing what opencode shows before the first login", failed: false };
  }
  try {
    const found = await withLogin(setup, async (c) => ({
      apiBase: c.apiBase,
      models: await fetchModels({ apiBase: c.apiBase, token: tokenOf(c), headers: await setup.identity.headers("api"), fetch: setup.io.fetch }),
    }));
    await writeModelCache(setup.options.cacheDir, found.apiBase, found.models, setup.io.now());
    return undefined;
  } catch (error) {
    return { warning: `could not ask Kimi Code for the list (${(error as Error).message}); showing the cached list`, failed: true };
  }
}

function modelLine(id: string, m: ModelEntry, ctx: RunContext): string {
  const variants = Object.keys(visibleVariants(m));
  const input = Array.isArray(m.modalities?.input) ? m.modalities.input.join("+") : "text";
  const facts = [`context ${m.limit?.context ?? "?"}`, `output ${m.limit?.output ?? "?"}`, `input ${input}`];
  if (m.tool_call === false) facts.push("no tools");
  const head = `  ${ctx.style.bold(id)}${m.name && m.name !== id ? `  ${m.name}` : ""}`;
  return `${head}\n    ${facts.join(", ")}\n    variants: ${variants.length ? variants.join(", ") : "none (no reasoning)"}`;
}

export const models: Command = {
  name: "models",
  summary: "the models opencode lists for Kimi Code: limits, modalities, variants",
  description:
    "Asks Kimi Code for the entitled models (GET /models), updates the plugin's cache (which opencode\n" +
    "reads at its next start), and shows them exactly as the plugin hands them to opencode, merged with\n" +
    "your opencode config's provider block. --offline shows the cached list without asking.",
  options: { offline: { type: "boolean", description: "do not ask Kimi Code; show the cached list" } },
  async run(ctx) {
    const { setup } = ctx;
    await readAuthFile(setup.options.opencodeDataDir); // a damaged auth.json is reported, never worked around
    const problem = ctx.flags.offline ? undefined : await discover(ctx);
    const warning = problem?.warning;
    const exitCode = problem?.failed ? 1 : 0;
    const cached = await readModelCache(setup.options.cacheDir, setup.options.apiBase);
    const list = cached?.models.length ? cached.models : [...DEFAULT_MODELS];
    const config: Record<string, unknown> = { provider: { [PROVIDER_ID]: setup.config.providerBlock } };
    if (setup.config.providerBlock === undefined) config.provider = {};
    applyProviderConfig(config, buildProviderBlock({ models: list, apiBase: setup.options.apiBase, identity: setup.options.identity }));
    const block = (isRecord(config.provider) ? config.provider[PROVIDER_ID] : undefined) as ProviderBlock;
    const entries = listed(block);
    const source = cached?.models.length ? "cache" : "default";
    if (ctx.json) {
      printJson(ctx, {
        provider: PROVIDER_ID,
        baseURL: block.options.baseURL,
        source,
        fetchedAt: cached ? new Date(cached.fetchedAt).toISOString() : null,
        warning: warning ?? null,
        models: entries.map(([id, m]) => ({ ...m, id, variants: visibleVariants(m) })),
      });
      return exitCode;
    }
    if (warning) ctx.note(`kimi-code: ${warning}`);
    const when = cached ? `fetched ${localTime(new Date(cached.fetchedAt))} (${relative(new Date(cached.fetchedAt), setup.io.now())})` : "built-in default, no list fetched yet";
    const lines = [ctx.style.bold(`Kimi Code models in opencode (${PROVIDER_ID}/…)`) + ctx.style.dim(`  ${when}`)];
    for (const [id, m] of entries) lines.push(modelLine(id, m, ctx));
    ctx.print(lines.join("\n"));
    return exitCode;
  },
};
