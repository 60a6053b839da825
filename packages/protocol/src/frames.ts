import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ConvId, Id, Platform, SendableType, Seq } from './model.js';
import type { Conversation, Message, Presence } from './model.js';
import type { ErrorCode } from './errors.js';

/**
 * Client → server frames. Every frame is a JSON object with an `op`.
 * Frames that expect an answer carry a client-chosen `id` (a request id); the
 * server answers with `{op:'ok', id, data}` or `{op:'error', id, code, ...}`.
 * docs/protocol.md describes each one.
 */
const ReqId = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ maxLength: 64 })]);

export const AuthFrame = Type.Object({
  op: Type.Literal('auth'), id: ReqId,
  token: Type.String({ minLength: 1, maxLength: 4096 }),
  platform: Type.Optional(Platform),
  device_id: Type.Optional(Type.String({ maxLength: 128 })),
}, { additionalProperties: false });

export const PingFrame = Type.Object({ op: Type.Literal('ping'), id: Type.Optional(ReqId) }, { additionalProperties: false });

export const SendFrame = Type.Object({
  op: Type.Literal('send'), id: ReqId,
  /** client message id: unique per sender; a resend with the same cmid returns the original ack */
  cmid: Type.String({ minLength: 1, maxLength: 64 }),
  conv_type: Type.Union([Type.Literal('single'), Type.Literal('group')]),
  /** recipient user id (single) or group id (group) */
  to: Id,
  type: SendableType,
  content: Type.Unknown(),
  mentions: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100 })),
  reply_to: Type.Optional(Seq),
}, { additionalProperties: false });

export const HistoryFrame = Type.Object({
  op: Type.Literal('history'), id: ReqId, conv_id: ConvId,
  /** newest first, strictly below this seq */
  before: Type.Optional(Seq),
  /** oldest first, strictly above this seq (gap fill); wins over `before` */
  after: Type.Optional(Seq),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
}, { additionalProperties: false });

export const ConvsFrame = Type.Object({ op: Type.Literal('convs'), id: ReqId }, { additionalProperties: false });

export const ReadFrame = Type.Object({ op: Type.Literal('read'), id: ReqId, conv_id: ConvId, seq: Seq }, { additionalProperties: false });
export const RecallFrame = Type.Object({ op: Type.Literal('recall'), id: ReqId, conv_id: ConvId, seq: Seq }, { additionalProperties: false });
export const DeleteFrame = Type.Object({ op: Type.Literal('delete'), id: ReqId, conv_id: ConvId, seq: Seq }, { additionalProperties: false });

export const ConvSetFrame = Type.Object({
  op: Type.Literal('conv_set'), id: ReqId, conv_id: ConvId,
  pinned: Type.Optional(Type.Boolean()),
  muted: Type.Optional(Type.Boolean()),
  hidden: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

export const ReceiptsFrame = Type.Object({ op: Type.Literal('receipts'), id: ReqId, conv_id: ConvId, seq: Seq }, { additionalProperties: false });
export const TypingFrame = Type.Object({ op: Type.Literal('typing'), conv_id: ConvId }, { additionalProperties: false });
export const PresenceFrame = Type.Object({
  op: Type.Literal('presence'), id: ReqId,
  user_ids: Type.Array(Id, { minItems: 1, maxItems: 200 }),
}, { additionalProperties: false });

export const SearchFrame = Type.Object({
  op: Type.Literal('search'), id: ReqId,
  q: Type.String({ minLength: 1, maxLength: 200 }),
  conv_id: Type.Optional(ConvId),
  sender: Type.Optional(Id),
  type: Type.Optional(SendableType),
  since: Type.Optional(Type.Integer({ minimum: 0 })),
  until: Type.Optional(Type.Integer({ minimum: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
}, { additionalProperties: false });

export const LogoutFrame = Type.Object({ op: Type.Literal('logout'), id: ReqId }, { additionalProperties: false });

export const CLIENT_FRAME_SCHEMAS = {
  auth: AuthFrame,
  ping: PingFrame,
  send: SendFrame,
  history: HistoryFrame,
  convs: ConvsFrame,
  read: ReadFrame,
  recall: RecallFrame,
  delete: DeleteFrame,
  conv_set: ConvSetFrame,
  receipts: ReceiptsFrame,
  typing: TypingFrame,
  presence: PresenceFrame,
  search: SearchFrame,
  logout: LogoutFrame,
} as const satisfies Record<string, TSchema>;

export type ClientOp = keyof typeof CLIENT_FRAME_SCHEMAS;
export const CLIENT_OPS = Object.keys(CLIENT_FRAME_SCHEMAS) as ClientOp[];

export type AuthFrame = Static<typeof AuthFrame>;
export type PingFrame = Static<typeof PingFrame>;
export type SendFrame = Static<typeof SendFrame>;
export type HistoryFrame = Static<typeof HistoryFrame>;
export type ConvsFrame = Static<typeof ConvsFrame>;
export type ReadFrame = Static<typeof ReadFrame>;
export type RecallFrame = Static<typeof RecallFrame>;
export type DeleteFrame = Static<typeof DeleteFrame>;
export type ConvSetFrame = Static<typeof ConvSetFrame>;
export type ReceiptsFrame = Static<typeof ReceiptsFrame>;
export type TypingFrame = Static<typeof TypingFrame>;
export type PresenceFrame = Static<typeof PresenceFrame>;
export type SearchFrame = Static<typeof SearchFrame>;
export type LogoutFrame = Static<typeof LogoutFrame>;
export type ClientFrame = { [K in ClientOp]: Static<(typeof CLIENT_FRAME_SCHEMAS)[K]> }[ClientOp];
export type ReqId = number | string;

/* ---- server → client ---- */

export interface AuthOk {
  user_id: string;
  app_id: string;
  platform: string;
  conn_id: string;
  /** send a ping at least this often; the server closes a connection silent for twice this */
  heartbeat_ms: number;
  server_time: number;
  /**
   * a message is committed within this long of its seq being allocated, or
   * never: a hole below a message older than this is final (clients' gap rule)
   */
  commit_deadline_ms: number;
}

/** Ack of a send: only sent once the message is durably committed. */
export interface SendAck {
  cmid: string;
  msg_id: string;
  conv_id: string;
  seq: number;
  created_at: number;
  /** true when this ack answers a resend of a message already stored */
  duplicate?: boolean;
}

/**
 * `server_time` (ms) is read before the page is: every message committed
 * before it is in the page's range if it exists, so with `commit_deadline_ms`
 * it tells a client whether a hole below a message can still fill.
 */
export interface HistoryResult { messages: Message[]; has_more: boolean; server_time: number }
export interface ConvListResult { conversations: Conversation[]; total_unread: number }
export interface ReadResult { conv_id: string; read_seq: number; unread: number }
export interface ReceiptsResult { conv_id: string; seq: number; read_count: number; member_count: number; read_by: string[] }
export interface PresenceResult { users: Presence[] }
export interface SearchResult { hits: Message[] }

/** Map from op to the `data` of its `ok` answer. */
export interface ReplyData {
  auth: AuthOk;
  send: SendAck;
  history: HistoryResult;
  convs: ConvListResult;
  read: ReadResult;
  recall: SendAck;
  delete: { conv_id: string; seq: number };
  conv_set: { conv_id: string; pinned: boolean; muted: boolean; hidden: boolean };
  receipts: ReceiptsResult;
  presence: PresenceResult;
  search: SearchResult;
  logout: { revoked: true };
}

export type OkFrame = { op: 'ok'; id: ReqId; data: unknown };
export type ErrorFrame = { op: 'error'; id?: ReqId; code: ErrorCode; message: string; retryable: boolean };
export type PongFrame = { op: 'pong'; id?: ReqId; t: number };
/** A new message in a conversation the user belongs to (including notices and their own sends from other devices). */
export type MsgPush = { op: 'msg'; msg: Message };
/** Someone's read position moved: the peer in single chat, or the user's own other device. */
export type ReadPush = { op: 'read'; conv_id: string; user_id: string; seq: number };
export type TypingPush = { op: 'typing'; conv_id: string; user_id: string };
export type PresencePush = { op: 'presence' } & Presence;
/** Conversation settings changed on another device. */
export type ConvPush = { op: 'conv'; conv_id: string; pinned: boolean; muted: boolean; hidden: boolean };
/** The connection is being closed by the server: a newer login on the same platform, logout or an admin kick. */
export type KickedPush = { op: 'kicked'; reason: 'replaced' | 'logout' | 'revoked' | 'admin' };

export type ServerFrame = OkFrame | ErrorFrame | PongFrame | MsgPush | ReadPush | TypingPush | PresencePush | ConvPush | KickedPush;
export type ServerOp = ServerFrame['op'];
export const SERVER_OPS: readonly ServerOp[] = ['ok', 'error', 'pong', 'msg', 'read', 'typing', 'presence', 'conv', 'kicked'];

/** WebSocket close codes the server uses (4000–4999 is the application range). */
export const CLOSE_CODES = {
  /** auth failed or not sent within the deadline */
  auth_failed: 4001,
  /** replaced by a newer login on the same platform, or logged out */
  kicked: 4002,
  /** no frame within twice the heartbeat interval */
  heartbeat_timeout: 4003,
  /** too many consecutive rate-limit violations, or the send buffer overflowed */
  policy: 4008,
  /** server shutting down; reconnect elsewhere */
  going_away: 1001,
} as const;
