// A stand-in for the parts of opencode the plugin touches, with opencode's own semantics:
// auth.json in $XDG_DATA_HOME/opencode, written 0600; entries decoded as opencode decodes them
// (unknown fields stripped, a non-integer `expires` makes the entry vanish; opencode-plugin-api.md §5);
// `getAuth()` re-reads the file on every call; `client.auth.set` replaces one entry.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { PluginInput } from "@opencode-ai/plugin";
import { PROVIDER_ID } from "../../src/core/config/constants.ts";

type Entry = Record<string, unknown>;

function decode(entry: unknown): Entry | undefined {
  if (!entry || typeof entry !== "object") return undefined;
  const e = entry as Entry;
  if (e.type === "oauth") {
    if (typeof e.access !== "string" || typeof e.refresh !== "string") return undefined;
    if (typeof e.expires !== "number" || !Number.isInteger(e.expires) || e.expires < 0) return undefined;
    const out: Entry = { type: "oauth", refresh: e.refresh, access: e.access, expires: e.expires };
    if (typeof e.accountId === "string") out.accountId = e.accountId;
    if (typeof e.enterpriseUrl === "string") out.enterpriseUrl = e.enterpriseUrl;
    return out;
  }
  if (e.type === "api" && typeof e.key === "string") {
    const out: Entry = { type: "api", key: e.key };
    if (e.metadata && typeof e.metadata === "object") out.metadata = e.metadata;
    return out;
  }
  return undefined;
}

export function fakeOpencode(dataHome: string) {
  const dir = join(dataHome, "opencode");
  const file = join(dir, "auth.json");
  let sets = 0;

  async function all(): Promise<Record<string, Entry>> {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(file, "utf8"));
    } catch {
      return {};
    }
    const out: Record<string, Entry> = {};
    for (const [k, v] of Object.entries((raw as Record<string, unknown>) ?? {})) {
      const d = decode(v);
      if (d) out[k] = d;
    }
    return out;
  }

  async function set(id: string, entry: Entry): Promise<void> {
    const next = { ...(await all()), [id.replace(/\/+$/, "")]: entry };
    await mkdir(dir, { recursive: true });
    const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    await writeFile(temp, JSON.stringify(next, null, 2), { mode: 0o600 });
    await rename(temp, file);
    sets++;
  }

  const client = {
    auth: {
      set: async (args: { path: { id: string }; body: Entry }) => {
        const d = decode(args.body);
        if (!d) return { error: { message: "invalid auth entry" } };
        await set(args.path.id, d); // the HTTP route decodes too: unknown fields are dropped
        return { data: true };
      },
    },
  };

  return {
    file,
    input: { client } as unknown as PluginInput,
    getAuth: async () => (await all())[PROVIDER_ID] as never,
    all,
    set,
    setCount: () => sets,
  };
}
