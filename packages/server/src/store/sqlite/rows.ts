import type { ConvType, MemberRole, MessageStatus, MessageType } from '@parley/protocol';
import type {
  AppRow, ConversationRow, GroupRow, MemberConversation, MemberRow, StoredMessage, StoredMessageText, UserRow,
} from '../store.js';

/**
 * SQL rows ↔ store types. JSON columns are TEXT and parsed back; booleans are
 * 0/1 in SQL; NULL columns become absent keys (not `undefined` values), so a
 * row read back deep-equals the row written.
 */

export interface AppSql { app_id: string; name: string; api_key_hash: string; webhook_secret: string; settings: string; created_at: number }
export interface UserSql {
  app_id: string; user_id: string; name: string; avatar: string | null; meta: string | null;
  password_hash: string | null; tokens_valid_after: number; created_at: number;
}
export interface GroupSql {
  app_id: string; group_id: string; name: string; avatar: string | null; notice: string; owner: string;
  muted_all: number; dismissed: number; max_members: number; created_at: number;
}
export interface ConversationSql { app_id: string; conv_id: string; type: string; last_seq: number; last_message: string | null; updated_at: number }
export interface MemberSql {
  app_id: string; conv_id: string; user_id: string; role: string; join_seq: number; read_seq: number;
  muted_until: number; muted: number; pinned: number; hidden: number; joined_at: number;
}
export interface MemberConversationSql extends MemberSql { type: string; last_seq: number; last_message: string | null; updated_at: number }
export interface MessageSql {
  app_id: string; conv_id: string; seq: number; msg_id: string; sender: string; cmid: string; type: string;
  content: string; mentions: string | null; reply_to: number | null; status: string; created_at: number; edited_at: number | null;
}

/** The message columns every message query selects (aliased `m`). */
export const MESSAGE_COLUMNS = 'm.app_id, m.conv_id, m.seq, m.msg_id, m.sender, m.cmid, m.type, m.content, m.mentions, m.reply_to, m.status, m.created_at, m.edited_at';

export const bool = (b: boolean): number => (b ? 1 : 0);
export const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

export function appFromSql(r: AppSql): AppRow {
  return {
    app_id: r.app_id, name: r.name, api_key_hash: r.api_key_hash, webhook_secret: r.webhook_secret,
    settings: JSON.parse(r.settings) as AppRow['settings'], created_at: r.created_at,
  };
}

export function userFromSql(r: UserSql): UserRow {
  const u: UserRow = { app_id: r.app_id, user_id: r.user_id, name: r.name, tokens_valid_after: r.tokens_valid_after, created_at: r.created_at };
  if (r.avatar !== null) u.avatar = r.avatar;
  if (r.meta !== null) u.meta = JSON.parse(r.meta) as Record<string, unknown>;
  if (r.password_hash !== null) u.password_hash = r.password_hash;
  return u;
}

export function groupFromSql(r: GroupSql): GroupRow {
  const g: GroupRow = {
    app_id: r.app_id, group_id: r.group_id, name: r.name, notice: r.notice, owner: r.owner,
    muted_all: r.muted_all !== 0, dismissed: r.dismissed !== 0, max_members: r.max_members, created_at: r.created_at,
  };
  if (r.avatar !== null) g.avatar = r.avatar;
  return g;
}

export function conversationFromSql(r: ConversationSql): ConversationRow {
  const c: ConversationRow = { app_id: r.app_id, conv_id: r.conv_id, type: r.type as ConvType, last_seq: r.last_seq, updated_at: r.updated_at };
  if (r.last_message !== null) c.last_message = JSON.parse(r.last_message) as StoredMessage;
  return c;
}

export function memberFromSql(r: MemberSql): MemberRow {
  return {
    app_id: r.app_id, conv_id: r.conv_id, user_id: r.user_id, role: r.role as MemberRole, join_seq: r.join_seq, read_seq: r.read_seq,
    muted_until: r.muted_until, muted: r.muted !== 0, pinned: r.pinned !== 0, hidden: r.hidden !== 0, joined_at: r.joined_at,
  };
}

export function memberConversationFromSql(r: MemberConversationSql): MemberConversation {
  const mc: MemberConversation = { ...memberFromSql(r), type: r.type as ConvType, last_seq: r.last_seq, updated_at: r.updated_at };
  if (r.last_message !== null) mc.last_message = JSON.parse(r.last_message) as StoredMessage;
  return mc;
}

export function messageFromSql(r: MessageSql): StoredMessage {
  const m: StoredMessage = {
    app_id: r.app_id, conv_id: r.conv_id, seq: r.seq, msg_id: r.msg_id, sender: r.sender, cmid: r.cmid,
    type: r.type as MessageType, content: JSON.parse(r.content), status: r.status as MessageStatus, created_at: r.created_at,
  };
  return withOptionalColumns(m, r);
}

/** messageFromSql without parsing the content: it stays the stored JSON text. */
export function messageTextFromSql(r: MessageSql): StoredMessageText {
  const m: StoredMessageText = {
    app_id: r.app_id, conv_id: r.conv_id, seq: r.seq, msg_id: r.msg_id, sender: r.sender, cmid: r.cmid,
    type: r.type as MessageType, content_json: r.content, status: r.status as MessageStatus, created_at: r.created_at,
  };
  return withOptionalColumns(m, r);
}

/** The nullable message columns as optional fields: absent when NULL, so a read gives back what was written. */
function withOptionalColumns<T extends Pick<StoredMessage, 'mentions' | 'reply_to' | 'edited_at'>>(m: T, r: MessageSql): T {
  if (r.mentions !== null) m.mentions = JSON.parse(r.mentions) as string[];
  if (r.reply_to !== null) m.reply_to = r.reply_to;
  if (r.edited_at !== null) m.edited_at = r.edited_at;
  return m;
}

/** The conversation-list preview: the message as stored, without absent keys. */
export function previewJson(m: StoredMessage): string {
  return JSON.stringify(messageFromSql(messageToSql(m, null)));
}

export interface MessageInsert extends MessageSql { fts_id: number | null }

export function messageToSql(m: StoredMessage, ftsId: number | null): MessageInsert {
  return {
    app_id: m.app_id, conv_id: m.conv_id, seq: m.seq, msg_id: m.msg_id, sender: m.sender, cmid: m.cmid, type: m.type,
    // content is required JSON; `null` content is stored as JSON null rather than SQL NULL
    content: JSON.stringify(m.content ?? null), mentions: json(m.mentions), reply_to: m.reply_to ?? null,
    status: m.status, created_at: m.created_at, edited_at: m.edited_at ?? null, fts_id: ftsId,
  };
}
