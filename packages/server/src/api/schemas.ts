import { Type, type TSchema } from '@sinclair/typebox';
import { ConvId, ConvType, ERROR_CODES, Id, Platform, SendableType, Seq, type ErrorCode } from '@parley/protocol';

/**
 * HTTP shapes shared by the route plugins. Request schemas reuse the
 * protocol's Id/ConvId/Seq so HTTP and WebSocket accept exactly the same ids;
 * response schemas mirror protocol/model.ts and frames.ts (fastify serializes
 * with them, so a field missing here is missing on the wire).
 */
export const ErrorBody = Type.Object({
  error: Type.Object({
    // A plain enum rather than a union of literals: the same check, a tenth of the document size.
    code: Type.Unsafe<ErrorCode>({ type: 'string', enum: ERROR_CODES }),
    message: Type.String(),
    retryable: Type.Boolean({ description: 'true when the same request may succeed later' }),
  }),
}, { $id: 'ErrorBody', description: 'every error: code from the one catalogue (docs/protocol.md), human message, retry hint' });

/** Shared schemas with an $id: registered once (api-server.ts) and referenced, so the OpenAPI document names them. */
export const SHARED_SCHEMAS = [ErrorBody];
export const ErrorRef = Type.Ref('ErrorBody');

export const Role = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')]);
const AnyObject = Type.Record(Type.String(), Type.Unknown());

export const UserProfile = Type.Object({
  user_id: Type.String(),
  name: Type.String(),
  avatar: Type.Optional(Type.String()),
  meta: Type.Optional(AnyObject),
  created_at: Type.Integer(),
});

export const UserWithPresence = Type.Object({
  ...UserProfile.properties,
  online: Type.Boolean(),
  platforms: Type.Array(Platform),
});

export const TokenResult = Type.Object({ token: Type.String(), expires_at: Type.Integer({ description: 'ms since the epoch' }) });
export const Session = Type.Object({ user: UserProfile, token: Type.String(), expires_at: Type.Integer() });

export const GroupInfo = Type.Object({
  group_id: Type.String(),
  conv_id: Type.String(),
  name: Type.String(),
  avatar: Type.Optional(Type.String()),
  notice: Type.String(),
  owner: Type.String(),
  muted_all: Type.Boolean(),
  dismissed: Type.Boolean(),
  member_count: Type.Integer(),
  max_members: Type.Integer(),
  created_at: Type.Integer(),
});

export const GroupMembers = Type.Object({
  members: Type.Array(Type.Object({
    user_id: Type.String(), role: Role, joined_seq: Type.Integer(), muted_until: Type.Integer(), read_seq: Type.Integer(),
  })),
});

export const Message = Type.Object({
  msg_id: Type.String(),
  conv_id: Type.String(),
  conv_type: ConvType,
  seq: Type.Integer(),
  sender: Type.String(),
  cmid: Type.String(),
  type: Type.String({ description: 'text, image, file, link, custom, or notice (server-written)' }),
  content: Type.Unknown({ description: 'by type (protocol model.ts); null once recalled' }),
  mentions: Type.Optional(Type.Array(Type.String())),
  reply_to: Type.Optional(Type.Integer()),
  status: Type.Union([Type.Literal('normal'), Type.Literal('recalled')]),
  created_at: Type.Integer(),
  edited_at: Type.Optional(Type.Integer()),
});

export const SendAck = Type.Object({
  cmid: Type.String(), msg_id: Type.String(), conv_id: Type.String(), seq: Type.Integer(), created_at: Type.Integer(),
  duplicate: Type.Optional(Type.Boolean({ description: 'true when this answers a resend of a stored message' })),
});

export const Conversation = Type.Object({
  conv_id: Type.String(), conv_type: ConvType, peer: Type.String(), name: Type.String(), avatar: Type.Optional(Type.String()),
  last_seq: Type.Integer(), read_seq: Type.Integer(), peer_read_seq: Type.Optional(Type.Integer()), unread: Type.Integer(),
  last_message: Type.Optional(Message), pinned: Type.Boolean(), muted: Type.Boolean(), hidden: Type.Boolean(), updated_at: Type.Integer(),
});

export const ConvList = Type.Object({ conversations: Type.Array(Conversation), total_unread: Type.Integer() });
export const History = Type.Object({ messages: Type.Array(Message), has_more: Type.Boolean(), server_time: Type.Integer() });
export const ReadResult = Type.Object({ conv_id: Type.String(), read_seq: Type.Integer(), unread: Type.Integer() });
export const Receipts = Type.Object({
  conv_id: Type.String(), seq: Type.Integer(), read_count: Type.Integer(), member_count: Type.Integer(), read_by: Type.Array(Type.String()),
});
export const ConvSettings = Type.Object({ conv_id: Type.String(), pinned: Type.Boolean(), muted: Type.Boolean(), hidden: Type.Boolean() });
export const SearchResult = Type.Object({ hits: Type.Array(Message) });
export const Friends = Type.Object({ friends: Type.Array(Type.String()) });
export const Blocked = Type.Object({ blocked: Type.Array(Type.String()) });

export const AppSettings = Type.Object({
  allow_registration: Type.Boolean(),
  require_friendship: Type.Boolean(),
  read_receipts: Type.Boolean(),
  recall_window_sec: Type.Integer({ minimum: 0, maximum: 31_536_000 }),
  max_group_members: Type.Integer({ minimum: 2, maximum: 100_000 }),
  login_policy: Type.Union([Type.Literal('one_per_platform'), Type.Literal('one_total'), Type.Literal('unlimited')]),
  webhook_url: Type.Optional(Type.String({ maxLength: 2048 })),
});

/* ---- request pieces ---- */

/** A copy of a schema with its own description (for the OpenAPI document). */
export const described = <T extends TSchema>(schema: T, description: string): T => ({ ...schema, description });

export const Name = Type.String({ minLength: 1, maxLength: 100 });
export const Avatar = Type.String({ maxLength: 2048 });
export const Password = Type.String({ minLength: 6, maxLength: 128 });
export const Meta = Type.Record(Type.String(), Type.Unknown(), { description: 'free-form JSON of the business line' });
export const UserIdParams = Type.Object({ user_id: Id });
export const GroupParams = Type.Object({ group_id: Id });
export const GroupUserParams = Type.Object({ group_id: Id, user_id: Id });
export const ConvParams = Type.Object({ conv_id: ConvId });
export const ConvSeqParams = Type.Object({ conv_id: ConvId, seq: Seq });
export const UserIdBody = Type.Object({ user_id: Id }, { additionalProperties: false });
export const UserIdsBody = Type.Object({ user_ids: Type.Array(Id, { minItems: 1, maxItems: 500 }) }, { additionalProperties: false });
export const RoleBody = Type.Object({ role: Role }, { additionalProperties: false });
export const GroupPatch = Type.Object({
  name: Type.Optional(Name), notice: Type.Optional(Type.String({ maxLength: 2000 })), avatar: Type.Optional(Avatar),
}, { additionalProperties: false });
export const MuteBody = Type.Object({
  user_id: Type.Optional(Id),
  until: Type.Optional(Type.Integer({ minimum: 0, description: 'ms epoch the member stays muted until; 0 lifts the mute' })),
  all: Type.Optional(Type.Boolean({ description: 'mute (true) or unmute (false) every ordinary member' })),
}, { additionalProperties: false });
export const Mentions = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100 });
export const SendFields = {
  conv_type: Type.Union([Type.Literal('single'), Type.Literal('group')]),
  to: Id,
  type: SendableType,
  content: Type.Unknown({ description: 'checked against the type: {text} for text, {url,size,width,height} for image, ...' }),
  mentions: Type.Optional(Mentions),
  reply_to: Type.Optional(Seq),
};
export const Cmid = Type.String({ minLength: 1, maxLength: 64 });

/** The response map of a route: its main success shape plus the error body for every failure. */
export function responses(status: number, ok: TSchema, description?: string): Record<string, TSchema> {
  return { [status]: description ? { ...ok, description } : ok, '4xx': ErrorRef, '5xx': ErrorRef };
}

type Security = Array<Record<string, string[]>>;

/** Route schema of a business-backend route: tagged `admin`, API key in X-Api-Key or as a bearer. */
export function adminRoute<T extends object>(schema: T): T & { tags: string[]; security: Security } {
  return { tags: ['admin'], security: [{ apiKey: [] }, { bearer: [] }], ...schema };
}

/** Route schema of a client route: tagged `client`, a user token as the bearer (none for register/login). */
export function clientRoute<T extends object>(schema: T, opts: { anonymous?: boolean } = {}): T & { tags: string[]; security: Security } {
  return { tags: ['client'], security: opts.anonymous ? [] : [{ bearer: [] }], ...schema };
}

export function opsRoute<T extends object>(schema: T): T & { tags: string[] } {
  return { tags: ['ops'], ...schema };
}
