import { loadOptions } from '../../src/config/load-options.js';
import type { Options } from '../../src/config/options.js';
import { createHash, randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectRedis, deleteKeys, randomPrefix } from './redis-engine.js';

/**
 * Which backends a test run uses, from the environment, so the API and
 * end-to-end suites run unchanged on every backend (Dendrite's "with all
 * databases"): PARLEY_TEST_STORE=sqlite|mysql, PARLEY_TEST_LOCATION=memory|redis,
 * PARLEY_TEST_SEQ=memory|redis, PARLEY_TEST_BUS=memory|nats, PARLEY_TEST_CONTROL=memory|redis, and the engines'
 * addresses PARLEY_TEST_MYSQL_URL (the primary, --mysql-primary), PARLEY_TEST_REDIS_URL, PARLEY_TEST_NATS_URL.
 * Unset means the embedded default. The values are checked by the same option
 * schema as the server's (a typo fails loudly), and the backends are then
 * built by the composition root's own switch (platform.ts createBackends).
 */
const VARS = {
  PARLEY_TEST_STORE: 'store',
  PARLEY_TEST_LOCATION: 'location',
  PARLEY_TEST_SEQ: 'seq',
  PARLEY_TEST_BUS: 'bus',
  PARLEY_TEST_CONTROL: 'control',
  PARLEY_TEST_MYSQL_URL: 'mysql_primary',
  PARLEY_TEST_REDIS_URL: 'redis_url',
  PARLEY_TEST_NATS_URL: 'nats_url',
} as const satisfies Record<string, keyof Options>;

/** The backend options a test run asked for (only those it set). */
export function testBackendOptions(env: NodeJS.ProcessEnv = process.env): Partial<Options> {
  const argv: string[] = [];
  for (const [name, option] of Object.entries(VARS)) {
    const v = env[name];
    if (v !== undefined && v !== '') argv.push(`--${option.replace(/_/g, '-')}`, v);
  }
  if (argv.length === 0) return {};
  const parsed = loadOptions({ argv, env: {} });
  const out: Partial<Options> = {};
  for (const option of Object.values(VARS)) {
    if (argv.includes(`--${option.replace(/_/g, '-')}`)) (out as Record<string, unknown>)[option] = parsed[option];
  }
  return out;
}

/**
 * Default options with the test run's backends, for a platform or core built
 * in the test process. On Redis every call gets a key prefix of its own, on
 * NATS a stream and subject prefix of its own, so suites sharing the
 * machine's engines never see each other's data; release them with
 * `cleanupTestEngines` after closing the backends.
 */
export function testOptions(overrides: Partial<Options> = {}): Options {
  const o: Options = { ...loadOptions({ argv: [], env: {} }), ...testBackendOptions(), ...overrides };
  if (usesRedis(o) && overrides.redis_prefix === undefined) o.redis_prefix = randomPrefix('suite');
  // On MySQL every data dir gets a database of its own, named from the dir, so a restarted
  // child server (crash tests) finds its data again; prepareTestEngines creates it.
  if (o.store === 'mysql' && overrides.mysql_primary === undefined) {
    const url = new URL(o.mysql_primary || 'mysql://root@127.0.0.1:3306/test');
    url.pathname = `/${TEST_DB_PREFIX}${createHash('sha1').update(o.data_dir).digest('hex').slice(0, 12)}`;
    o.mysql_primary = url.toString();
  }
  if (o.bus === 'nats' && overrides.nats_stream === undefined) {
    const tag = randomBytes(5).toString('hex');
    o.nats_stream = `PARLEY_TEST_${tag}`;
    o.nats_subject_prefix = `parleytest_${tag}`;
  }
  return o;
}

function usesRedis(o: Options): boolean {
  return o.location === 'redis' || o.seq === 'redis' || o.control === 'redis';
}

const TEST_DB_PREFIX = 'parley_t_';

function testDatabase(o: Options): { server: string; name: string } | undefined {
  if (o.store !== 'mysql') return undefined;
  const url = new URL(o.mysql_primary);
  const name = url.pathname.slice(1);
  if (!name.startsWith(TEST_DB_PREFIX)) return undefined; // a database the caller chose: not ours to create or drop
  url.pathname = '/';
  return { server: url.toString(), name };
}

/** Create what testOptions named in the shared engines (the MySQL database); idempotent. */
export async function prepareTestEngines(o: Options): Promise<void> {
  const db = testDatabase(o);
  if (!db) return;
  const c = await mysql.createConnection(db.server);
  try {
    await c.query(`CREATE DATABASE IF NOT EXISTS \`${db.name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await c.end();
  }
}

/**
 * Delete what a test left in the shared engines (only under its own prefix; never FLUSHALL).
 * `keepDatabase`: a child server that will be started again on the same data dir keeps its MySQL database.
 */
export async function cleanupTestEngines(o: Options, opts: { keepDatabase?: boolean } = {}): Promise<void> {
  const db = testDatabase(o);
  if (db && !opts.keepDatabase) {
    const c = await mysql.createConnection(db.server);
    try {
      await c.query(`DROP DATABASE IF EXISTS \`${db.name}\``);
    } finally {
      await c.end();
    }
  }
  if (usesRedis(o)) {
    const redis = connectRedis(o.redis_url);
    try {
      await deleteKeys(redis, o.redis_prefix);
    } finally {
      redis.disconnect();
    }
  }
  if (o.bus === 'nats' && o.nats_stream.startsWith('PARLEY_TEST_')) {
    const nc = await connect({ servers: o.nats_url });
    try {
      await (await jetstreamManager(nc)).streams.delete(o.nats_stream).catch(() => false);
    } finally {
      await nc.close();
    }
  }
}

/** The same choice as environment variables of a `parley start` child process (PARLEY_<OPTION>). */
export function testBackendEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [option, value] of Object.entries(testBackendOptions(env))) out[`PARLEY_${option.toUpperCase()}`] = String(value);
  return out;
}
