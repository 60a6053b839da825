import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/load-options.js';
import { closeBackends, createBackends } from '../../src/platform.js';
import mysql from 'mysql2/promise';
import { testBackendEnv, testBackendOptions, testOptions } from '../helpers/backends.js';
import { startTestPlatform } from '../helpers/platform.js';

it('test runs pick backends from PARLEY_TEST_* through the option schema', () => {
  assert.deepEqual(testBackendOptions({}), {});
  assert.deepEqual(testBackendOptions({ PARLEY_TEST_STORE: 'mysql', PARLEY_TEST_LOCATION: 'redis', PARLEY_TEST_REDIS_URL: 'redis://127.0.0.1:6390' }),
    { store: 'mysql', location: 'redis', redis_url: 'redis://127.0.0.1:6390' });
  assert.deepEqual(testBackendEnv({ PARLEY_TEST_BUS: 'nats' }), { PARLEY_BUS: 'nats' });
  assert.throws(() => testBackendOptions({ PARLEY_TEST_STORE: 'postgres' }), ConfigError);
});

it('the composition root builds the chosen backends for a test', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-backends-'));
  try {
    const b = await createBackends(testOptions({ data_dir: dir, store: 'sqlite', sqlite_path: ':memory:' }));
    assert.equal(await b.store.maxSeq('a', 'g:x'), 0);
    await b.location.register({ app_id: 'a', user_id: 'u', conn_id: 'c', link_id: 'L', platform: 'web', connected_at: 1 }, 'unlimited');
    assert.equal((await b.location.lookup('a', ['u'])).length, 1);
    await closeBackends(b);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('a test platform on MySQL gets a database of its own; destroying it (fresh data dir) drops it', async () => {
  const dbs = async () => {
    const c = await mysql.createConnection('mysql://root@127.0.0.1:3306/');
    try {
      const [rows] = await c.query("SELECT schema_name AS n FROM information_schema.schemata WHERE schema_name LIKE 'parley\\_t\\_%'");
      return new Set((rows as Array<{ n: string }>).map((r) => r.n));
    } finally {
      await c.end();
    }
  };
  const p = await startTestPlatform({ store: 'mysql' });
  const name = new URL(p.options.mysql_primary).pathname.slice(1);
  assert.match(name, /^parley_t_[0-9a-f]{12}$/);
  assert.ok((await dbs()).has(name), 'created for the platform');
  await p.users('dora');
  await p.destroy();
  assert.ok(!(await dbs()).has(name), 'dropped with its data dir');
});
