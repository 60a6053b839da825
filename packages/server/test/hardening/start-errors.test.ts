import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oneLine, runCli } from './cli-helpers.js';

/**
 * More starts that fail for a reason the operator can fix, as `parley start`
 * meets them: each is one line naming the option (no stack trace, no
 * "unexpected error"), and a data dir that did not exist before is not left
 * behind (no database, no default app, no key).
 */
describe('parley start: one line and nothing created, for every start error', () => {
  const root = mkdtempSync(join(tmpdir(), 'parley-starterr-'));
  let udp: Socket | undefined;
  after(() => {
    udp?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const start = async (name: string, args: string[]) => {
    const dir = join(root, name);
    const r = await runCli(['start', '--data-dir', dir, '--http-port', '0', '--tcp-port', '0', ...args]);
    assert.notEqual(r.code, 0, r.stdout);
    assert.doesNotMatch(r.stdout, /API key/);
    assert.equal(existsSync(dir), false, `${dir} left behind: the start created something`);
    return oneLine(r);
  };

  it('a UDP port in use names --udp-port', async () => {
    udp = createSocket('udp4');
    await new Promise<void>((r) => udp!.bind(0, '127.0.0.1', () => r()));
    const port = udp.address().port;
    assert.match(await start('udp', ['--udp-port', String(port)]), new RegExp(`^parley: --udp-port ${port}: 127\\.0\\.0\\.1:${port} is already in use`));
  });

  it('a --host that is not an address of this machine names --host, even with ports 0', async () => {
    assert.match(await start('host', ['--host', '192.0.2.1']), /^parley: --host 192\.0\.2\.1: not an address of this machine/);
  });

  it('--store mysql without --mysql-primary, or with one that is not a mysql:// URL, names --mysql-primary (a bad option: exit 2)', async () => {
    const r = await runCli(['start', '--data-dir', join(root, 'mysql-exit'), '--store', 'mysql']);
    assert.equal(r.code, 2, r.stdout);
    assert.match(await start('mysql-none', ['--store', 'mysql']), /^parley: .*--mysql-primary/);
    assert.match(await start('mysql-bad', ['--store', 'mysql', '--mysql-primary', 'nonsense']), /^parley: --mysql-primary "nonsense": not a mysql:\/\/ URL/);
    assert.match(await start('mysql-replica', ['--store', 'mysql', '--mysql-primary', 'mysql://root@127.0.0.1:1/x', '--mysql-replica', 'http://x']), /^parley: --mysql-replica "http:\/\/x": not a mysql:\/\/ URL/);
  });

  it('an unreachable MySQL primary: one line about the store', async () => {
    assert.match(await start('mysql-down', ['--store', 'mysql', '--mysql-primary', 'mysql://root@127.0.0.1:1/parley_none']), /^parley: the store cannot be opened .*--mysql-primary/);
  });

  it('an unreachable Redis names --redis-url; an unreachable NATS names --nats-url', async () => {
    assert.match(await start('redis-down', ['--location', 'redis', '--redis-url', 'redis://127.0.0.1:1']), /^parley: --redis-url redis:\/\/127\.0\.0\.1:1: Redis did not answer/);
    assert.match(await start('redis-bad', ['--seq', 'redis', '--redis-url', 'http://x']), /^parley: --redis-url "http:\/\/x": not a redis:\/\/ URL/);
    assert.match(await start('nats-down', ['--bus', 'nats', '--nats-url', 'nats://127.0.0.1:1']), /^parley: --nats-url nats:\/\/127\.0\.0\.1:1: NATS did not answer/);
  });
});
