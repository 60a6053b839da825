/**
 * Datagrams per second per source IP, checked before anything else is done
 * with a datagram (even parsing), so a flood costs one map lookup each.
 * Keyed by IP, not IP:port: one host cannot dodge the limit by changing
 * ports. The table is bounded: past `maxAddresses` the longest-unseen entry
 * is dropped (it starts over with a full bucket, which only favours it).
 */
export class UdpAddressLimiter {
  private readonly buckets = new Map<string, { tokens: number; last: number }>();

  constructor(
    private readonly perSec: number,
    private readonly burst: number,
    private readonly maxAddresses = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(perSec > 0) || !(burst >= 1)) throw new RangeError('UDP rate limit needs perSec > 0 and burst >= 1');
  }

  /** Take one token for `ip`; false when it is over its rate. */
  take(ip: string): boolean {
    const t = this.now();
    let b = this.buckets.get(ip);
    if (b) {
      this.buckets.delete(ip); // re-inserted below: the map stays ordered by last use
      b.tokens = Math.min(this.burst, b.tokens + ((t - b.last) / 1000) * this.perSec);
      b.last = t;
    } else {
      b = { tokens: this.burst, last: t };
      if (this.buckets.size >= this.maxAddresses) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(ip, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }
}
