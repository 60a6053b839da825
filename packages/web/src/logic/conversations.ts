import type { Conversation, Message } from '@parley/protocol';
import { describeNotice, type NameOf } from './notices.js';

/** Pinned first, then the most recent activity first. */
export function activityTime(c: Conversation): number {
  return Math.max(c.updated_at ?? 0, c.last_message?.created_at ?? 0);
}

export function sortConversations(list: Conversation[]): Conversation[] {
  return [...list].sort((a, b) => Number(b.pinned) - Number(a.pinned) || activityTime(b) - activityTime(a) || a.conv_id.localeCompare(b.conv_id));
}

/** One line describing a message, as in a list preview or a quote. */
export function messageSummary(m: Pick<Message, 'type' | 'content' | 'status'>, nameOf: NameOf): string {
  if (m.status === 'recalled') return 'Message recalled';
  const c = (m.content ?? {}) as Record<string, unknown>;
  switch (m.type) {
    case 'text': return String(c.text ?? '').replace(/\s+/g, ' ').trim();
    case 'image': return '[Image]';
    case 'file': return `[File] ${String(c.name ?? '')}`.trim();
    case 'link': return `[Link] ${String(c.title || c.url || '')}`.trim();
    case 'notice': return describeNotice(m.content, nameOf);
    default: return '[Message]';
  }
}

/** The list's preview line: in groups, prefixed by who sent it. */
export function previewText(c: Conversation, me: string, nameOf: NameOf): string {
  const m = c.last_message;
  if (!m) return c.conv_type === 'group' ? 'No messages yet' : 'Say hello 👋';
  const body = messageSummary(m, nameOf);
  if (m.type === 'notice' || m.status === 'recalled') return body;
  if (m.sender === me) return `You: ${body}`;
  return c.conv_type === 'group' ? `${nameOf(m.sender)}: ${body}` : body;
}

/**
 * Fold a new message (pushed, fetched or my own acked send) into the list
 * row: last message, last_seq, unread (last_seq − read_seq). A message that
 * is not newer than what the row already has changes nothing.
 */
export function applyMessageToConv(c: Conversation, m: Message, me: string, readingNow: boolean): Conversation {
  if (m.seq <= c.last_seq && c.last_message && c.last_message.seq >= m.seq) return c;
  const last_seq = Math.max(c.last_seq, m.seq);
  const read_seq = m.sender === me || readingNow ? Math.max(c.read_seq, m.seq) : c.read_seq;
  return {
    ...c, last_seq, read_seq, unread: Math.max(0, last_seq - read_seq),
    last_message: !c.last_message || m.seq >= c.last_message.seq ? m : c.last_message,
    updated_at: Math.max(c.updated_at ?? 0, m.created_at), hidden: false,
  };
}

/** A row for a conversation the server has not listed yet (first message of a new chat). */
export function placeholderConv(m: Message, me: string, name: string, peer: string): Conversation {
  const base: Conversation = {
    conv_id: m.conv_id, conv_type: m.conv_type, peer, name, last_seq: 0, read_seq: 0, unread: 0,
    pinned: false, muted: false, hidden: false, updated_at: m.created_at,
  };
  return applyMessageToConv(base, m, me, false);
}
