/**
 * How long a young hole is waited for between pulls, and when it is given up
 * on without the server's word. The server's `server_time` normally decides
 * (GapFiller): a hole is final once the message above it is older than the
 * commit deadline. This only spaces the pulls — doubling from `holdMs`, never
 * later than the moment the server's clock will call the hole final — and
 * bounds them: with no server time, a hole is final once the pulls span the
 * deadline; with one that keeps calling it young (a server clock behind the
 * dispatchers'), after `maxRefetches` pulls spanning at least the deadline.
 * Elapsed time is counted from the waits themselves, never the client's clock.
 */
export class HoldRule {
  private refetches = 0;
  private spentMs = 0;

  constructor(private readonly holdMs: number, private readonly maxRefetches: number) {}

  waited(ms: number): void {
    this.spentMs += ms;
  }

  refetched(): void {
    this.refetches++;
  }

  /** whether to declare the hole now (after a pull that still showed it young) */
  exhausted(deadlineMs: number, clockless: boolean): boolean {
    if (this.spentMs < deadlineMs) return false;
    return clockless || this.refetches >= this.maxRefetches;
  }

  /** the wait before the next pull; `finalInMs`: when the server's clock will call the hole final */
  nextWait(finalInMs: number | undefined, deadlineMs: number): number {
    const backoff = Math.min(this.holdMs * 2 ** Math.max(0, this.refetches - 1), deadlineMs);
    return finalInMs === undefined ? backoff : Math.max(1, Math.min(backoff, finalInMs));
  }
}
