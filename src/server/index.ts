// The plugin entry. opencode rejects the whole module if any export is not a plugin
// (opencode-plugin-api.md §3: "Plugin export is not a function"), so this file has exactly one
// export; test/entry.test.ts guards it. A path plugin in this { id, server } form must carry `id`.
import type { PluginModule } from "@opencode-ai/plugin";
import { createHooks } from "./hooks.ts";

export default {
  id: "opencode-kimi-code",
  server: (input, options) => createHooks(input, options),
} satisfies PluginModule;
