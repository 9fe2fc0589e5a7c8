// The TUI front door: `/kimi-usage` (alias `/kimi:usage`) and `/kimi-status` (alias `/kimi:status`)
// as commands in opencode's palette and slash menu, each opening opencode's own DialogAlert. Nothing
// here may throw into opencode: registration, every command and every dialog update catch.
import type { TuiPluginApi } from "@opencode-ai/plugin/tui";
import { log } from "../core/support/log.ts";
import { internalErrorText, STATUS_TITLE, statusText, USAGE_TITLE, usageLoading, usageText, type DialogText } from "./dialog-text.ts";
import { createKimiCalls, type CallsSeams, type KimiCalls } from "./kimi-calls.ts";

/** The slice of opencode's TUI API this plugin uses (opencode ≥ 1.18.33; older shapes are detected). */
export type TuiApi = Pick<TuiPluginApi, "ui"> & {
  state?: { readonly config?: { plugin?: unknown } };
  keymap?: Partial<Pick<TuiPluginApi["keymap"], "registerLayer">>;
  command?: TuiPluginApi["command"];
};

export interface KimiCommand {
  name: string;
  title: string;
  desc: string;
  slash: string;
  aliases: string[];
  run: () => Promise<void>;
}

const CATEGORY = "Kimi Code";

/** Shows `text` unless the user closed our dialog meanwhile (then a late answer stays hidden). */
function dialogShower(api: TuiApi) {
  let generation = 0;
  return () => {
    const mine = ++generation;
    let closed = false;
    return (text: DialogText) => {
      if (closed || mine !== generation) return;
      api.ui.dialog.replace(
        () => api.ui.DialogAlert({ title: text.title, message: text.message }),
        () => {
          closed = true;
        },
      );
    };
  };
}

export function kimiCommands(api: TuiApi, calls: KimiCalls, now: () => number = Date.now): KimiCommand[] {
  const open = dialogShower(api);
  const guarded = (title: string, body: (show: (t: DialogText) => void) => Promise<void>) => async () => {
    let show: (t: DialogText) => void = () => {};
    try {
      show = open();
      await body(show);
    } catch (error) {
      log("error", `${title} failed`, { error: (error as Error)?.message ?? String(error) });
      try {
        show(internalErrorText(title, error));
      } catch {
        // the dialog itself failed: nothing more to do without risking opencode
      }
    }
  };
  return [
    {
      name: "kimi.usage",
      title: "Kimi Code usage",
      desc: "Kimi Code quota: 5-hour window, week, month",
      slash: "kimi-usage",
      aliases: ["kimi:usage"],
      run: guarded(USAGE_TITLE, async (show) => {
        show(usageLoading());
        show(usageText(await calls.usage(), now()));
      }),
    },
    {
      name: "kimi.status",
      title: "Kimi Code status",
      desc: "Kimi Code login, region, token expiry, identity, models",
      slash: "kimi-status",
      aliases: ["kimi:status"],
      run: guarded(STATUS_TITLE, async (show) => show(statusText(await calls.status(), now()))),
    },
  ];
}

/**
 * Registers the commands with `api.keymap.registerLayer` (opencode 1.18.33), else the legacy
 * `api.command.register`. Returns how they were registered, or "none" on an opencode without either.
 */
export function registerCommands(api: TuiApi, commands: KimiCommand[]): "keymap" | "command" | "none" {
  if (typeof api.keymap?.registerLayer === "function") {
    api.keymap.registerLayer({
      commands: commands.map((c) => ({
        // opencode's slash menu lists palette commands with a slashName (its legacy adapter does the same)
        namespace: "palette",
        name: c.name,
        title: c.title,
        desc: c.desc,
        category: CATEGORY,
        slashName: c.slash,
        slashAliases: c.aliases,
        run: () => void c.run(),
      })),
    } as never);
    return "keymap";
  }
  if (typeof api.command?.register === "function") {
    api.command.register(() =>
      commands.map((c) => ({
        title: c.title,
        value: c.name,
        description: c.desc,
        category: CATEGORY,
        slash: { name: c.slash, aliases: c.aliases },
        onSelect: () => void c.run(),
      })),
    );
    return "command";
  }
  return "none";
}

/**
 * The server plugin's options from opencode.json (as the TUI sees opencode's config), so region,
 * identity and base URL need not be repeated in tui.json; undefined when there are none.
 */
export function serverPluginOptions(config: { plugin?: unknown } | undefined): unknown {
  const list = Array.isArray(config?.plugin) ? (config.plugin as unknown[]) : [];
  for (const entry of list) {
    if (!Array.isArray(entry) || typeof entry[0] !== "string") continue;
    if (/opencode-kimi-code|[\\/]src[\\/]server[\\/]index\.ts$/.test(entry[0])) return entry[1];
  }
  return undefined;
}

/** Calls built on first use, when opencode's config is known: tui.json options, else the server's. */
function lazyCalls(api: TuiApi, options: unknown, seams: CallsSeams): KimiCalls {
  let calls: KimiCalls | undefined;
  const get = () => (calls ??= createKimiCalls(options ?? serverPluginOptions(api.state?.config), seams));
  return {
    get options() {
      return get().options;
    },
    get identity() {
      return get().identity;
    },
    usage: () => get().usage(),
    status: () => get().status(),
  };
}

/** The `tui` function opencode calls. Never rejects. */
export async function startTui(api: TuiApi, options: unknown, seams: CallsSeams = {}): Promise<void> {
  try {
    const calls = lazyCalls(api, options, seams);
    const how = registerCommands(api, kimiCommands(api, calls, seams.now));
    if (how === "none") log("warn", "this opencode has no TUI command API; /kimi-usage and /kimi-status are unavailable (needs opencode ≥ 1.18.33)");
  } catch (error) {
    log("error", "the Kimi Code TUI commands could not be registered", { error: (error as Error)?.message ?? String(error) });
  }
}
