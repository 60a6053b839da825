import { parseConvId, type ConvType, type Message } from '@parley/protocol';
import type { StoredMessage } from '../store/store.js';

export function convTypeOf(convId: string): ConvType {
  return parseConvId(convId)?.type ?? 'single';
}

/**
 * The wire form of a stored message. A recalled message keeps its place in
 * the timeline but loses its content, so a client never shows recalled text.
 */
export function toWire(m: StoredMessage): Message {
  const out: Message = {
    msg_id: m.msg_id, conv_id: m.conv_id, conv_type: convTypeOf(m.conv_id), seq: m.seq, sender: m.sender, cmid: m.cmid,
    type: m.type, content: m.status === 'recalled' ? null : m.content, status: m.status, created_at: m.created_at,
  };
  if (m.mentions?.length && m.status !== 'recalled') out.mentions = m.mentions;
  if (m.reply_to !== undefined && m.reply_to !== null) out.reply_to = m.reply_to;
  if (m.edited_at) out.edited_at = m.edited_at;
  return out;
}
