// The identity object the rest of the plugin uses: the headers of the active profile (profiles.ts) for
// each kind of call. A profile's X-Msh mechanism (host facts, the device id file, Python `platform`
// emulation) is imported only when that profile first sends X-Msh headers, so the default `opencode`
// identity never loads it.
import type { IdentityName } from "../../config/options.ts";
import { log } from "../../support/log.ts";
import { PROFILES, profileHeaders, type CallKind, type MshClient, type MshScheme, type Profile } from "./profiles.ts";
import type { HostFacts } from "./kimi-cli/python-platform.ts";

export interface Identity {
  name: IdentityName;
  /** Completes "requests went out as …": "opencode's own User-Agent", "kimi-cli 1.49.0". */
  description: string;
  profile: Readonly<Profile>;
  /**
   * Headers to set on a call of this kind (a fresh object each time, User-Agent first). Under
   * "opencode", chat gives {} (the caller's User-Agent is kept). Never rejects for the PROFILES table
   * (host facts and the device id fall back instead of failing; test/identity.test.ts checks the table).
   */
  headers(kind: CallKind): Promise<Record<string, string>>;
}

export interface IdentityOptions {
  /** Where kimi-cli keeps device_id; read only when the profile sends X-Msh headers. */
  kimiShareDir: string;
  /** Where kimi-code keeps device_id ($KIMI_CODE_HOME or ~/.kimi-code); read only by the kimi-code profile. */
  kimiCodeHome?: string;
  /** Tests: fixed host facts instead of this machine's. */
  facts?: HostFacts;
  /** Tests: fixed device id instead of reading/creating `<kimiShareDir>/device_id`. */
  deviceId?: string;
}

type MshComputer = (client: MshClient, inputs: IdentityOptions) => Promise<Record<string, string>>;

const MSH_SCHEMES: Readonly<Record<MshScheme, () => Promise<MshComputer>>> = {
  "kimi-cli": async () => (await import("./kimi-cli/msh-headers.ts")).mshHeaders,
  "kimi-code": async () => (await import("./kimi-code/msh-headers.ts")).mshHeaders,
};

/**
 * An identity for `name`. The X-Msh set is computed on first need and memoised; a profile that never
 * sends it never reads the host or the device id file.
 */
export function createIdentity(name: IdentityName, opts: IdentityOptions): Identity {
  const profile = PROFILES[name];
  let msh: Promise<Record<string, string>> | undefined;
  const mshHeaders = (): Promise<Record<string, string>> => {
    msh ??= (async () => {
      const client = profile.client;
      if (!client) throw new Error(`identity ${name}: a call kind sends X-Msh headers but no client is set`);
      const compute = await MSH_SCHEMES[client.scheme]();
      return compute(client, opts);
    })();
    return msh;
  };
  return {
    name,
    description: profile.description,
    profile,
    async headers(kind) {
      return profileHeaders(profile, kind, profile.calls[kind].msh ? await mshHeaders() : undefined);
    },
  };
}

/**
 * Sets `extra` on `headers` (Headers matches names case-insensitively, so a caller's `user-agent` is
 * replaced, not duplicated). A value Headers rejects (e.g. containing CR/LF) is skipped with a warning
 * rather than thrown into the request path.
 */
export function applyIdentityHeaders(headers: Headers, extra: Record<string, string>): Headers {
  for (const [name, value] of Object.entries(extra)) {
    try {
      headers.set(name, value);
    } catch (err) {
      log("warn", `identity header ${name} has a value HTTP cannot carry; not sent`, {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
  return headers;
}
