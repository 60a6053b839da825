import type Database from 'better-sqlite3';
import { StoreError } from '../store.js';
import { foldForSearch } from './search-fold.js';
import { searchableTextOfJson } from './search-text.js';

/**
 * Schema migrations, applied in order, each in its own IMMEDIATE transaction
 * together with its schema_version row, so a crash leaves the schema at a
 * whole version. Append new migrations; never edit an applied one.
 *
 * Layout notes (DESIGN §3, read diffusion):
 * - Tables are STRICT: a bug that binds a string into an integer column fails
 *   loudly instead of being stored.
 * - No foreign keys: the distributed store (Vitess/TiDB) cannot enforce them
 *   across shards, and both backends must behave the same; services keep the
 *   references (they create a conversation before its members).
 * - `groups` is a reserved word in SQLite 3.28+ and MySQL 8, hence `chat_groups`.
 * - `messages` keeps its logical key (app_id, conv_id, seq) as PRIMARY KEY.
 *   The full-text index is keyed by `fts_id`, an explicit column, not by the
 *   implicit rowid, because VACUUM may renumber implicit rowids of tables
 *   without an INTEGER PRIMARY KEY and would silently detach the index.
 * - `message_fts` is contentless (content=''): the text already lives in
 *   messages.content (JSON), so an external-content table would need a second
 *   copy of it as a plain column; contentless stores only the trigram index and
 *   search joins back to messages. contentless_delete=1 lets a later retention
 *   job delete index rows by id without supplying the original text.
 * - msg_id has no index: nothing looks a message up by it (clients address
 *   messages by conversation and seq).
 * - `messages.search_text` (v2) is the searchable text folded as the trigram
 *   tokenizer folds it, NULL exactly when fts_id is: the scope scan of small
 *   searches matches it with instr() instead of parsing content per row.
 * - `seq_marks` (v3) holds the highest seq ever reserved per conversation
 *   (Store.reserveSeqBlock), so an allocator that lost its state never reuses a seq.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** a data step run after `sql`, in the same transaction (backfills needing the app's own functions) */
  data?: (db: Database.Database) => void;
}

/** v2 backfill: search_text of every indexed message, computed as the writer computes it. */
function backfillSearchText(db: Database.Database): void {
  // In pages by rowid: better-sqlite3 cannot write while a read is iterating, and
  // a large store should not be read into memory at once.
  const page = db.prepare(`SELECT rowid, type, content FROM messages
    WHERE rowid > ? AND fts_id IS NOT NULL ORDER BY rowid LIMIT 10000`).raw();
  const set = db.prepare('UPDATE messages SET search_text = ? WHERE rowid = ?');
  for (let after = 0; ;) {
    const rows = page.all(after) as [number, string, string][];
    if (rows.length === 0) return;
    for (const [rowid, type, content] of rows) {
      const text = searchableTextOfJson(type, content);
      set.run(text === null ? null : foldForSearch(text), rowid);
      after = rowid;
    }
  }
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE apps (
        app_id         TEXT NOT NULL PRIMARY KEY,
        name           TEXT NOT NULL,
        api_key_hash   TEXT NOT NULL UNIQUE,
        webhook_secret TEXT NOT NULL,
        settings       TEXT NOT NULL,
        created_at     INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE users (
        app_id             TEXT NOT NULL,
        user_id            TEXT NOT NULL,
        name               TEXT NOT NULL,
        avatar             TEXT,
        meta               TEXT,
        password_hash      TEXT,
        tokens_valid_after INTEGER NOT NULL DEFAULT 0,
        created_at         INTEGER NOT NULL,
        PRIMARY KEY (app_id, user_id)
      ) STRICT;

      -- Friendship is mutual and stored as two directed rows.
      CREATE TABLE friends (
        app_id     TEXT NOT NULL,
        user_id    TEXT NOT NULL,
        friend_id  TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (app_id, user_id, friend_id)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE blocks (
        app_id     TEXT NOT NULL,
        blocker    TEXT NOT NULL,
        blocked    TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (app_id, blocker, blocked)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE chat_groups (
        app_id      TEXT NOT NULL,
        group_id    TEXT NOT NULL,
        name        TEXT NOT NULL,
        avatar      TEXT,
        notice      TEXT NOT NULL DEFAULT '',
        owner       TEXT NOT NULL,
        muted_all   INTEGER NOT NULL DEFAULT 0,
        dismissed   INTEGER NOT NULL DEFAULT 0,
        max_members INTEGER NOT NULL,
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (app_id, group_id)
      ) STRICT;

      CREATE TABLE conversations (
        app_id       TEXT NOT NULL,
        conv_id      TEXT NOT NULL,
        type         TEXT NOT NULL,
        last_seq     INTEGER NOT NULL DEFAULT 0,
        last_message TEXT,
        updated_at   INTEGER NOT NULL,
        created_at   INTEGER NOT NULL,
        PRIMARY KEY (app_id, conv_id)
      ) STRICT;

      -- One row per member, written on join, never per message; it is also the
      -- member's conversation list (hence the index by user).
      CREATE TABLE conversation_members (
        app_id      TEXT NOT NULL,
        conv_id     TEXT NOT NULL,
        user_id     TEXT NOT NULL,
        role        TEXT NOT NULL,
        join_seq    INTEGER NOT NULL DEFAULT 0,
        read_seq    INTEGER NOT NULL DEFAULT 0,
        muted_until INTEGER NOT NULL DEFAULT 0,
        muted       INTEGER NOT NULL DEFAULT 0,
        pinned      INTEGER NOT NULL DEFAULT 0,
        hidden      INTEGER NOT NULL DEFAULT 0,
        joined_at   INTEGER NOT NULL,
        PRIMARY KEY (app_id, conv_id, user_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX conversation_members_by_user ON conversation_members (app_id, user_id);

      CREATE TABLE messages (
        app_id     TEXT NOT NULL,
        conv_id    TEXT NOT NULL,
        seq        INTEGER NOT NULL,
        msg_id     TEXT NOT NULL,
        sender     TEXT NOT NULL,
        cmid       TEXT NOT NULL,
        type       TEXT NOT NULL,
        content    TEXT NOT NULL,
        mentions   TEXT,
        reply_to   INTEGER,
        status     TEXT NOT NULL DEFAULT 'normal',
        status_at  INTEGER,
        created_at INTEGER NOT NULL,
        edited_at  INTEGER,
        fts_id     INTEGER,
        PRIMARY KEY (app_id, conv_id, seq),
        UNIQUE (app_id, sender, cmid)
      ) STRICT;
      CREATE UNIQUE INDEX messages_by_fts_id ON messages (fts_id) WHERE fts_id IS NOT NULL;

      CREATE VIRTUAL TABLE message_fts USING fts5(
        body, content='', contentless_delete=1, tokenize='trigram case_sensitive 0'
      );

      -- Delete-for-me only: a row per (message, user) who hid it.
      CREATE TABLE message_hidden (
        app_id    TEXT NOT NULL,
        conv_id   TEXT NOT NULL,
        user_id   TEXT NOT NULL,
        seq       INTEGER NOT NULL,
        hidden_at INTEGER NOT NULL,
        PRIMARY KEY (app_id, conv_id, user_id, seq)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'messages.search_text for the scope scan',
    sql: 'ALTER TABLE messages ADD COLUMN search_text TEXT;',
    data: backfillSearchText,
  },
  {
    version: 3,
    name: 'seq_marks: the durable per-conversation seq high-water mark',
    // One row per conversation that ever reserved a seq block; never read by
    // clients (their "max seq" is conversations.last_seq, the last committed).
    sql: `CREATE TABLE seq_marks (
        app_id  TEXT NOT NULL,
        conv_id TEXT NOT NULL,
        mark    INTEGER NOT NULL,
        PRIMARY KEY (app_id, conv_id)
      ) STRICT, WITHOUT ROWID;`,
  },
  {
    version: 4,
    name: 'event_outbox: stored messages whose event is not yet confirmed published',
    // One small row per stored message, written in the commit's transaction and
    // deleted once its message.created event is published; normally it holds
    // only the batches in flight. A row per message rather than a per-conversation
    // "published up to" mark: with several dispatchers, seqs of one conversation
    // commit (and publish) out of order, and a mark could pass over a message
    // whose dispatcher died before publishing it.
    sql: `CREATE TABLE event_outbox (
        app_id     TEXT NOT NULL,
        conv_id    TEXT NOT NULL,
        seq        INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (app_id, conv_id, seq)
      ) STRICT, WITHOUT ROWID;`,
  },
];

function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
}

/** The schema version of an open database (0 before any migration). */
export function schemaVersion(db: Database.Database): number {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (!exists) return 0;
  return (db.prepare('SELECT coalesce(max(version), 0) AS v FROM schema_version').get() as { v: number }).v;
}

/**
 * Apply pending migrations; returns the versions applied by this call.
 * Safe to run concurrently from two processes on one file: each step
 * re-reads the version inside its write transaction.
 */
export function runMigrations(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS, now: () => number = Date.now): number[] {
  assertOrdered(migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`);
  const known = migrations.length;
  const current = schemaVersion(db);
  // Refuse to run an old build against a newer schema rather than corrupt it.
  if (current > known) throw new StoreError('conflict', `database schema version ${current} is newer than this build (${known})`);
  const applied: number[] = [];
  const record = db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      if (schemaVersion(db) >= m.version) return;
      db.exec(m.sql);
      m.data?.(db);
      record.run(m.version, m.name, now());
      applied.push(m.version);
    }).immediate();
  }
  return applied;
}
