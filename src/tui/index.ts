// The TUI plugin entry (package.json export "./tui"; enabled by one line in tui.json, README). opencode
// loads TUI plugins separately from server plugins and a module cannot be both (`TuiPluginModule` has
// `server?: never`), so this file has exactly one export, as the server entry does (contract 1);
// test/tui/entry.test.ts guards it.
import type { TuiPluginModule } from "@opencode-ai/plugin/tui";
import { startTui } from "./plugin.ts";

export default {
  id: "opencode-kimi-code",
  tui: (api, options) => startTui(api, options),
} satisfies TuiPluginModule;
