// What every command starts from: the environment, opencode's config and this plugin's options in
// it, resolved exactly as the plugin resolves them (core/config/options.ts), the identity, and a
// token keeper on opencode's auth.json that refreshes under the plugin's own lock.
import { homedir } from "node:os";
import { oauthHostFor, resolveOptions, type ResolvedOptions } from "../core/config/options.ts";
import { OAuthClient } from "../core/login/oauth-client.ts";
import { KimiError, messages } from "../core/support/errors.ts";
import type { OAuthCredential } from "../core/tokens/credential.ts";
import { TokenKeeper } from "../core/tokens/keeper.ts";
import { createIdentity, type Identity } from "../core/wire/identity/identity.ts";
import { authPath, lockPath, readAuthFile, storedCredential, writeOwnEntry } from "./auth-file.ts";
import { readOpencodeConfig, type OpencodeConfig } from "./opencode-config.ts";

export type Env = Record<string, string | undefined>;

/** Where the process's outside world comes from; tests pass their own. */
export interface Io {
  env: Env;
  cwd: string;
  fetch: typeof fetch;
  out: (text: string) => void;
  err: (text: string) => void;
  /** stdout is a terminal (colour, progress lines). */
  isTTY: boolean;
  now: () => number;
  /** All of standard input (for `login --api-key`). */
  readStdin?: () => Promise<string>;
  stdinIsTTY?: boolean;
}

export interface Setup {
  io: Io;
  home: string;
  config: OpencodeConfig;
  options: ResolvedOptions;
  /** Where the identity profile in effect comes from. */
  identitySource: { from: "env" | "option" | "default"; detail: string };
  identity: Identity;
  authPath: string;
  lockPath: string;
}

function identitySource(env: Env, config: OpencodeConfig): Setup["identitySource"] {
  if (env.KIMI_CODE_IDENTITY?.trim()) return { from: "env", detail: "KIMI_CODE_IDENTITY" };
  const opts = config.plugin?.options;
  if (opts && typeof opts === "object" && "identity" in opts) {
    return { from: "option", detail: `plugin option "identity" in ${config.plugin!.source.path}` };
  }
  return { from: "default", detail: "the default" };
}

export function loadSetup(io: Io): Setup {
  const home = io.env.HOME || homedir();
  const config = readOpencodeConfig(io.env, io.cwd, home);
  const options = resolveOptions(config.plugin?.options, io.env);
  const identity = createIdentity(options.identity, { kimiShareDir: options.kimiShareDir, kimiCodeHome: options.kimiCodeHome });
  return {
    io,
    home,
    config,
    options,
    identitySource: identitySource(io.env, config),
    identity,
    authPath: authPath(options.opencodeDataDir),
    lockPath: lockPath(options.opencodeDataDir),
  };
}

/** The login server of logins for apiBase, as the plugin picks it (server/runtime.ts); a KimiError when none is known. */
export function oauthClient(setup: Setup, apiBase: string): OAuthClient {
  const host = oauthHostFor(apiBase, setup.options);
  if (!host) throw new KimiError("refresh-refused", messages.unknownLoginServer(apiBase, setup.options.apiBase));
  return new OAuthClient({ oauthHost: host, headers: setup.identity.headers, fetch: setup.io.fetch });
}

/** A keeper on auth.json: the same lock file, the same store re-read inside it, as the plugin. */
export function createKeeper(setup: Setup): TokenKeeper {
  const dataDir = setup.options.opencodeDataDir;
  return new TokenKeeper({
    load: async () => storedCredential(await readAuthFile(dataDir), setup.options.apiBase),
    persist: (credential: OAuthCredential) => writeOwnEntry(dataDir, credential),
    refreshGrant: (refreshToken, apiBase) => oauthClient(setup, apiBase).refresh(refreshToken),
    lockPath: setup.lockPath,
    now: setup.io.now,
  });
}
