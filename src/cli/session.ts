// A call with the stored login: a fresh token from the keeper (refreshed under the plugin's lock when
// due), and after a 401 one forced refresh and one retry, as the plugin's request path does.
import { KimiError } from "../core/support/errors.ts";
import { HttpError } from "../core/support/http.ts";
import type { Credential } from "../core/tokens/credential.ts";
import type { TokenKeeper } from "../core/tokens/keeper.ts";
import { readAuthFile, storedCredential } from "./auth-file.ts";
import { CliError } from "./cli-error.ts";
import { createKeeper, type Setup } from "./setup.ts";

export const LOGIN_ADVICE = "Run `kimi-code login` (or `opencode auth login`, then \"Kimi Code\").";

export const tokenOf = (c: Credential) => (c.type === "oauth" ? c.access : c.key);

/** The stored credential, or a CliError saying there is none (auth.json damage surfaces as its own CliError). */
export async function requireLogin(setup: Setup): Promise<Credential> {
  const read = await readAuthFile(setup.options.opencodeDataDir);
  const credential = storedCredential(read, setup.options.apiBase);
  if (!credential) throw new CliError(`No usable Kimi Code login is stored in ${read.path}.`, LOGIN_ADVICE);
  return credential;
}

function asCliError(error: unknown): unknown {
  if (error instanceof KimiError && error.kind === "login-required") return new CliError(error.message.replace(/ Run `opencode auth login`.*$/, ""), LOGIN_ADVICE);
  return error;
}

export async function withLogin<T>(setup: Setup, call: (c: Credential) => Promise<T>, keeper: TokenKeeper = createKeeper(setup)): Promise<T> {
  await requireLogin(setup);
  let credential: Credential;
  try {
    credential = await keeper.credential();
  } catch (error) {
    throw asCliError(error);
  }
  try {
    return await call(credential);
  } catch (error) {
    if (!(error instanceof HttpError && error.kind === "unauthorized" && credential.type === "oauth")) throw error;
  }
  try {
    credential = await keeper.forceRefresh(credential.access);
  } catch (error) {
    throw asCliError(error);
  }
  return call(credential);
}
