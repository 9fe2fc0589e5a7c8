// How long Kimi has been answering "busy" (429 too many requests / engine overloaded / an unexplained
// 429) to this process. opencode retries a 429 silently (5 times, honouring any Retry-After; test/e2e/
// NOTES.md §4), and each new prompt starts that over; the streak bounds the silence: within the budget
// a busy answer stays a retryable 429 whose Retry-After never reaches past the budget, after it the
// answer becomes final. Any successful response ends the streak.

/** Silent retrying that a streak of busy answers may cost before the error is shown as final. */
export const BUSY_RETRY_BUDGET_MS = 60_000;
/** Retry-After the plugin asks for when Kimi gives none (opencode would back off 2, 4, 8, 16, 32 s). */
export const BUSY_DEFAULT_RETRY_AFTER_S = 5;

export class BusyStreak {
  private startedAt: number | undefined;
  private lastAt: number | undefined;

  /**
   * Notes a busy answer at `now`; returns how long the streak has lasted and the budget left. A gap
   * longer than the budget since the last busy answer starts a new streak.
   */
  note(now: number): { elapsedMs: number; leftMs: number } {
    if (this.startedAt === undefined || this.lastAt === undefined || now - this.lastAt > BUSY_RETRY_BUDGET_MS || now < this.lastAt) {
      this.startedAt = now;
    }
    this.lastAt = now;
    const elapsedMs = now - this.startedAt;
    return { elapsedMs, leftMs: BUSY_RETRY_BUDGET_MS - elapsedMs };
  }

  /** A request succeeded: Kimi serves again. */
  end(): void {
    this.startedAt = undefined;
    this.lastAt = undefined;
  }
}
