// The token lifecycle inside the loader's fetch: hand out a fresh credential, refreshing when due.
// - one refresh in flight per process, shared by every concurrent request;
// - across processes, refresh under a lock file beside auth.json, and re-read the store inside it:
//   if another process already rotated the tokens, adopt theirs (kimi-cli oauth.py:959-1015);
// - 429/5xx/network: 3 tries, 1 s then 2 s apart (kimi-cli oauth.py:525-546); 401/403/invalid_grant:
//   re-read the store once more (another process may have won the race), else the user must log in;
// - a stored credential is only ever replaced by a newer, working one (kimi-cli 1.38.0 changelog).
import { REFRESH_ATTEMPTS, REFRESH_RETRYABLE_STATUS } from "../config/constants.ts";
import { KimiError, messages } from "../support/errors.ts";
import { HttpError, oauthError } from "../support/http.ts";
import { log } from "../support/log.ts";
import { credentialFromTokens, needsRefresh, type Credential, type OAuthCredential, type TokenResponse } from "./credential.ts";
import { withFileLock } from "./refresh-lock.ts";

export interface TokenKeeperDeps {
  /** Reads the stored credential afresh (opencode's getAuth re-reads auth.json on every call). */
  load: () => Promise<Credential | undefined>;
  /** Persists a refreshed credential (client.auth.set). */
  persist: (credential: OAuthCredential) => Promise<void>;
  /** One refresh-grant request against the OAuth host that issued tokens for `apiBase`. */
  refreshGrant: (refreshToken: string, apiBase: string) => Promise<TokenResponse>;
  lockPath: string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Called after every successful refresh by this process (e.g. to re-discover models). */
  onRefreshed?: (credential: OAuthCredential) => void;
  /** Lock tuning, for tests. */
  lockWaitMs?: number;
  lockStaleMs?: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class TokenKeeper {
  private current: Credential | undefined;
  private inflight: Promise<Credential> | undefined;
  /** A refresh token the server rejected: fail fast until the store holds another one. */
  private rejectedRefresh: string | undefined;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Refreshes this process performed (for diagnostics and tests). */
  refreshCount = 0;

  constructor(private readonly deps: TokenKeeperDeps) {
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? defaultSleep;
  }

  /** Forget the in-memory credential (e.g. after a new login); the next call re-reads the store. */
  reset(): void {
    this.current = undefined;
    this.rejectedRefresh = undefined;
  }

  /** A credential fit to use now. Hot path: no I/O unless a refresh is due. Throws KimiError. */
  async credential(): Promise<Credential> {
    if (!this.current) {
      this.current = await this.deps.load();
      if (!this.current) throw new KimiError("login-required", messages.loginRequired("no Kimi Code login is stored"));
    }
    const c = this.current;
    if (c.type === "api" || !needsRefresh(c, this.now())) return c;
    return this.refresh(c.access);
  }

  /** After a 401: refresh even if the token looks fresh, unless another process already did. */
  async forceRefresh(rejectedAccess: string): Promise<Credential> {
    if (this.current?.type === "api") return this.current;
    return this.refresh(rejectedAccess);
  }

  private refresh(staleAccess: string): Promise<Credential> {
    this.inflight ??= this.refreshUnderLock(staleAccess).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async refreshUnderLock(staleAccess: string): Promise<Credential> {
    const { value, locked } = await withFileLock(this.deps.lockPath, () => this.refreshLocked(staleAccess), {
      ...(this.deps.lockWaitMs !== undefined ? { waitMs: this.deps.lockWaitMs } : {}),
      ...(this.deps.lockStaleMs !== undefined ? { staleMs: this.deps.lockStaleMs } : {}),
    });
    if (!locked) log("warn", "refresh lock not acquired in time; refreshed without it", { lock: this.deps.lockPath });
    return value;
  }

  /** A stored credential another process rotated that we can use instead of refreshing. */
  private adoptable(stored: Credential | undefined, staleAccess: string): Credential | undefined {
    if (!stored) return undefined;
    if (stored.type === "api") return stored;
    if (stored.access === staleAccess) return undefined; // the same token we have: nothing new
    if (needsRefresh(stored, this.now())) return undefined;
    return stored; // fresh, and not the token that is due or was just rejected
  }

  private async refreshLocked(staleAccess: string): Promise<Credential> {
    const stored = await this.deps.load();
    const adopted = this.adoptable(stored, staleAccess);
    if (adopted) {
      this.current = adopted;
      this.rejectedRefresh = undefined;
      log("debug", "adopted tokens refreshed by another process");
      return adopted;
    }
    const base = stored?.type === "oauth" ? stored : this.current;
    if (!base || base.type !== "oauth") {
      throw new KimiError("login-required", messages.loginRequired("no Kimi Code login is stored"));
    }
    if (base.refresh === this.rejectedRefresh) {
      throw new KimiError("login-required", messages.loginRequired("the refresh token was rejected"));
    }

    let tokens: TokenResponse;
    try {
      tokens = await this.refreshWithRetries(base);
    } catch (error) {
      if (error instanceof KimiError && error.kind === "login-required") {
        // Another process may have rotated the token without our lock (its wait timed out), and
        // single-use refresh tokens then answer invalid_grant to the loser: look once more.
        await this.sleep(1000);
        const again = this.adoptable(await this.deps.load(), staleAccess);
        if (again) {
          this.current = again;
          return again;
        }
        this.rejectedRefresh = base.refresh;
      }
      throw error;
    }

    const fresh = credentialFromTokens(tokens, base.apiBase, this.now());
    this.current = fresh;
    this.rejectedRefresh = undefined;
    this.refreshCount++;
    try {
      await this.deps.persist(fresh);
    } catch (error) {
      log("error", "could not store the refreshed Kimi Code tokens; other opencode processes may need to log in again", {
        error: (error as Error).message,
      });
    }
    try {
      this.deps.onRefreshed?.(fresh);
    } catch {
      // a listener's failure is not the refresh's failure
    }
    return fresh;
  }

  private async refreshWithRetries(base: OAuthCredential): Promise<TokenResponse> {
    let lastError = "";
    for (let attempt = 0; attempt < REFRESH_ATTEMPTS; attempt++) {
      if (attempt > 0) await this.sleep(2 ** (attempt - 1) * 1000); // 1 s, 2 s
      try {
        return await this.deps.refreshGrant(base.refresh, base.apiBase);
      } catch (error) {
        const status = error instanceof HttpError ? error.status : undefined;
        lastError = (error as Error).message;
        if (status === 401 || status === 403 || isInvalidGrant(error)) {
          throw new KimiError("login-required", messages.loginRequired(lastError));
        }
        const retryable = status === undefined || REFRESH_RETRYABLE_STATUS.has(status);
        if (!retryable) throw new KimiError("refresh-unavailable", messages.refreshUnavailable(lastError));
        log("warn", `token refresh attempt ${attempt + 1} failed`, { error: lastError });
      }
    }
    throw new KimiError("refresh-unavailable", messages.refreshUnavailable(`${REFRESH_ATTEMPTS} tries: ${lastError}`));
  }
}

function isInvalidGrant(error: unknown): boolean {
  return error instanceof HttpError && oauthError(error.body).error === "invalid_grant";
}
