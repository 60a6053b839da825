import type { ChatMessage } from './timeline.js';
import { dayLabel, sameDay } from './time-format.js';

/**
 * What the message list renders: day separators between days, notices as
 * centred lines, and bubbles grouped into runs of one sender's messages
 * close in time (the avatar and name show once per run).
 */
export type Row =
  | { kind: 'day'; key: string; label: string }
  /** a server notice, or a recalled message (shown as "X recalled a message") */
  | { kind: 'notice'; key: string; msg: ChatMessage }
  | { kind: 'msg'; key: string; msg: ChatMessage; own: boolean; first: boolean; last: boolean };

/** Two messages of one sender further apart than this start a new run. */
export const GROUP_GAP_MS = 5 * 60_000;

/** Stable across the ack (a local send keeps its key when it gets a seq). */
export function messageKey(m: ChatMessage): string {
  return m.cmid ? `m:${m.sender}:${m.cmid}` : `s:${m.seq}`;
}

function isLine(m: ChatMessage): boolean {
  return m.type === 'notice' || m.status === 'recalled';
}

function continues(prev: ChatMessage | undefined, m: ChatMessage): boolean {
  return prev !== undefined && !isLine(prev) && !isLine(m) && prev.sender === m.sender
    && m.created_at - prev.created_at < GROUP_GAP_MS && sameDay(prev.created_at, m.created_at);
}

/**
 * A recalled message shows as one centred line where it was; the recall
 * notice itself (a later seq) is left out when its original is in view.
 */
function recallTarget(m: ChatMessage): number | undefined {
  const c = m.content as { kind?: string; seq?: number } | null;
  return m.type === 'notice' && c?.kind === 'recall' && typeof c.seq === 'number' ? c.seq : undefined;
}

export function buildRows(messages: ChatMessage[], me: string, now: number, locale?: string): Row[] {
  const rows: Row[] = [];
  const present = new Set(messages.filter((m) => m.seq > 0).map((m) => m.seq));
  const visible = messages.filter((m) => {
    const target = recallTarget(m);
    return target === undefined || !present.has(target);
  });
  let prev: ChatMessage | undefined;
  for (let i = 0; i < visible.length; i++) {
    const m = visible[i]!;
    if (!prev || !sameDay(prev.created_at, m.created_at)) {
      rows.push({ kind: 'day', key: `d:${new Date(m.created_at).toDateString()}:${i}`, label: dayLabel(m.created_at, now, locale) });
    }
    if (m.type === 'notice' || m.status === 'recalled') {
      rows.push({ kind: 'notice', key: messageKey(m), msg: m });
    } else {
      const next = visible[i + 1];
      rows.push({
        kind: 'msg', key: messageKey(m), msg: m, own: m.sender === me,
        first: !continues(prev, m),
        last: !(next && continues(m, next)),
      });
    }
    prev = m;
  }
  return rows;
}
