/**
 * Exponential backoff with jitter for reconnects and send retries. Jitter
 * spreads the reconnects of many clients dropped at once (a link restart)
 * so they do not all arrive at the same instant.
 */
export interface BackoffOptions {
  /** first delay */
  minMs: number;
  /** no delay exceeds this, jitter included */
  maxMs: number;
  /** growth per attempt */
  factor: number;
  /** ± fraction of the delay chosen at random, 0..1 */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { minMs: 250, maxMs: 10_000, factor: 2, jitter: 0.2 };

/** Delay before retry number `attempt` (0 = the first retry). */
export function backoffDelay(opts: BackoffOptions, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(opts.maxMs, opts.minMs * Math.pow(opts.factor, Math.max(0, attempt)));
  const spread = base * opts.jitter * (2 * random() - 1);
  return Math.round(Math.max(0, Math.min(opts.maxMs, base + spread)));
}

/** Stateful counter over backoffDelay: next() grows, reset() after a success. */
export class Backoff {
  private attempt = 0;

  constructor(readonly options: BackoffOptions, private readonly random: () => number = Math.random) {}

  next(): number {
    return backoffDelay(this.options, this.attempt++, this.random);
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}

export function resolveBackoff(opts: Partial<BackoffOptions> | undefined): BackoffOptions {
  return { ...DEFAULT_BACKOFF, ...opts };
}
