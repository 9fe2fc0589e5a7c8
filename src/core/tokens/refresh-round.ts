// One round of refresh tries against the login server, and what a round that could not reach it costs
// the requests after it.
// - 429/5xx/network/no answer: 3 tries, 1 s then 2 s apart (kimi-cli oauth.py:525-546); a refusal
//   (401/403/invalid_grant, other 4xx) ends the round at once (refresh-failure.ts).
// - A round in which any try got no answer within OWN_CALL_TIMEOUT_MS cost at least 30 s (~93 s when
//   the server hangs): its error is final for opencode ("refresh-no-answer", a 400 free of opencode's
//   retry words), since opencode would otherwise retry the 503 silently five times and the user could
//   wait minutes for nothing. A round of quick failures stays a retryable 503 (a blip may pass).
// - After either, requests that need a refresh of the same refresh token fail at once with the same
//   error for REFRESH_COOLDOWN_MS (the keeper re-reads the store first, so another process's refresh
//   is still adopted); the first request after it runs a new round. The stored login is never touched.
import { REFRESH_ATTEMPTS, REFRESH_COOLDOWN_MS } from "../config/constants.ts";
import { KimiError, messages } from "../support/errors.ts";
import { HttpError } from "../support/http.ts";
import { log } from "../support/log.ts";
import type { TokenResponse } from "./credential.ts";
import { classifyRefreshFailure } from "./refresh-failure.ts";

export async function refreshWithRetries(grant: () => Promise<TokenResponse>, sleep: (ms: number) => Promise<void>): Promise<TokenResponse> {
  let lastError = "";
  let timedOut = false;
  for (let attempt = 0; attempt < REFRESH_ATTEMPTS; attempt++) {
    if (attempt > 0) await sleep(2 ** (attempt - 1) * 1000); // 1 s, 2 s
    try {
      return await grant();
    } catch (error) {
      const failure = classifyRefreshFailure(error);
      if (!failure.retry) throw failure.error;
      lastError = failure.detail;
      if (error instanceof HttpError && error.kind === "timeout") timedOut = true;
      log("warn", `token refresh attempt ${attempt + 1} failed`, { error: lastError });
    }
  }
  const detail = `${REFRESH_ATTEMPTS} tries: ${lastError}`;
  if (timedOut) throw new KimiError("refresh-no-answer", messages.refreshNoAnswer(detail));
  throw new KimiError("refresh-unavailable", messages.refreshUnavailable(detail));
}

/** The last round that could not reach the login server, per refresh token, remembered for REFRESH_COOLDOWN_MS. */
export class UnreachableCoolDown {
  private last: { refresh: string; at: number; error: KimiError } | undefined;

  /** Remember `error` if it says the login server could not be reached. */
  note(refresh: string, error: unknown, now: number): void {
    if (error instanceof KimiError && (error.kind === "refresh-unavailable" || error.kind === "refresh-no-answer")) {
      this.last = { refresh, at: now, error };
    }
  }

  /** The error to fail with at once, while the cool-down for this refresh token lasts. */
  pending(refresh: string, now: number): KimiError | undefined {
    const last = this.last;
    if (!last) return undefined;
    // A clock set back does not stretch the cool-down: it ends when `now` leaves [at, at + cool-down).
    const lasts = now >= last.at && now < last.at + REFRESH_COOLDOWN_MS;
    if (!lasts) this.last = undefined;
    return lasts && last.refresh === refresh ? last.error : undefined;
  }

  clear(): void {
    this.last = undefined;
  }
}
