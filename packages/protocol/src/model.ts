import { Type, type Static } from '@sinclair/typebox';

/**
 * Data shapes shared by frames and the HTTP API. Ids are short ASCII strings
 * so they can be embedded in conversation ids without escaping.
 */
export const Id = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' });
export const ConvId = Type.String({ pattern: '^(s:[A-Za-z0-9_.-]{1,64}:[A-Za-z0-9_.-]{1,64}|g:[A-Za-z0-9_.-]{1,64}|n:[A-Za-z0-9_.-]{1,64})$' });
export const Seq = Type.Integer({ minimum: 0 });
export const Platform = Type.Union([
  Type.Literal('web'), Type.Literal('ios'), Type.Literal('android'), Type.Literal('desktop'), Type.Literal('pad'),
]);
export type Platform = Static<typeof Platform>;
export const PLATFORMS: readonly Platform[] = ['web', 'ios', 'android', 'desktop', 'pad'];

export const ConvType = Type.Union([Type.Literal('single'), Type.Literal('group'), Type.Literal('notification')]);
export type ConvType = Static<typeof ConvType>;

/** Message types a client may send; `notice` is written by the server only. */
export const SendableType = Type.Union([
  Type.Literal('text'), Type.Literal('image'), Type.Literal('file'), Type.Literal('link'), Type.Literal('custom'),
]);
export type SendableType = Static<typeof SendableType>;
export type MessageType = SendableType | 'notice';

export const TextContent = Type.Object({ text: Type.String({ minLength: 1, maxLength: 10000 }) }, { additionalProperties: false });
export const ImageContent = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2048 }),
  size: Type.Integer({ minimum: 0 }),
  width: Type.Integer({ minimum: 0 }),
  height: Type.Integer({ minimum: 0 }),
  thumb_url: Type.Optional(Type.String({ maxLength: 2048 })),
}, { additionalProperties: false });
export const FileContent = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2048 }),
  name: Type.String({ minLength: 1, maxLength: 255 }),
  size: Type.Integer({ minimum: 0 }),
  mime: Type.Optional(Type.String({ maxLength: 255 })),
}, { additionalProperties: false });
export const LinkContent = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2048 }),
  title: Type.String({ maxLength: 500 }),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  image_url: Type.Optional(Type.String({ maxLength: 2048 })),
}, { additionalProperties: false });
export const CustomContent = Type.Object({ data: Type.Unknown() }, { additionalProperties: false });

export const CONTENT_SCHEMAS = {
  text: TextContent, image: ImageContent, file: FileContent, link: LinkContent, custom: CustomContent,
} as const;

export type TextContent = Static<typeof TextContent>;
export type ImageContent = Static<typeof ImageContent>;
export type FileContent = Static<typeof FileContent>;
export type LinkContent = Static<typeof LinkContent>;
export type CustomContent = Static<typeof CustomContent>;

/** Server-written notices: recalls and group changes, each with its own seq. */
export type NoticeContent =
  | { kind: 'recall'; seq: number; by: string }
  | { kind: 'edit'; seq: number; by: string }
  | { kind: 'group_created'; by: string; name: string }
  | { kind: 'members_added'; by: string; users: string[] }
  | { kind: 'member_removed'; by: string; user: string }
  | { kind: 'member_left'; user: string }
  | { kind: 'group_dismissed'; by: string }
  | { kind: 'group_renamed'; by: string; name: string }
  | { kind: 'group_notice'; by: string; notice: string }
  | { kind: 'role_changed'; by: string; user: string; role: MemberRole }
  | { kind: 'member_muted'; by: string; user: string; until: number }
  | { kind: 'group_muted'; by: string; muted: boolean }
  | { kind: 'system'; text: string; data?: unknown };

export type MemberRole = 'owner' | 'admin' | 'member';
export type MessageStatus = 'normal' | 'recalled';

/** A stored message as the server sends it. */
export interface Message {
  msg_id: string;
  conv_id: string;
  conv_type: ConvType;
  seq: number;
  sender: string;
  cmid: string;
  type: MessageType;
  content: unknown;
  mentions?: string[];
  /** seq of the quoted message in the same conversation */
  reply_to?: number;
  status: MessageStatus;
  created_at: number;
  edited_at?: number;
}

/** One row of a user's conversation list. */
export interface Conversation {
  conv_id: string;
  conv_type: ConvType;
  /** peer user id for single chat, group id for group chat */
  peer: string;
  name: string;
  avatar?: string;
  last_seq: number;
  read_seq: number;
  /** the peer's read position (single chat only) */
  peer_read_seq?: number;
  unread: number;
  last_message?: Message;
  pinned: boolean;
  muted: boolean;
  hidden: boolean;
  updated_at: number;
}

export interface UserProfile {
  user_id: string;
  name: string;
  avatar?: string;
  meta?: Record<string, unknown>;
  created_at: number;
}

export interface GroupInfo {
  group_id: string;
  conv_id: string;
  name: string;
  avatar?: string;
  notice: string;
  owner: string;
  muted_all: boolean;
  dismissed: boolean;
  member_count: number;
  max_members: number;
  created_at: number;
}

export interface GroupMember {
  user_id: string;
  role: MemberRole;
  joined_seq: number;
  muted_until: number;
  read_seq: number;
}

export interface Presence {
  user_id: string;
  online: boolean;
  platforms: Platform[];
}

/** Conversation id of a single chat: both user ids, sorted, so both sides compute the same. */
export function singleConvId(a: string, b: string): string {
  return a < b ? `s:${a}:${b}` : `s:${b}:${a}`;
}

export function groupConvId(groupId: string): string {
  return `g:${groupId}`;
}

export function parseConvId(convId: string): { type: ConvType; users?: [string, string]; groupId?: string } | null {
  if (convId.startsWith('s:')) {
    const parts = convId.split(':');
    if (parts.length !== 3 || !parts[1] || !parts[2]) return null;
    return { type: 'single', users: [parts[1], parts[2]] };
  }
  if (convId.startsWith('g:') && convId.length > 2) return { type: 'group', groupId: convId.slice(2) };
  if (convId.startsWith('n:') && convId.length > 2) return { type: 'notification', users: [convId.slice(2), convId.slice(2)] };
  return null;
}

/** The other user of a single chat. */
export function peerOf(convId: string, me: string): string | null {
  const p = parseConvId(convId);
  if (!p || p.type !== 'single' || !p.users) return null;
  return p.users[0] === me ? p.users[1] : p.users[0];
}
