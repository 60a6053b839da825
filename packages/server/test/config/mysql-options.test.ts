import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadOptions } from '../../src/config/load-options.js';
import { listOption } from '../../src/config/options.js';

describe('MySQL options', () => {
  it('--mysql-primary and zero or more replicas from flags, environment or the config file', () => {
    const none = loadOptions({ argv: ['--store', 'mysql', '--mysql-primary', 'mysql://a@h1/db'], env: {} });
    assert.equal(none.mysql_primary, 'mysql://a@h1/db');
    assert.deepEqual(listOption(none.mysql_replica), []);
    const flags = loadOptions({ argv: ['--mysql-replica', 'mysql://a@h2/db, mysql://a@h3/db'], env: {} });
    assert.deepEqual(listOption(flags.mysql_replica), ['mysql://a@h2/db', 'mysql://a@h3/db']);
    // The flag repeated, once per replica: every one is kept (not only the last).
    const repeated = loadOptions({ argv: ['--mysql-replica', 'mysql://a@h2/db', '--mysql-replica=mysql://a@h3/db', '--mysql-replica', 'mysql://a@h7/db'], env: {} });
    assert.deepEqual(listOption(repeated.mysql_replica), ['mysql://a@h2/db', 'mysql://a@h3/db', 'mysql://a@h7/db']);
    // A repeated scalar option: the last one given wins, as before.
    assert.equal(loadOptions({ argv: ['--mysql-pool-size', '3', '--mysql-pool-size', '5'], env: {} }).mysql_pool_size, 5);
    const env = loadOptions({ argv: [], env: { PARLEY_MYSQL_REPLICA: 'mysql://a@h4/db', PARLEY_MYSQL_REPLICA_MAX_LAG_MS: '250' } });
    assert.deepEqual(listOption(env.mysql_replica), ['mysql://a@h4/db']);
    assert.equal(env.mysql_replica_max_lag_ms, 250);
    const dir = mkdtempSync(join(tmpdir(), 'parley-cfg-'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ store: 'mysql', mysql_replica: ['mysql://a@h5/db', 'mysql://a@h6/db'], mysql_pool_size: 4 }));
    const file = loadOptions({ argv: ['--config', join(dir, 'c.json')], env: {} });
    assert.deepEqual(listOption(file.mysql_replica), ['mysql://a@h5/db', 'mysql://a@h6/db']);
    assert.equal(file.mysql_pool_size, 4);
    assert.throws(() => loadOptions({ argv: ['--mysql-pool-size', '0'], env: {} }), /mysql_pool_size/);
  });
});
