// The two login methods opencode offers for our provider (`opencode auth login` → Kimi Code).
import { API_KEY_PREFIX, API_KEY_HELP_URL, DEVICE_LOGIN_LABEL } from "../config/constants.ts";
import { pollForTokens, type DeviceFlowDeps } from "./device-flow.ts";
import { log } from "../support/log.ts";
import type { OAuthClient } from "./oauth-client.ts";
import { credentialFromTokens, type OAuthCredential } from "../tokens/credential.ts";

export interface DeviceLoginDeps {
  oauth: Pick<OAuthClient, "deviceAuthorization" | "pollDeviceToken" | "host">;
  apiBase: string;
  /** Runs after a successful login, before opencode stores it (model discovery); must not throw. */
  afterLogin?: (credential: OAuthCredential) => Promise<void>;
  /**
   * Stores the login under the refresh lock before opencode stores it too, so that a refresh of the
   * old login finishing in another process cannot overwrite the new one; must not throw.
   */
  storeLogin?: (credential: OAuthCredential) => Promise<void>;
  now?: () => number;
  sleep?: DeviceFlowDeps["sleep"];
}

type OAuthCallbackResult =
  | { type: "failed" }
  | { type: "success"; access: string; refresh: string; expires: number; enterpriseUrl: string };

/** RFC 8628 device login; `url` is the server's verification_uri_complete. */
export function deviceLoginMethod(deps: DeviceLoginDeps) {
  return {
    type: "oauth" as const,
    label: DEVICE_LOGIN_LABEL,
    async authorize() {
      let start;
      try {
        start = await deps.oauth.deviceAuthorization();
      } catch (error) {
        const message =
          `Could not start the Kimi Code login at ${deps.oauth.host}: ${(error as Error).message}. ` +
          `Check your network connection, VPN or proxy and the plugin's "region", then run the login again in a few minutes.`;
        log("error", message);
        return {
          url: "",
          instructions: message,
          method: "auto" as const,
          callback: async (): Promise<OAuthCallbackResult> => ({ type: "failed" }),
        };
      }
      const minutes = Math.max(1, Math.round(start.expiresIn / 60));
      return {
        url: start.verificationUriComplete,
        instructions: `Open the link and confirm the code ${start.userCode} (valid for ${minutes} min).`,
        method: "auto" as const,
        callback: async (): Promise<OAuthCallbackResult> => {
          try {
            const outcome = await pollForTokens(start, {
              client: deps.oauth,
              ...(deps.now ? { now: deps.now } : {}),
              ...(deps.sleep ? { sleep: deps.sleep } : {}),
            });
            if (!outcome.ok) {
              log("error", `Kimi Code login failed: ${outcome.message}`);
              return { type: "failed" };
            }
            const credential = credentialFromTokens(outcome.tokens, deps.apiBase, (deps.now ?? Date.now)());
            await deps.afterLogin?.(credential).catch((error: unknown) => {
              log("warn", "model discovery after login failed; the default model is used until it succeeds", {
                error: (error as Error).message,
              });
            });
            await deps.storeLogin?.(credential);
            // enterpriseUrl is the one free-form field opencode's auth store keeps for oauth entries:
            // it records which API base these tokens belong to.
            return {
              type: "success",
              access: credential.access,
              refresh: credential.refresh,
              expires: credential.expires,
              enterpriseUrl: credential.apiBase,
            };
          } catch (error) {
            log("error", `Kimi Code login failed: ${(error as Error).message}`);
            return { type: "failed" };
          }
        },
      };
    },
  };
}

/** Why a key cannot be a Kimi Code key, or undefined when it looks like one. */
export function apiKeyProblem(key: string): string | undefined {
  const k = key.trim();
  if (k.startsWith(API_KEY_PREFIX) && k.length > API_KEY_PREFIX.length + 8) return undefined;
  return `not a Kimi Code API key (those start with "${API_KEY_PREFIX}"); create one at ${API_KEY_HELP_URL}`;
}
