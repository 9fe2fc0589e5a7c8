// `kimi-code logout`: removes this provider's auth.json entry and nothing else, under the refresh lock
// (a refresh in flight in opencode must not write the login back after it was removed).
import { PROVIDER_ID } from "../../core/config/constants.ts";
import { withFileLock } from "../../core/tokens/refresh-lock.ts";
import { readAuthFile, writeOwnEntry } from "../auth-file.ts";
import { printJson, type Command } from "../command.ts";

export const logout: Command = {
  name: "logout",
  summary: "remove the Kimi Code login from opencode's auth.json (other providers untouched)",
  description: "Only the \"kimi-for-coding-oauth\" entry is removed; the file is rewritten atomically, mode 0600.",
  options: {},
  async run(ctx) {
    const { setup } = ctx;
    const dataDir = setup.options.opencodeDataDir;
    const removed = await withFileLock(setup.lockPath, async () => {
      const read = await readAuthFile(dataDir);
      if (!(PROVIDER_ID in read.entries)) return false;
      await writeOwnEntry(dataDir, undefined);
      return true;
    });
    if (ctx.json) printJson(ctx, { loggedOut: true, removed: removed.value, authFile: setup.authPath });
    else ctx.print(removed.value ? `Removed the Kimi Code login from ${setup.authPath}.` : `No Kimi Code login was stored in ${setup.authPath}; nothing to do.`);
    return 0;
  },
};
