import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { appCommand } from '../../src/app-admin.js';
import { ConfigError, loadOptions } from '../../src/config/load-options.js';
import { DataDirLockedError } from '../../src/startup/data-dir-lock.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';

const capture = () => {
  let text = '';
  const out = new Writable({ write(chunk, _enc, cb) { text += String(chunk); cb(); } });
  return { out, text: () => text };
};

describe('data dir: one server, private files, apps from the CLI', () => {
  const root = mkdtempSync(join(tmpdir(), 'parley-dd-'));
  const running: TestPlatform[] = [];
  after(async () => {
    for (const p of running) await p.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses a second platform on a data dir in use, for as long as the first runs', async () => {
    const dir = join(root, 'shared');
    const a = await startTestPlatform({}, dir);
    running.push(a);
    await assert.rejects(startTestPlatform({}, dir), (e: unknown) => e instanceof DataDirLockedError && /--data-dir .* is in use/.test(e.message));
    await a.stop();
    running.pop();
    const b = await startTestPlatform({}, dir);
    running.push(b);
    assert.equal(existsSync(join(dir, 'parley.lock')), true);
    await b.stop();
    running.pop();
    assert.equal(existsSync(join(dir, 'parley.lock')), false, 'stop releases the lock');
  });

  it('takes over a lock left by a process that is gone (kill -9)', async () => {
    const dir = join(root, 'stale');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(gone.stdout);
    assert.ok(deadPid > 0);
    const p0 = await startTestPlatform({}, dir);
    await p0.stop();
    writeFileSync(join(dir, 'parley.lock'), `${deadPid}\n`);
    const p = await startTestPlatform({}, dir);
    running.push(p);
    assert.equal(readFileSync(join(dir, 'parley.lock'), 'utf8').trim(), String(process.pid));
  });

  it('creates the database and its WAL/SHM files readable by the owner only', async () => {
    const dir = join(root, 'modes');
    const p = await startTestPlatform({}, dir);
    running.push(p);
    await p.users('alice');
    for (const f of ['parley.db', 'parley.db-wal', 'parley.db-shm', 'default-app.json']) {
      assert.equal(existsSync(join(dir, f)), true, `${f} exists`);
      assert.equal((statSync(join(dir, f)).mode & 0o777).toString(8), '600', `${f} mode`);
    }
  });

  it('new apps start with password registration off; the default app has it on; the switch turns it on', async () => {
    const dir = join(root, 'reg');
    const p = await startTestPlatform({}, dir);
    running.push(p);
    const register = (app_id: string) => p.api.inject({ method: 'POST', url: '/v1/auth/register', payload: { app_id, user_id: 'zoe', password: 'secret-123' } });
    assert.equal((await register('default')).statusCode, 201);
    const { api_key } = await p.core.apps.create('shop', 'Shop');
    const refused = await register('shop');
    assert.deepEqual([refused.statusCode, JSON.parse(refused.body).error.code], [403, 'registration_disabled']);
    const patched = await p.api.inject({ method: 'PATCH', url: '/v1/admin/settings', headers: { authorization: `Bearer ${api_key}` }, payload: { allow_registration: true } });
    assert.equal(patched.statusCode, 200);
    assert.equal((await register('shop')).statusCode, 201);
  });

  it('app create: a bad id says why; --json prints machine-readable output with registration off', async () => {
    const dir = join(root, 'cli-apps');
    const options = loadOptions({ argv: ['--data-dir', dir], env: {} });
    await assert.rejects(appCommand(['create', 'bad id!'], options, capture().out), (e: unknown) => e instanceof ConfigError && /not valid: use 1 to 64 characters/.test(e.message));
    assert.equal(existsSync(dir), false, 'a refused create makes nothing');
    const c = capture();
    await appCommand(['create', 'crm', 'Customer', 'care'], options, c.out, { json: true });
    const created = JSON.parse(c.text());
    assert.equal(created.app_id, 'crm');
    assert.equal(created.name, 'Customer care');
    assert.match(created.api_key, /^pk_/);
    assert.equal(created.settings.allow_registration, false);
    const l = capture();
    await appCommand(['list'], options, l.out, { json: true });
    assert.deepEqual(JSON.parse(l.text()).map((a: { app_id: string }) => a.app_id), ['crm']);
  });

  it('app list on a data dir with no data says so and creates nothing', async () => {
    const dir = join(root, 'nonexistent');
    const options = loadOptions({ argv: ['--data-dir', dir], env: {} });
    await assert.rejects(appCommand(['list'], options, capture().out), (e: unknown) => e instanceof ConfigError && /no Parley data in /.test(e.message));
    assert.equal(existsSync(dir), false);
  });
});
