/**
 * Password-guessing brake for POST /v1/auth/login: failures are counted per
 * user (app + user id) and per client address; past a few free failures each
 * further attempt must wait, and the wait doubles with every failure up to a
 * ceiling. While a key waits, login is refused before the password is even
 * checked (429 `rate_limited` with `Retry-After`), so a burst of guesses
 * costs the attacker time, not the server CPU.
 *
 * A success clears the user's count (not the address's: one known account
 * must not reset an address that guesses at others). Counts are forgotten
 * once a key has been quiet for `forgetAfterMs`.
 *
 * Limits: per process, in memory (several api processes each keep their own
 * counts); a restart forgets them.
 */
export interface LoginThrottleOptions {
  /** failures per user before waits begin (default 5) */
  freeFailuresPerUser?: number;
  /** failures per address before waits begin (default 50: many users may share one address) */
  freeFailuresPerAddress?: number;
  /** the first wait; doubles with each further failure (default 1000) */
  baseDelayMs?: number;
  /** the longest wait (default 15 min) */
  maxDelayMs?: number;
  /** counts of a key without failures for this long are dropped (default 1 h) */
  forgetAfterMs?: number;
  now?: () => number;
}

interface Entry {
  failures: number;
  lastFailure: number;
  /** no attempt before this time */
  until: number;
}

/** Keys kept at most; past it, forgotten entries are pruned and then the oldest dropped. */
const MAX_ENTRIES = 50_000;

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly o: Required<Omit<LoginThrottleOptions, 'now'>>;
  private readonly now: () => number;

  constructor(opts: LoginThrottleOptions = {}) {
    this.o = {
      freeFailuresPerUser: opts.freeFailuresPerUser ?? 5,
      freeFailuresPerAddress: opts.freeFailuresPerAddress ?? 50,
      baseDelayMs: opts.baseDelayMs ?? 1000,
      maxDelayMs: opts.maxDelayMs ?? 15 * 60_000,
      forgetAfterMs: opts.forgetAfterMs ?? 60 * 60_000,
    };
    this.now = opts.now ?? Date.now;
  }

  /** Milliseconds this login attempt must still wait (0: go ahead). */
  waitMs(appId: string, userId: string, address: string): number {
    const now = this.now();
    const wait = (key: string) => {
      const e = this.live(key, now);
      return e ? Math.max(0, e.until - now) : 0;
    };
    return Math.max(wait(userKey(appId, userId)), wait(addressKey(address)));
  }

  failed(appId: string, userId: string, address: string): void {
    const now = this.now();
    this.count(userKey(appId, userId), this.o.freeFailuresPerUser, now);
    this.count(addressKey(address), this.o.freeFailuresPerAddress, now);
  }

  succeeded(appId: string, userId: string): void {
    this.entries.delete(userKey(appId, userId));
  }

  clear(): void {
    this.entries.clear();
  }

  private live(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e && now - e.lastFailure >= this.o.forgetAfterMs && now >= e.until) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private count(key: string, free: number, now: number): void {
    let e = this.live(key, now);
    if (!e) {
      if (this.entries.size >= MAX_ENTRIES) this.prune(now);
      e = { failures: 0, lastFailure: now, until: 0 };
      this.entries.set(key, e);
    }
    e.failures++;
    e.lastFailure = now;
    const over = e.failures - free;
    if (over > 0) e.until = now + Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** Math.min(over - 1, 30));
  }

  private prune(now: number): void {
    for (const key of this.entries.keys()) this.live(key, now);
    // Still full: drop the oldest (Map order is insertion order).
    for (const key of this.entries.keys()) {
      if (this.entries.size < MAX_ENTRIES) break;
      this.entries.delete(key);
    }
  }
}

const userKey = (appId: string, userId: string) => `u\u0000${appId}\u0000${userId}`;
const addressKey = (address: string) => `a\u0000${address}`;
