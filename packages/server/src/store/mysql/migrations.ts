import mysql from 'mysql2/promise';
import { StoreError } from '../store.js';
import { toStoreError } from './mysql-errors.js';

/**
 * Versioned schema migrations for MySQL 8 / MariaDB 10.11, applied in order.
 * Append new ones; never edit an applied one.
 *
 * Two processes starting at once: the runner holds GET_LOCK('<db>.parley_migrate')
 * (a server-wide named lock) for the whole run and re-reads schema_version
 * under it, so each step runs exactly once. DDL commits implicitly in MySQL,
 * so each step's statements are written to be re-runnable (IF NOT EXISTS) and
 * its schema_version row is written after them: a crash mid-step re-runs the
 * step, it never skips one.
 *
 * Layout, as the SQLite schema (DESIGN §3, no foreign keys), plus:
 * - utf8mb4 throughout, ids and keys utf8mb4_bin (case-sensitive, code point
 *   order, like SQLite); names searched case-insensitively with an explicit
 *   COLLATE in the query.
 * - messages.search_text: the searchable text folded (NFKC + case folding),
 *   utf8mb4_bin, matched with INSTR for exact substring semantics;
 *   messages.search_tokens: the application's tokens of it (search-tokens.ts)
 *   under an ordinary InnoDB FULLTEXT index (no ngram parser, which MariaDB lacks).
 * - seq_marks: the durable per-conversation seq high-water mark.
 */
export interface MysqlMigration {
  version: number;
  name: string;
  statements: string[];
}

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

export const MYSQL_MIGRATIONS: readonly MysqlMigration[] = [
  {
    version: 1,
    name: 'initial schema',
    statements: [
      `CREATE TABLE IF NOT EXISTS apps (
        app_id VARCHAR(64) NOT NULL PRIMARY KEY,
        name VARCHAR(255) NOT NULL,
        api_key_hash VARCHAR(128) NOT NULL,
        webhook_secret VARCHAR(255) NOT NULL,
        settings TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        UNIQUE KEY apps_by_key (api_key_hash)
      ) ${TABLE}`,
      `CREATE TABLE IF NOT EXISTS users (
        app_id VARCHAR(64) NOT NULL,
        user_id VARCHAR(128) NOT NULL,
        name VARCHAR(255) NOT NULL,
        avatar VARCHAR(2048) NULL,
        meta TEXT NULL,
        password_hash VARCHAR(512) NULL,
        tokens_valid_after BIGINT NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (app_id, user_id)
      ) ${TABLE}`,
      `CREATE TABLE IF NOT EXISTS friends (
        app_id VARCHAR(64) NOT NULL,
        user_id VARCHAR(128) NOT NULL,
        friend_id VARCHAR(128) NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (app_id, user_id, friend_id)
      ) ${TABLE}`,
      `CREATE TABLE IF NOT EXISTS blocks (
        app_id VARCHAR(64) NOT NULL,
        blocker VARCHAR(128) NOT NULL,
        blocked VARCHAR(128) NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (app_id, blocker, blocked)
      ) ${TABLE}`,
      `CREATE TABLE IF NOT EXISTS chat_groups (
        app_id VARCHAR(64) NOT NULL,
        group_id VARCHAR(128) NOT NULL,
        name VARCHAR(255) NOT NULL,
        avatar VARCHAR(2048) NULL,
        notice TEXT NOT NULL,
        owner VARCHAR(128) NOT NULL,
        muted_all TINYINT NOT NULL DEFAULT 0,
        dismissed TINYINT NOT NULL DEFAULT 0,
        max_members INT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (app_id, group_id)
      ) ${TABLE}`,
      `CREATE TABLE IF NOT EXISTS conversations (
        app_id VARCHAR(64) NOT NULL,
        conv_id VARCHAR(200) NOT NULL,
        type VARCHAR(16) NOT NULL,
        last_seq BIGINT NOT NULL DEFAULT 0,
        last_message MEDIUMTEXT NULL,
        updated_at BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (app_id, conv_id)
      ) ${TABLE}`,
      `CREATE TABLE IF NOT EXISTS conversation_members (
        app_id VARCHAR(64) NOT NULL,
        conv_id VARCHAR(200) NOT NULL,
        user_id VARCHAR(128) NOT NULL,
        role VARCHAR(16) NOT NULL,
        join_seq BIGINT NOT NULL DEFAULT 0,
        read_seq BIGINT NOT NULL DEFAULT 0,
        muted_until BIGINT NOT NULL DEFAULT 0,
        muted TINYINT NOT NULL DEFAULT 0,
        pinned TINYINT NOT NULL DEFAULT 0,
        hidden TINYINT NOT NULL DEFAULT 0,
        joined_at BIGINT NOT NULL,
        PRIMARY KEY (app_id, conv_id, user_id),
        KEY conversation_members_by_user (app_id, user_id)
      ) ${TABLE}`,
      `CREATE TABLE IF NOT EXISTS messages (
        app_id VARCHAR(64) NOT NULL,
        conv_id VARCHAR(200) NOT NULL,
        seq BIGINT NOT NULL,
        msg_id VARCHAR(64) NOT NULL,
        sender VARCHAR(128) NOT NULL,
        cmid VARCHAR(128) NOT NULL,
        type VARCHAR(32) NOT NULL,
        content MEDIUMTEXT NOT NULL,
        mentions TEXT NULL,
        reply_to BIGINT NULL,
        status VARCHAR(16) NOT NULL DEFAULT 'normal',
        status_at BIGINT NULL,
        created_at BIGINT NOT NULL,
        edited_at BIGINT NULL,
        search_text TEXT NULL,
        search_tokens MEDIUMTEXT CHARACTER SET ascii COLLATE ascii_bin NULL,
        PRIMARY KEY (app_id, conv_id, seq),
        UNIQUE KEY messages_by_cmid (app_id, sender, cmid),
        FULLTEXT KEY messages_search (search_tokens)
      ) ${TABLE}`,
      `CREATE TABLE IF NOT EXISTS message_hidden (
        app_id VARCHAR(64) NOT NULL,
        conv_id VARCHAR(200) NOT NULL,
        user_id VARCHAR(128) NOT NULL,
        seq BIGINT NOT NULL,
        hidden_at BIGINT NOT NULL,
        PRIMARY KEY (app_id, conv_id, user_id, seq)
      ) ${TABLE}`,
      `CREATE TABLE IF NOT EXISTS seq_marks (
        app_id VARCHAR(64) NOT NULL,
        conv_id VARCHAR(200) NOT NULL,
        mark BIGINT NOT NULL,
        PRIMARY KEY (app_id, conv_id)
      ) ${TABLE}`,
    ],
  },
  {
    version: 2,
    name: 'event_outbox: stored messages whose event is not yet confirmed published',
    // One row per stored message, written in the commit's transaction, deleted once
    // its event is published (docs/architecture.md, "The event outbox").
    statements: [
      `CREATE TABLE IF NOT EXISTS event_outbox (
        app_id VARCHAR(64) NOT NULL,
        conv_id VARCHAR(200) NOT NULL,
        seq BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (app_id, conv_id, seq)
      ) ${TABLE}`,
    ],
  },
];

/** How long a starting process waits for another one's migration run (seconds). */
const LOCK_WAIT_SEC = 120;

async function currentVersion(c: mysql.Connection): Promise<number> {
  const [rows] = await c.query('SELECT COALESCE(MAX(version), 0) AS v FROM schema_version');
  return Number((rows as Array<{ v: number | string }>)[0]?.v ?? 0);
}

/**
 * Apply pending migrations on `url` (the primary); returns the versions this
 * call applied. Refuses a schema newer than this build.
 */
export async function runMysqlMigrations(url: string, migrations: readonly MysqlMigration[] = MYSQL_MIGRATIONS, now: () => number = Date.now): Promise<number[]> {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  let c: mysql.Connection;
  try {
    c = await mysql.createConnection({ uri: url, charset: 'utf8mb4_bin', connectTimeout: 5000 });
  } catch (err) {
    throw toStoreError(err, 'migrate');
  }
  const applied: number[] = [];
  try {
    const [[db]] = await c.query('SELECT DATABASE() AS db') as unknown as [[{ db: string | null }]];
    if (!db.db) throw new StoreError('unavailable', 'migrate: the MySQL URL names no database');
    const lockName = `${db.db}.parley_migrate`.slice(0, 64);
    const [[got]] = await c.query('SELECT GET_LOCK(?, ?) AS ok', [lockName, LOCK_WAIT_SEC]) as unknown as [[{ ok: number | null }]];
    if (Number(got.ok) !== 1) throw new StoreError('unavailable', `migrate: another process held the migration lock for ${LOCK_WAIT_SEC} s`);
    try {
      await c.query(`CREATE TABLE IF NOT EXISTS schema_version (
        version INT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at BIGINT NOT NULL) ${TABLE}`);
      const current = await currentVersion(c);
      if (current > migrations.length) {
        throw new StoreError('conflict', `database schema version ${current} is newer than this build (${migrations.length})`);
      }
      for (const m of migrations) {
        if (m.version <= current) continue;
        for (const sql of m.statements) await c.query(sql);
        await c.query('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, now()]);
        applied.push(m.version);
      }
    } finally {
      await c.query('SELECT RELEASE_LOCK(?)', [lockName]).catch(() => {});
    }
    return applied;
  } catch (err) {
    throw toStoreError(err, 'migrate');
  } finally {
    await c.end().catch(() => {});
  }
}
