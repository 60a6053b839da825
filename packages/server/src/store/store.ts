import type { ConvType } from '@parley/protocol';
import type {
  AppRow, AppSettings, ConversationRow, GroupRow, HistoryQuery, MemberConversation, MemberPatch, MemberRow,
  SearchQuery, StoredMessage, StoredMessageText, UserRow,
} from './store-rows.js';

export type * from './store-rows.js';

/**
 * The message store and domain tables seam (DESIGN §2, §3), as one interface
 * per domain (apps, users, relations, groups, conversations, messages) that a
 * backend class implements all of (`Store`).
 *
 * Read diffusion: a message is one row in its conversation's timeline; a
 * member row per (conversation, user) carries read_seq, join seq and the
 * user's settings, and is the user's conversation list. Nothing is written
 * per recipient per message.
 *
 * Guarantees every implementation gives, whatever the number of processes or
 * store handles on one database:
 * - Every method that writes is one transaction: it happens entirely or not at
 *   all, and a method documented as conditional decides on the rows as they
 *   are inside that transaction (no read-check-write race between handles).
 * - (app, sender, cmid) and (app, conv, seq) are each unique over the whole
 *   store: a resend is never stored twice, a seq never holds two messages,
 *   whichever handle or process commits (see `commitMessages`).
 * - Every query is scoped to one app, except the event-outbox sweep
 *   (`pendingEvents`), which reads the whole store's unpublished events.
 * - read_seq only moves forward.
 * Errors are StoreError with a backend-neutral kind; driver errors are
 * translated inside each implementation. A domain refusal of a conditional
 * operation (group full, window passed) is a result, not an error.
 */

export type StoreErrorKind = 'not_found' | 'duplicate' | 'conflict' | 'unavailable';

export class StoreError extends Error {
  constructor(readonly kind: StoreErrorKind, message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface AppStore {
  createApp(app: AppRow): Promise<void>;
  getApp(appId: string): Promise<AppRow | null>;
  getAppByKeyHash(apiKeyHash: string): Promise<AppRow | null>;
  listApps(): Promise<AppRow[]>;
  updateAppSettings(appId: string, settings: AppSettings): Promise<void>;
}

export interface UserStore {
  createUser(user: UserRow): Promise<void>; // duplicate → StoreError('duplicate')
  getUser(appId: string, userId: string): Promise<UserRow | null>;
  getUsers(appId: string, userIds: string[]): Promise<UserRow[]>;
  updateUser(appId: string, userId: string, patch: Partial<Pick<UserRow, 'name' | 'avatar' | 'meta' | 'password_hash' | 'tokens_valid_after'>>): Promise<void>;
  /** prefix/substring match on user id or name */
  searchUsers(appId: string, query: string, limit: number): Promise<UserRow[]>;
}

/** Friends and blocks: directed rows; friendship is stored both ways, in one transaction. */
export interface RelationStore {
  addFriend(appId: string, a: string, b: string, at: number): Promise<void>;
  removeFriend(appId: string, a: string, b: string): Promise<void>;
  listFriends(appId: string, userId: string): Promise<string[]>;
  isFriend(appId: string, a: string, b: string): Promise<boolean>;
  block(appId: string, blocker: string, blocked: string, at: number): Promise<void>;
  unblock(appId: string, blocker: string, blocked: string): Promise<void>;
  listBlocked(appId: string, blocker: string): Promise<string[]>;
  isBlocked(appId: string, blocker: string, blocked: string): Promise<boolean>;
}

/** What `addGroupMembers` did. */
export type AddGroupMembersResult =
  /** `added`: the users that were not members before (now members, from `join_seq`); may be empty */
  | { ok: true; added: string[]; join_seq: number }
  /** nothing was written: the group is missing, dismissed, or would exceed its max_members (`members`: its count now) */
  | { ok: false; reason: 'not_found' | 'dismissed' | 'full'; members: number };

/** What `transferOwnership` did. */
export type TransferOwnershipResult =
  | { ok: true }
  /** nothing was written: the group is missing or dismissed, `from` is no longer its owner, or `to` is not a member */
  | { ok: false; reason: 'not_found' | 'dismissed' | 'not_owner' | 'not_member' };

export interface GroupStore {
  /**
   * Create the group, its conversation `convId` (type group) and its member
   * rows (each row's conv_id must be `convId`), in one transaction. A group id
   * already taken → StoreError('duplicate') and nothing is written.
   */
  createGroup(group: GroupRow, convId: string, members: MemberRow[]): Promise<void>;
  getGroup(appId: string, groupId: string): Promise<GroupRow | null>;
  /** the existing groups among `groupIds` (any order; missing ids are left out) */
  getGroups(appId: string, groupIds: string[]): Promise<GroupRow[]>;
  updateGroup(appId: string, groupId: string, patch: Partial<Pick<GroupRow, 'name' | 'avatar' | 'notice' | 'owner' | 'muted_all' | 'dismissed'>>): Promise<void>;
  /**
   * Add `users` to the group's conversation `convId` under the group's
   * max_members, in one transaction: the count, the limit check and the
   * inserts see the same rows, so two concurrent adds never exceed the limit
   * together. Users already members are left unchanged and not counted twice.
   * New rows: role member, no settings, joined_at `at`,
   * join_seq = max(minJoinSeq, last committed seq + 1) and read_seq =
   * join_seq − 1 (nothing unread, no older history). The caller passes
   * `minJoinSeq` = the seq allocator's current + 1, so a seq already handed out
   * but not yet committed stays invisible to the new members.
   */
  addGroupMembers(appId: string, groupId: string, convId: string, users: string[], opts: { at: number; minJoinSeq: number }): Promise<AddGroupMembersResult>;
  /**
   * Give the group to `to`, in one transaction and only if `from` is still
   * its owner and `to` a member: the group's owner becomes `to`, `to`'s role
   * owner, `from`'s role admin.
   */
  transferOwnership(appId: string, groupId: string, convId: string, from: string, to: string): Promise<TransferOwnershipResult>;
}

/** One conversation with the member rows it must have (see `ensureConversations`). */
export interface ConversationWithMembers {
  conv_id: string;
  type: ConvType;
  members: MemberRow[];
}

export interface ConversationStore {
  /** create the conversation if missing; returns it */
  ensureConversation(appId: string, convId: string, type: ConvType, at: number): Promise<ConversationRow>;
  /**
   * Create every missing conversation of `convs` (created_at/updated_at `at`)
   * and every missing member row, in ONE transaction; existing conversations
   * and member rows are left unchanged. Each member row's conv_id must be its
   * conversation's. Any number of conversations (a notification to 1,000 users
   * is one call).
   */
  ensureConversations(appId: string, convs: ConversationWithMembers[], at: number): Promise<void>;
  getConversation(appId: string, convId: string): Promise<ConversationRow | null>;
  /** insert members that are not yet members; existing rows are left unchanged */
  addMembers(rows: MemberRow[]): Promise<void>;
  removeMember(appId: string, convId: string, userId: string): Promise<void>;
  getMember(appId: string, convId: string, userId: string): Promise<MemberRow | null>;
  /** the existing member rows among the (conv_id, user_id) pairs, in one read (any order; missing pairs are left out) */
  getMemberRows(appId: string, keys: Array<{ conv_id: string; user_id: string }>): Promise<MemberRow[]>;
  listMembers(appId: string, convId: string): Promise<MemberRow[]>;
  countMembers(appId: string, convId: string): Promise<number>;
  updateMember(appId: string, convId: string, userId: string, patch: MemberPatch): Promise<void>;
  /** advance read_seq to max(read_seq, seq), capped at the conversation's last_seq; returns the new value */
  markRead(appId: string, convId: string, userId: string, seq: number): Promise<number>;
  /** the user's conversation list (hidden ones included; callers filter) */
  listMemberConversations(appId: string, userId: string): Promise<MemberConversation[]>;
  /** user ids of members whose read_seq ≥ seq */
  readersAtLeast(appId: string, convId: string, seq: number): Promise<string[]>;
}

/** What a committed batch reports back. */
export interface CommitResult {
  /**
   * One entry per message of the batch that was not stored because its
   * (app, sender, cmid) already existed, in batch order: the ORIGINAL stored
   * row (which may be the first message of the same batch with that cmid:
   * only the first occurrence of a cmid in a batch can be stored). Empty when
   * no cmid was taken.
   */
  duplicates: StoredMessage[];
  /**
   * The messages of the batch (the very objects given, in batch order) not
   * stored because their (app, conv, seq) was taken — by a stored message or
   * by an earlier message of the same batch — while their cmid was free. They
   * moved nothing; the caller may give them new seqs and commit them again.
   * Empty when no seq was taken.
   */
  conflicts: StoredMessage[];
  /**
   * The messages of the batch (the very objects given, in batch order) not
   * stored because they are group messages (not notices) whose sender had no
   * member row in the conversation inside the commit's transaction: whatever
   * a cache said, a member removed before the commit cannot post. Checked
   * before the cmid and the seq, so such a message is reported here only.
   * Notices (the server's own: system messages, group-service notices such as
   * "X left") and single-chat messages are not checked. Empty when none.
   */
  not_members: StoredMessage[];
}

/** Whether `commitMessages` stores the message only from a member: group messages of users; the server's notices are exempt. */
export function needsMember(m: Pick<StoredMessage, 'conv_id' | 'type'>): boolean {
  return m.type !== 'notice' && m.conv_id.startsWith('g:');
}

/** One message's key (an outbox row's). */
export interface MessageKey {
  app_id: string;
  conv_id: string;
  seq: number;
}

/** What `recallMessage` did. */
export type RecallResult =
  /** marked recalled; `message` is the row as it was before (its sender, type, created_at) */
  | { ok: true; message: StoredMessage }
  /** nothing was written: no such message, a notice, already recalled, or older than the window */
  | { ok: false; reason: 'not_found' | 'notice' | 'already_recalled' | 'expired'; message?: StoredMessage };

export interface MessageStore {
  /** the highest committed seq of a conversation (0 if none): the "max seq" clients see */
  maxSeq(appId: string, convId: string): Promise<number>;
  /**
   * Durable per-conversation seq high-water mark (seq-allocator.ts `SeqReserve`):
   * in one committed transaction, first = max(mark, last committed seq) + 1,
   * last = first + size − 1, and the mark becomes last. Two callers (any
   * handles, any processes) never get overlapping blocks, and no block ever
   * starts at or below a committed seq or a seq of an earlier block (except
   * an unused tail given back by `releaseSeqBlocks`). `size` ≥ 1. The mark is never
   * shown to clients (last_seq/maxSeq stay the last committed seq); seqs of a
   * block that are never committed are gaps.
   */
  reserveSeqBlock(appId: string, convId: string, size: number): Promise<{ first: number; last: number }>;
  /**
   * Give back the unused tail of reserved blocks (an allocator closing
   * gracefully), in one transaction, so a clean restart leaves no gap. For
   * each block whose conversation's mark is still `last` (nobody reserved
   * after it), the mark becomes `used` — the highest seq handed out from the
   * block (first − 1 if none). A mark raised by another caller is left alone;
   * the next block still starts above every committed seq.
   */
  releaseSeqBlocks(blocks: Array<{ app_id: string; conv_id: string; last: number; used: number }>): Promise<void>;
  /**
   * Store a batch (group commit) in one transaction, durable when the promise
   * resolves. Every message of the batch is stored except those reported in
   * `CommitResult.duplicates` (cmid taken: checked first) and
   * `CommitResult.conflicts` (seq taken); for the stored ones the
   * conversation's last_seq/preview move to the highest stored seq (never
   * backwards; the conversation row is created if missing) and each sender's
   * read_seq to what they sent. A skipped message moves nothing. The promise
   * rejects (nothing of the batch stored) only on a failure of the store
   * itself (`unavailable`). `CommitResult.not_members` are skipped first
   * (one primary-key lookup of the sender's member row per group message).
   *
   * Outbox: every stored message also gets an event-outbox row in the same
   * transaction, so a message that is durable (and may have been acked) is
   * also durably "event not yet published" until `markEventsPublished`
   * removes its row — a process dying between commit and publish loses no
   * event (see OutboxRelay).
   */
  commitMessages(messages: StoredMessage[]): Promise<CommitResult>;
  /**
   * How many `commitMessages` calls the group committer may have in flight at
   * once (default 1). Above 1 the store must be able to take a batch while an
   * earlier one is being written (e.g. it commits on another thread): the
   * committer then gathers the next batch meanwhile, and still settles batches
   * in the order it started them, whatever order their answers come in.
   */
  readonly commitPipelineDepth?: number;
  /**
   * Stored messages that still have an outbox row created at or before
   * `olderThan` (their message's created_at), in key order (app, conv, seq —
   * so per conversation in seq order), strictly after the key `after` when
   * given, at most `limit`. Read-only; any number of callers may read the
   * same rows (each then publishes them: consumers dedup by message id).
   */
  pendingEvents(q: { olderThan: number; limit: number; after?: MessageKey }): Promise<StoredMessage[]>;
  /** Remove the outbox rows of these messages (their events are published), in one transaction; missing keys are ignored. */
  markEventsPublished(keys: readonly MessageKey[]): Promise<void>;
  findByCmid(appId: string, sender: string, cmid: string): Promise<StoredMessage | null>;
  getMessage(appId: string, convId: string, seq: number): Promise<StoredMessage | null>;
  history(q: HistoryQuery): Promise<StoredMessage[]>;
  /**
   * `history` with each message's content left as the stored JSON text, for
   * stores that hold it as text (the reply splices it in without a parse);
   * absent: callers use `history`.
   */
  historyText?(q: HistoryQuery): Promise<StoredMessageText[]>;
  /**
   * Recall as one conditional update: marks the message (and the conversation
   * preview, if it is that message) recalled at `at`, only if it exists, is
   * not a notice, is not already recalled and, when `createdSince` is given,
   * was created at or after it (the recall window). Two concurrent recalls of
   * one message: exactly one gets ok.
   */
  recallMessage(appId: string, convId: string, seq: number, opts: { at: number; createdSince?: number }): Promise<RecallResult>;
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

export interface Store extends AppStore, UserStore, RelationStore, GroupStore, ConversationStore, MessageStore {
  /** create tables / run pending migrations; idempotent */
  migrate(): Promise<void>;
  close(): Promise<void>;
}
