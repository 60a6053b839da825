import { parseConvId, type ConvType, type Message } from '@parley/protocol';
import type { StoredMessage, StoredMessageText } from '../store/store.js';

export function convTypeOf(convId: string): ConvType {
  return parseConvId(convId)?.type ?? 'single';
}

/**
 * The wire form of a stored message. A recalled message keeps its place in
 * the timeline but loses its content, so a client never shows recalled text.
 */
export function toWire(m: StoredMessage): Message {
  return toWireAs(m, convTypeOf(m.conv_id));
}

/** toWire with the conversation type already known (a history page: one conversation, many rows). */
export function toWireAs(m: StoredMessage, convType: ConvType): Message {
  const out: Message = {
    msg_id: m.msg_id, conv_id: m.conv_id, conv_type: convType, seq: m.seq, sender: m.sender, cmid: m.cmid,
    type: m.type, content: m.status === 'recalled' ? null : m.content, status: m.status, created_at: m.created_at,
  };
  if (m.mentions?.length && m.status !== 'recalled') out.mentions = m.mentions;
  if (m.reply_to !== undefined && m.reply_to !== null) out.reply_to = m.reply_to;
  if (m.edited_at) out.edited_at = m.edited_at;
  return out;
}

/** A stored message as the text form `toWireJson` takes (stores that parse content on read). */
export function asText(m: StoredMessage): StoredMessageText {
  const { content, ...rest } = m;
  return { ...rest, content_json: JSON.stringify(content ?? null) };
}

const str = JSON.stringify;

/**
 * toWire as JSON text, with the stored content JSON spliced in unparsed:
 * byte for byte JSON.stringify(toWire(m)), which is also what fastify's
 * schema serializer writes for it (required fields, then the optional ones,
 * each in toWire's order). The stored text is JSON.stringify's own output
 * (messageToSql), which a parse and re-stringify would give back unchanged.
 */
export function toWireJson(m: StoredMessageText, convType: ConvType): string {
  const recalled = m.status === 'recalled';
  let s = `{"msg_id":${str(m.msg_id)},"conv_id":${str(m.conv_id)},"conv_type":"${convType}","seq":${m.seq},"sender":${str(m.sender)}`
    + `,"cmid":${str(m.cmid)},"type":${str(m.type)},"content":${recalled ? 'null' : m.content_json}`
    + `,"status":${str(m.status)},"created_at":${m.created_at}`;
  if (m.mentions?.length && !recalled) s += `,"mentions":${str(m.mentions)}`;
  if (m.reply_to !== undefined && m.reply_to !== null) s += `,"reply_to":${m.reply_to}`;
  if (m.edited_at) s += `,"edited_at":${m.edited_at}`;
  return `${s}}`;
}
