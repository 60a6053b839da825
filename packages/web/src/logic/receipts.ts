import type { Conversation, GroupMember } from '@parley/protocol';
import type { ChatMessage } from './timeline.js';

/** The tick under one of my bubbles. */
export type Delivery = 'sending' | 'failed' | 'sent' | 'read';

export function deliveryOf(m: ChatMessage, conv: Pick<Conversation, 'conv_type' | 'peer_read_seq'> | undefined): Delivery {
  if (m.local === 'sending') return 'sending';
  if (m.local === 'failed') return 'failed';
  if (conv?.conv_type === 'single' && (conv.peer_read_seq ?? 0) >= m.seq) return 'read';
  return 'sent';
}

/**
 * Group members other than the sender whose read position covers `seq`.
 * Members who joined after the message never saw it, whatever their read position.
 */
export function readBy(members: Pick<GroupMember, 'user_id' | 'read_seq' | 'joined_seq'>[], seq: number, sender: string): string[] {
  return members.filter((x) => x.user_id !== sender && x.read_seq >= seq && (x.joined_seq ?? 0) <= seq).map((x) => x.user_id);
}
