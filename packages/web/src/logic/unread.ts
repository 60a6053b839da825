import type { Conversation } from '@parley/protocol';

/** Unread shown in the tab title: muted (do-not-disturb) and hidden conversations do not count. */
export function totalUnread(convs: Iterable<Pick<Conversation, 'unread' | 'muted' | 'hidden'>>): number {
  let n = 0;
  for (const c of convs) if (!c.muted && !c.hidden) n += Math.max(0, c.unread);
  return n;
}

export function badgeText(n: number): string {
  return n > 99 ? '99+' : String(n);
}

export function titleFor(total: number, base = 'Parley'): string {
  return total > 0 ? `(${badgeText(total)}) ${base}` : base;
}

/**
 * Unread from the read-diffusion counters (DESIGN §3): last_seq − read_seq,
 * never negative. Used when a push or an ack moves one of them locally.
 */
export function unreadOf(lastSeq: number, readSeq: number): number {
  return Math.max(0, lastSeq - readSeq);
}
