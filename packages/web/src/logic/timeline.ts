import type { Message } from '@parley/protocol';

/**
 * A conversation's loaded window of messages, in seq order, plus this
 * device's unacked sends after them. Messages are identified by
 * (conv_id, seq) — each timeline belongs to one conversation, so by seq —
 * and a local send by its cmid until the ack gives it a seq.
 * Pure functions: every change returns a new array.
 */
export type LocalState = 'sending' | 'failed';

export interface ChatMessage extends Message {
  /** set on this device's sends until the ack (seq is 0 meanwhile) */
  local?: LocalState;
  /** why a send failed, for the bubble's tooltip */
  error?: string;
}

export interface Timeline {
  messages: ChatMessage[];
  /** older messages exist on the server (scroll up loads them) */
  hasOlder: boolean;
  /** the window does not reach the newest message (after a jump to a search hit) */
  hasNewer: boolean;
  loaded: boolean;
  /** a page is being fetched */
  busy?: 'latest' | 'older' | 'newer';
}

export const EMPTY_TIMELINE: Timeline = { messages: [], hasOlder: true, hasNewer: false, loaded: false };

export function isConfirmed(m: ChatMessage): boolean {
  return m.local === undefined && m.seq > 0;
}

/** Of two copies of one stored message, keep the one that knows more (a recall beats a stale copy). */
function better(a: ChatMessage, b: ChatMessage): ChatMessage {
  if (a.status === 'recalled' && b.status !== 'recalled') return a;
  if (b.status === 'recalled' && a.status !== 'recalled') return b;
  if ((a.edited_at ?? 0) > (b.edited_at ?? 0)) return a;
  return b;
}

/**
 * Merge stored messages into a timeline: dedup by seq, ordered by seq, local
 * sends last in the order they were made. A stored message with the cmid of a
 * local send from the same sender replaces it (the send was acked meanwhile,
 * or arrived through another path). `hidden` seqs (deleted for me) are dropped.
 */
export function mergeMessages(list: ChatMessage[], incoming: Message[], hidden?: ReadonlySet<number>): ChatMessage[] {
  if (incoming.length === 0) return list;
  const bySeq = new Map<number, ChatMessage>();
  const locals: ChatMessage[] = [];
  for (const m of list) {
    if (isConfirmed(m)) bySeq.set(m.seq, m);
    else locals.push(m);
  }
  const ackedCmids = new Set<string>();
  for (const m of incoming) {
    if (hidden?.has(m.seq)) continue;
    const prev = bySeq.get(m.seq);
    bySeq.set(m.seq, prev ? better(prev, m) : { ...m });
    ackedCmids.add(`${m.sender}\u0000${m.cmid}`);
  }
  const stillLocal = locals.filter((m) => !ackedCmids.has(`${m.sender}\u0000${m.cmid}`));
  const confirmed = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  return [...confirmed, ...stillLocal];
}

/** Add (or replace, for a retry) a local send at the end. */
export function addLocal(list: ChatMessage[], msg: ChatMessage): ChatMessage[] {
  const rest = list.filter((m) => !(m.local !== undefined && m.cmid === msg.cmid));
  return [...rest, msg];
}

export interface AckLike { cmid: string; msg_id: string; seq: number; created_at: number }

/** A local send was stored: it gets its seq and moves into seq order. */
export function applyAck(list: ChatMessage[], ack: AckLike, sender: string): ChatMessage[] {
  const local = list.find((m) => m.local !== undefined && m.cmid === ack.cmid && m.sender === sender);
  if (!local) return list;
  const { local: _l, error: _e, ...stored } = local;
  const confirmed: ChatMessage = { ...stored, seq: ack.seq, msg_id: ack.msg_id, created_at: ack.created_at };
  return mergeMessages(list.filter((m) => m !== local), [confirmed]);
}

export function markLocal(list: ChatMessage[], cmid: string, state: LocalState, error?: string): ChatMessage[] {
  return list.map((m) => (m.local !== undefined && m.cmid === cmid ? { ...m, local: state, error } : m));
}

/** The original of a recall notice now shows as recalled. */
export function applyRecall(list: ChatMessage[], seq: number): ChatMessage[] {
  return list.map((m) => (isConfirmed(m) && m.seq === seq ? { ...m, status: 'recalled' as const, content: null } : m));
}

export function removeMessage(list: ChatMessage[], seq: number): ChatMessage[] {
  return list.filter((m) => !(isConfirmed(m) && m.seq === seq));
}

export function removeLocal(list: ChatMessage[], cmid: string): ChatMessage[] {
  return list.filter((m) => !(m.local !== undefined && m.cmid === cmid));
}

export function oldestSeq(list: ChatMessage[]): number | undefined {
  return list.find(isConfirmed)?.seq;
}

export function newestSeq(list: ChatMessage[]): number | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (isConfirmed(list[i]!)) return list[i]!.seq;
  return undefined;
}

/** Notices that change another message (a recall) name it: apply them to the window. */
export function applyNotices(list: ChatMessage[], incoming: Message[]): ChatMessage[] {
  let out = list;
  for (const m of incoming) {
    const c = m.content as { kind?: string; seq?: number } | null;
    if (m.type === 'notice' && c?.kind === 'recall' && typeof c.seq === 'number') out = applyRecall(out, c.seq);
  }
  return out;
}
