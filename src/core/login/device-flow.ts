// RFC 8628 device authorization grant: the polling loop. kimi-cli keeps polling at a fixed interval
// on slow_down/access_denied (kimi-cli-wire.md §4.2); we follow the RFC instead, as kimi-code does
// (kimi-code packages/oauth/src/oauth.ts:198-210): slow_down adds 5 s for the rest of the flow,
// access_denied and expired_token end it, and the device code's expires_in bounds the whole wait.
import { MAX_POLL_INTERVAL_S, SLOW_DOWN_STEP_MS } from "../config/constants.ts";
import { deviceCodeLifetimeS, pollIntervalS } from "./device-answer.ts";
import type { DeviceAuthorization, OAuthClient } from "./oauth-client.ts";
import type { TokenResponse } from "../tokens/credential.ts";

export type DeviceFlowOutcome =
  | { ok: true; tokens: TokenResponse }
  | { ok: false; reason: "expired" | "denied" | "timeout" | "error"; message: string };

export interface DeviceFlowDeps {
  client: Pick<OAuthClient, "pollDeviceToken">;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Consecutive transient failures (network, 5xx, 429) tolerated before giving up. */
  maxTransientErrors?: number;
}

/** What ended the polling, and what to do: a server or network that kept failing passes; anything else needs an update. */
function pollFailure(what: string, inARow: number): string {
  return inARow > 0
    ? `${what} (${inARow} polls in a row); Kimi's login server or the network is failing for the moment: check your network connection, VPN or proxy, then run the login again in a few minutes`
    : `${what}; update opencode-kimi-code and opencode, then run the login again (if it keeps failing, report it to the plugin's maintainers)`;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function pollForTokens(start: DeviceAuthorization, deps: DeviceFlowDeps): Promise<DeviceFlowOutcome> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep;
  const maxTransient = deps.maxTransientErrors ?? 3;
  // Clamped again here (any caller's values reach setTimeout): kimi-cli oauth.py:652 polls no faster
  // than once a second, and a timer above 2^31-1 ms would fire at once.
  const deadline = now() + deviceCodeLifetimeS(start.expiresIn) * 1000;
  let intervalMs = pollIntervalS(start.interval) * 1000;
  let transientErrors = 0;

  for (;;) {
    const wait = Math.min(intervalMs, deadline - now());
    if (wait <= 0) break;
    await sleep(wait);
    if (now() >= deadline) break;

    const result = await deps.client.pollDeviceToken(start.deviceCode);
    if (result.kind !== "error") transientErrors = 0;
    switch (result.kind) {
      case "success":
        return { ok: true, tokens: result.tokens };
      case "pending":
        continue;
      case "slow_down":
        intervalMs = Math.min(intervalMs + SLOW_DOWN_STEP_MS, MAX_POLL_INTERVAL_S * 1000);
        continue;
      case "expired":
        return { ok: false, reason: "expired", message: "the device code expired before it was approved; run the login again" };
      case "denied":
        return { ok: false, reason: "denied", message: "the login was denied in the browser; run the login again and approve it" };
      case "error":
        if (result.transient && ++transientErrors <= maxTransient) continue;
        return { ok: false, reason: "error", message: pollFailure(result.message, result.transient ? transientErrors : 0) };
    }
  }
  return {
    ok: false,
    reason: "timeout",
    message: `the code ${start.userCode} was not approved within ${Math.round(start.expiresIn / 60)} min; run the login again`,
  };
}
