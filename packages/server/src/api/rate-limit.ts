import { RetryLaterError } from './errors.js';

/**
 * Token buckets per caller (an app's API key, a user, or an IP for the
 * unauthenticated login/register routes). Each bucket holds up to one
 * second's worth of requests (at least 10, so small rates still allow a
 * burst) and refills at `ratePerSec`.
 *
 * Limits: per process. Behind several api processes the effective limit is
 * the per-process rate times the process count; good enough to stop a
 * runaway client, not a billing-grade quota.
 */
interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets idle long enough to be full again are dropped once the map grows past this. */
const PRUNE_AT = 10_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacity: number;

  constructor(private readonly ratePerSec: number, private readonly now: () => number = Date.now) {
    this.capacity = Math.max(10, Math.ceil(ratePerSec));
  }

  /** Take one token for `key`; false when the caller is over its rate. */
  take(key: string): boolean {
    const now = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= PRUNE_AT) this.prune(now);
      b = { tokens: this.capacity, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.capacity, b.tokens + ((now - b.at) / 1000) * this.ratePerSec);
      b.at = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Throw `rate_limited` (with the seconds until a token is back, for Retry-After) when over the rate. */
  check(key: string): void {
    if (!this.take(key)) throw new RetryLaterError('rate_limited', (1 - (this.buckets.get(key)?.tokens ?? 0)) / this.ratePerSec);
  }

  clear(): void {
    this.buckets.clear();
  }

  private prune(now: number): void {
    const fullAfterMs = (this.capacity / this.ratePerSec) * 1000;
    for (const [k, b] of this.buckets) if (now - b.at >= fullAfterMs) this.buckets.delete(k);
  }
}
