import type { ConvType, MemberRole, Message, MessageStatus } from '@parley/protocol';

/**
 * The message store and domain tables seam (DESIGN §2, §3).
 *
 * Read diffusion: a message is one row in its conversation's timeline; a
 * member row per (conversation, user) carries read_seq, join seq and the
 * user's settings, and is the user's conversation list. Nothing is written
 * per recipient per message.
 *
 * Guarantees every implementation gives:
 * - `commitMessages` is atomic and durable when its promise resolves: every
 *   message of the batch that is not a duplicate is stored, with conversation
 *   last_seq/preview and the sender's read_seq advanced, or nothing is (the
 *   promise rejects).
 * - (app, sender, cmid) is unique, and the commit dedups by it (callers need
 *   not look it up first): a message whose (app, sender, cmid) is already
 *   stored, or taken by an earlier message of the same batch, is not stored;
 *   `CommitResult.duplicates` reports the original row for it instead. A
 *   duplicate moves nothing: last_seq, the preview and read_seq reflect only
 *   the messages actually stored, and its seq is left as a gap.
 * - (app, conv, seq) is unique: a seq already used (stored, or twice in the
 *   batch) rejects the whole batch with StoreError('conflict').
 * - read_seq only moves forward.
 * - Every query is scoped to one app.
 * Errors are StoreError with a backend-neutral kind; driver errors are
 * translated inside each implementation.
 */

export type StoreErrorKind = 'not_found' | 'duplicate' | 'conflict' | 'unavailable';

export class StoreError extends Error {
  constructor(readonly kind: StoreErrorKind, message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface AppRow {
  app_id: string;
  name: string;
  /** sha-256 hex of the API key; the key itself is shown once at creation */
  api_key_hash: string;
  /** secret for signing webhooks */
  webhook_secret: string;
  settings: AppSettings;
  created_at: number;
}

export interface AppSettings {
  allow_registration: boolean;
  require_friendship: boolean;
  read_receipts: boolean;
  recall_window_sec: number;
  max_group_members: number;
  /** platforms of which a user may have one connection each; others kick the older one */
  login_policy: 'one_per_platform' | 'one_total' | 'unlimited';
  /** extra custom message types allowed (all `custom` content is accepted regardless) */
  webhook_url?: string;
}

export interface UserRow {
  app_id: string;
  user_id: string;
  name: string;
  avatar?: string;
  meta?: Record<string, unknown>;
  /** scrypt hash `scrypt$N$r$p$salt$hash` or undefined when the user cannot log in by password */
  password_hash?: string;
  /** tokens issued before this time (ms) are revoked */
  tokens_valid_after: number;
  created_at: number;
}

export interface ConversationRow {
  app_id: string;
  conv_id: string;
  type: ConvType;
  last_seq: number;
  /** JSON of the last message (the conversation list preview), if any */
  last_message?: StoredMessage;
  updated_at: number;
}

export interface MemberRow {
  app_id: string;
  conv_id: string;
  user_id: string;
  role: MemberRole;
  /** first seq this member may see (history visibility) */
  join_seq: number;
  read_seq: number;
  /** ms epoch until which the member may not send (group mute), 0 = not muted */
  muted_until: number;
  /** notification mute (do not disturb), pinned, hidden: the user's own list settings */
  muted: boolean;
  pinned: boolean;
  hidden: boolean;
  joined_at: number;
}

export interface GroupRow {
  app_id: string;
  group_id: string;
  name: string;
  avatar?: string;
  notice: string;
  owner: string;
  muted_all: boolean;
  dismissed: boolean;
  max_members: number;
  created_at: number;
}

/** A message as stored: the wire `Message` with its app, without the derived conv_type. */
export interface StoredMessage extends Omit<Message, 'conv_type'> {
  app_id: string;
}

/** What a committed batch reports back. */
export interface CommitResult {
  /**
   * One entry per message of the batch that was not stored because its
   * (app, sender, cmid) already existed, in batch order: the ORIGINAL stored
   * row (which may be the first message of the same batch with that cmid:
   * only the first occurrence of a cmid in a batch can be stored). Empty when
   * every message was stored.
   */
  duplicates: StoredMessage[];
}

/** A conversation-list row: the member row joined with its conversation. */
export interface MemberConversation extends MemberRow {
  type: ConvType;
  last_seq: number;
  last_message?: StoredMessage;
  updated_at: number;
}

export interface HistoryQuery {
  app_id: string;
  conv_id: string;
  /** the reader: their join_seq bounds what is visible and their deletions are hidden */
  user_id: string;
  /** newest first below this seq (exclusive) */
  before?: number;
  /** oldest first above this seq (exclusive); wins over before */
  after?: number;
  limit: number;
}

export interface SearchQuery {
  app_id: string;
  user_id: string;
  text: string;
  conv_id?: string;
  sender?: string;
  type?: string;
  since?: number;
  until?: number;
  limit: number;
}

export interface MemberPatch {
  role?: MemberRole;
  muted_until?: number;
  muted?: boolean;
  pinned?: boolean;
  hidden?: boolean;
}

export interface Store {
  /** create tables / run pending migrations; idempotent */
  migrate(): Promise<void>;
  close(): Promise<void>;

  // apps
  createApp(app: AppRow): Promise<void>;
  getApp(appId: string): Promise<AppRow | null>;
  getAppByKeyHash(apiKeyHash: string): Promise<AppRow | null>;
  listApps(): Promise<AppRow[]>;
  updateAppSettings(appId: string, settings: AppSettings): Promise<void>;

  // users
  createUser(user: UserRow): Promise<void>; // duplicate → StoreError('duplicate')
  getUser(appId: string, userId: string): Promise<UserRow | null>;
  getUsers(appId: string, userIds: string[]): Promise<UserRow[]>;
  updateUser(appId: string, userId: string, patch: Partial<Pick<UserRow, 'name' | 'avatar' | 'meta' | 'password_hash' | 'tokens_valid_after'>>): Promise<void>;
  /** prefix/substring match on user id or name */
  searchUsers(appId: string, query: string, limit: number): Promise<UserRow[]>;

  // friends and blocks (directed rows; friendship is stored both ways)
  addFriend(appId: string, a: string, b: string, at: number): Promise<void>;
  removeFriend(appId: string, a: string, b: string): Promise<void>;
  listFriends(appId: string, userId: string): Promise<string[]>;
  isFriend(appId: string, a: string, b: string): Promise<boolean>;
  block(appId: string, blocker: string, blocked: string, at: number): Promise<void>;
  unblock(appId: string, blocker: string, blocked: string): Promise<void>;
  listBlocked(appId: string, blocker: string): Promise<string[]>;
  isBlocked(appId: string, blocker: string, blocked: string): Promise<boolean>;

  // groups
  createGroup(group: GroupRow): Promise<void>;
  getGroup(appId: string, groupId: string): Promise<GroupRow | null>;
  updateGroup(appId: string, groupId: string, patch: Partial<Pick<GroupRow, 'name' | 'avatar' | 'notice' | 'owner' | 'muted_all' | 'dismissed'>>): Promise<void>;

  // conversations and members
  /** create the conversation if missing; returns it */
  ensureConversation(appId: string, convId: string, type: ConvType, at: number): Promise<ConversationRow>;
  getConversation(appId: string, convId: string): Promise<ConversationRow | null>;
  /** insert members that are not yet members; existing rows are left unchanged */
  addMembers(rows: MemberRow[]): Promise<void>;
  removeMember(appId: string, convId: string, userId: string): Promise<void>;
  getMember(appId: string, convId: string, userId: string): Promise<MemberRow | null>;
  listMembers(appId: string, convId: string): Promise<MemberRow[]>;
  countMembers(appId: string, convId: string): Promise<number>;
  updateMember(appId: string, convId: string, userId: string, patch: MemberPatch): Promise<void>;
  /** advance read_seq to max(read_seq, seq), capped at the conversation's last_seq; returns the new value */
  markRead(appId: string, convId: string, userId: string, seq: number): Promise<number>;
  /** the user's conversation list (hidden ones included; callers filter) */
  listMemberConversations(appId: string, userId: string): Promise<MemberConversation[]>;
  /** user ids of members whose read_seq ≥ seq */
  readersAtLeast(appId: string, convId: string, seq: number): Promise<string[]>;

  // messages
  /** the highest committed seq of a conversation (0 if none): seeds the seq allocator */
  maxSeq(appId: string, convId: string): Promise<number>;
  /** atomically store a batch (group commit); see the guarantees above */
  commitMessages(messages: StoredMessage[]): Promise<CommitResult>;
  findByCmid(appId: string, sender: string, cmid: string): Promise<StoredMessage | null>;
  getMessage(appId: string, convId: string, seq: number): Promise<StoredMessage | null>;
  history(q: HistoryQuery): Promise<StoredMessage[]>;
  setMessageStatus(appId: string, convId: string, seq: number, status: MessageStatus, at: number): Promise<void>;
  /** delete-for-me: hides the message from this user only */
  hideMessageFor(appId: string, convId: string, seq: number, userId: string): Promise<void>;
  /** full-text search (Chinese included), only over conversations the user is a member of, from their join_seq, newest first */
  search(q: SearchQuery): Promise<StoredMessage[]>;
  /**
   * Optional: resolves once every message committed so far is in the full-text
   * index, for a backend that indexes after the commit. Search must find a
   * committed message whether or not it is indexed yet; this only ends the
   * backlog (diagnostics, before measuring search).
   */
  flushSearchIndex?(): Promise<void>;
}
