// The token lifecycle inside the loader's fetch: hand out a fresh credential, refreshing when due.
// - one refresh in flight per process, shared by every concurrent request; a request that is
//   aborted stops waiting for it at once, the refresh goes on for the others;
// - across processes, refresh under a lock file beside auth.json, and re-read the store inside it:
//   if another process already rotated the tokens, adopt theirs (kimi-cli oauth.py:959-1015);
// - 429/5xx/network: 3 tries, 1 s then 2 s apart (kimi-cli oauth.py:525-546); 401/403/invalid_grant:
//   re-read the store once more (another process may have won the race), else the user must log in;
//   every final refusal is remembered: that refresh token is not sent again until the store changes;
//   a login server out of reach is remembered for a cool-down (refresh-round.ts);
// - the store is the user's word: no entry means logged out (no refresh, no write-back); an entry
//   that changed while a refresh was out (a new login) wins over our rotation of the old one;
// - a rotation whose save failed stays in use, and its save is retried, so a transient write
//   failure never costs a login (the store still holds the spent refresh token);
// - a stored credential is only ever replaced by a newer, working one (kimi-cli 1.38.0 changelog).
import { REFRESH_GRACE_MARGIN_MS, STORE_RECHECK_MS } from "../config/constants.ts";
import { KimiError, messages } from "../support/errors.ts";
import { log } from "../support/log.ts";
import { untilAborted } from "../support/abort.ts";
import { credentialFromTokens, needsRefresh, refreshDueAt, tokenTiming, type Credential, type OAuthCredential, type TokenResponse } from "./credential.ts";
import { refreshWithRetries, UnreachableCoolDown } from "./refresh-round.ts";
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

/** A rotation the store does not hold yet: `over` is the stored refresh token it replaces. */
interface Unsaved {
  credential: OAuthCredential;
  over: string;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function sameEntry(a: Credential, b: Credential): boolean {
  if (a.type === "oauth") return b.type === "oauth" && a.refresh === b.refresh && a.access === b.access;
  return b.type === "api" && a.key === b.key;
}

export class TokenKeeper {
  private current: Credential | undefined;
  private inflight: Promise<Credential> | undefined;
  /** A refresh token the server refused for good, and how: fail fast until the store holds another one. */
  private rejected: { refresh: string; error: KimiError } | undefined;
  private unsaved: Unsaved | undefined;
  private readonly coolDown = new UnreachableCoolDown();
  private lastStoreRead = Number.NEGATIVE_INFINITY;
  private storeCheck: Promise<void> | undefined;
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
    this.rejected = undefined;
    this.coolDown.clear();
  }

  /** A credential fit to use now. Hot path: no I/O unless a refresh is due. Throws KimiError, or the abort reason. */
  credential(signal?: AbortSignal | null): Promise<Credential> {
    return untilAborted(this.credentialNow(), signal);
  }

  /**
   * The request path's fast lane: the credential in memory when it is fit to use now, else undefined
   * (then `credential()` loads or refreshes). The answer `credential()` would give, without a promise.
   */
  ready(): Credential | undefined {
    const c = this.current;
    if (!c) return undefined;
    this.checkStoreSoon();
    return c.type === "api" || this.now() < this.dueAt(c) ? c : undefined;
  }

  /** refreshDueAt of the credential in use, remembered (it decodes the JWT). */
  private due: { credential: Credential; at: number } | undefined;
  private dueAt(c: OAuthCredential): number {
    if (this.due?.credential !== c) this.due = { credential: c, at: refreshDueAt(c) };
    return this.due.at;
  }

  /** After a 401: refresh even if the token looks fresh, unless another process already did. */
  async forceRefresh(rejectedAccess: string, signal?: AbortSignal | null): Promise<Credential> {
    if (this.current?.type === "api") return this.current;
    return untilAborted(this.refresh(rejectedAccess), signal);
  }

  /** Resolves when the background store check (if one runs) is done; for tests. */
  async settled(): Promise<void> {
    await this.storeCheck;
  }

  private async credentialNow(): Promise<Credential> {
    if (!this.current) {
      this.lastStoreRead = this.now();
      this.current = this.newest(await this.deps.load());
      if (!this.current) throw new KimiError("login-required", messages.loggedOut());
    } else {
      this.checkStoreSoon();
    }
    const c = this.current;
    if (c.type === "api" || this.now() < this.dueAt(c)) return c;
    try {
      return await this.refresh(c.access);
    } catch (error) {
      // Out of reach is not refused: a token that still works is used until it is about to expire.
      const unreachable = error instanceof KimiError && (error.kind === "refresh-unavailable" || error.kind === "refresh-no-answer");
      if (!unreachable || this.current !== c || tokenTiming(c).expiresAt - this.now() <= REFRESH_GRACE_MARGIN_MS) throw error;
      log("warn", `the login server cannot be reached; the current token is used until it expires (${error.message})`);
      return c;
    }
  }

  /** The stored credential, or our unsaved rotation of it; forgets an unsaved rotation the store moved past. */
  private newest(stored: Credential | undefined): Credential | undefined {
    const unsaved = this.unsaved;
    if (!unsaved) return stored;
    if (stored?.type === "oauth" && stored.refresh === unsaved.over) return unsaved.credential;
    this.unsaved = undefined; // saved meanwhile, replaced by a new login, or logged out
    return stored;
  }

  private forget(): void {
    this.current = undefined;
    this.unsaved = undefined;
  }

  /** Off the request path, at most every STORE_RECHECK_MS: notice a logout, retry a failed save. */
  private checkStoreSoon(): void {
    if (this.storeCheck || this.now() - this.lastStoreRead < STORE_RECHECK_MS) return;
    this.lastStoreRead = this.now();
    this.storeCheck = this.checkStore()
      .catch((error: unknown) => log("warn", "could not re-read the stored Kimi Code login", { error: (error as Error).message }))
      .finally(() => {
        this.storeCheck = undefined;
      });
  }

  private async checkStore(): Promise<void> {
    if (this.unsaved) {
      await this.withLock(() => this.saveUnsaved());
      return;
    }
    if (!(await this.deps.load()) && !this.inflight) {
      log("info", "the Kimi Code login was removed from opencode's store; this process is logged out too");
      this.forget();
    }
  }

  /** Under the lock: store our unsaved rotation if the store still holds what it replaces. */
  private async saveUnsaved(): Promise<Credential | undefined> {
    const stored = await this.deps.load();
    const newest = this.newest(stored);
    if (!stored) this.forget();
    else if (this.unsaved && newest === this.unsaved.credential) await this.save(this.unsaved.credential, this.unsaved.over);
    else this.current = newest;
    return newest;
  }

  private async save(credential: OAuthCredential, over: string): Promise<void> {
    try {
      await this.deps.persist(credential);
      this.unsaved = undefined;
    } catch (error) {
      this.unsaved = { credential, over };
      log("error", "could not store the refreshed Kimi Code tokens; they stay in use and the save is retried", {
        error: (error as Error).message,
      });
    }
  }

  private refresh(staleAccess: string): Promise<Credential> {
    this.inflight ??= this.withLock(() => this.refreshLocked(staleAccess)).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const { value, locked, reason } = await withFileLock(this.deps.lockPath, fn, {
      ...(this.deps.lockWaitMs !== undefined ? { waitMs: this.deps.lockWaitMs } : {}),
      ...(this.deps.lockStaleMs !== undefined ? { staleMs: this.deps.lockStaleMs } : {}),
    });
    if (!locked) log("warn", `went ahead without the refresh lock: ${reason}`, { lock: this.deps.lockPath });
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
    if (!stored) {
      this.forget(); // logged out (`opencode auth logout`): nothing to refresh, nothing to write back
      throw new KimiError("login-required", messages.loggedOut());
    }
    const base = this.newest(stored)!;
    let seen = stored; // what the store holds
    if (this.unsaved && base === this.unsaved.credential) {
      await this.save(base, this.unsaved.over); // our earlier rotation first: the store holds its spent token
      if (!this.unsaved) seen = base;
    }
    const adopted = this.adoptable(base, staleAccess);
    if (adopted) {
      if (adopted !== this.current) log("debug", "adopted tokens refreshed by another process");
      this.current = adopted;
      this.rejected = undefined;
      return adopted;
    }
    if (base.type !== "oauth") throw new Error("unreachable: an API key is always adoptable");
    if (this.rejected?.refresh === base.refresh) throw this.rejected.error;
    // After the store re-read and adoption above, so another process's refresh still wins.
    const unreachable = this.coolDown.pending(base.refresh, this.now());
    if (unreachable) throw unreachable;

    let tokens: TokenResponse;
    try {
      tokens = await refreshWithRetries(() => this.deps.refreshGrant(base.refresh, base.apiBase), this.sleep);
    } catch (error) {
      return this.afterFailure(error, base, staleAccess);
    }
    this.refreshCount++;
    return this.keep(credentialFromTokens(tokens, base.apiBase, this.now()), seen);
  }

  private async afterFailure(error: unknown, base: OAuthCredential, staleAccess: string): Promise<Credential> {
    if (error instanceof KimiError && error.kind === "login-required") {
      // Another process may have rotated the token without our lock (its wait timed out), and
      // single-use refresh tokens then answer invalid_grant to the loser: look once more.
      await this.sleep(1000);
      const again = this.adoptable(this.newest(await this.deps.load()), staleAccess);
      if (again) {
        this.current = again;
        this.rejected = undefined;
        return again;
      }
    }
    this.coolDown.note(base.refresh, error, this.now());
    if (error instanceof KimiError && error.kind !== "refresh-unavailable" && error.kind !== "refresh-no-answer") {
      this.rejected = { refresh: base.refresh, error };
    }
    throw error;
  }

  /** Our fresh rotation replaces `seen` in the store, unless the store changed meanwhile (logout, new login). */
  private async keep(fresh: OAuthCredential, seen: Credential): Promise<Credential> {
    const latest = await this.deps.load();
    if (!latest) {
      this.forget();
      throw new KimiError("login-required", messages.loggedOut());
    }
    if (!sameEntry(latest, seen)) {
      log("info", "the stored Kimi Code login changed during the refresh; using the stored one");
      this.unsaved = undefined;
      this.current = latest;
      this.rejected = undefined;
      return latest;
    }
    this.current = fresh;
    this.rejected = undefined;
    await this.save(fresh, latest.type === "oauth" ? latest.refresh : "");
    try {
      this.deps.onRefreshed?.(fresh);
    } catch {
      // a listener's failure is not the refresh's failure
    }
    return fresh;
  }
}
