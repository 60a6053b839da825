import type { ErrorFrame, OkFrame } from '@parley/protocol';

/** What a generator keeps per sending unit (a 1:1 pair, a fan-out sender). */
export interface SendBook {
  sendTimes: Map<number, number>;
  acked: number;
  errors: number;
}

/**
 * Book the server's answer to one send: count it as acked or as an error (by
 * code) and return when it was sent (µs), for the ack latency.
 */
export function bookReply(u: SendBook, f: OkFrame | ErrorFrame, errors: Record<string, number>): number | undefined {
  const id = Number(f.id);
  const sentAt = u.sendTimes.get(id);
  u.sendTimes.delete(id);
  if (f.op === 'ok') u.acked++;
  else {
    u.errors++;
    errors[f.code] = (errors[f.code] ?? 0) + 1;
  }
  return sentAt;
}
