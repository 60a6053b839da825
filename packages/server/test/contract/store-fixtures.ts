import assert from 'node:assert/strict';
import {
  StoreError,
  type AppRow, type GroupRow, type MemberRow, type StoreErrorKind, type StoredMessage, type UserRow,
} from '../../src/store/store.js';

/** Rows and assertions shared by the Store contract's files (backend-neutral). */

export const T0 = 1_700_000_000_000;

/** Drops absent (undefined) keys so either representation of "absent" compares equal. */
export const clean = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export const rejectsKind = (p: Promise<unknown>, kind: StoreErrorKind) =>
  assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof StoreError, `expected a StoreError, got ${String(err)}`);
    assert.equal(err.kind, kind);
    return true;
  });

export const appRow = (app_id: string, over: Partial<AppRow> = {}): AppRow => ({
  app_id, name: `App ${app_id}`, api_key_hash: `hash-${app_id}`, webhook_secret: `secret-${app_id}`, created_at: T0,
  settings: {
    allow_registration: true, require_friendship: false, read_receipts: true, recall_window_sec: 120,
    max_group_members: 500, login_policy: 'one_per_platform',
  },
  ...over,
});

export const userRow = (app_id: string, user_id: string, over: Partial<UserRow> = {}): UserRow => ({
  app_id, user_id, name: user_id, tokens_valid_after: 0, created_at: T0, ...over,
});

export const memberRow = (app_id: string, conv_id: string, user_id: string, over: Partial<MemberRow> = {}): MemberRow => ({
  app_id, conv_id, user_id, role: 'member', join_seq: 0, read_seq: 0, muted_until: 0,
  muted: false, pinned: false, hidden: false, joined_at: T0, ...over,
});

export const groupRow = (app_id: string, group_id: string, over: Partial<GroupRow> = {}): GroupRow => ({
  app_id, group_id, name: group_id, notice: '', owner: 'u1', muted_all: false, dismissed: false, max_members: 200, created_at: T0, ...over,
});

export const msg = (app_id: string, conv_id: string, seq: number, sender: string, over: Partial<StoredMessage> = {}): StoredMessage => ({
  app_id, conv_id, seq, msg_id: `mid-${conv_id}-${seq}`, sender, cmid: `cmid-${conv_id}-${seq}`, type: 'text',
  content: { text: `message ${seq}` }, status: 'normal', created_at: T0 + seq * 1000, ...over,
});

export const text = (app_id: string, conv_id: string, seq: number, sender: string, body: string, over: Partial<StoredMessage> = {}) =>
  msg(app_id, conv_id, seq, sender, { content: { text: body }, ...over });

export const seqs = (rows: StoredMessage[]) => rows.map((m) => m.seq);
