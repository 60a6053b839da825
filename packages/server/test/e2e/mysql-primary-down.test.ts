import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminCall, readDefaultApp, startChildServer, type ChildServer } from '../helpers/child-server.js';
import { startMariaDbPair, type MariaDbPair } from '../helpers/mariadb-harness.js';
import { RawClient } from '../helpers/raw-client.js';

/**
 * Parley on MariaDB whose primary dies (SIGKILL of its mariadbd) while a
 * client is sending: the sender gets a retryable `unavailable` error, never
 * an ack, and the recipient is pushed nothing.
 */
describe('MySQL primary down: never a false ack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-mysql-down-'));
  let pair: MariaDbPair | undefined;
  let server: ChildServer | undefined;
  before(async () => {
    pair = await startMariaDbPair();
  });
  after(async () => {
    await server?.stop().catch(() => {});
    await pair?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers unavailable to the sender once the primary is gone', async () => {
    const db = await pair!.createDatabase();
    server = await startChildServer(dir, ['--store', 'mysql', '--mysql-primary', db.primaryUrl, '--mysql-replica', db.replicaUrl]);
    const { api_key } = readDefaultApp(dir);
    const tokens: Record<string, string> = {};
    for (const u of ['ann', 'bob']) {
      await adminCall(server.httpUrl, api_key, 'POST', '/v1/admin/users', { user_id: u });
      tokens[u] = (await adminCall(server.httpUrl, api_key, 'POST', `/v1/admin/users/${u}/tokens`, {})).token;
    }
    const ann = await RawClient.authed(server.wsUrl, tokens.ann!);
    const bob = await RawClient.authed(server.wsUrl, tokens.bob!);
    const first: any = await ann.request({ op: 'send', id: 1, cmid: 'a1', conv_type: 'single', to: 'bob', type: 'text', content: { text: 'stored' } });
    assert.equal(first.op, 'ok', JSON.stringify(first));
    const pushedBefore = bob.frames.filter((f) => f.op === 'msg').length;

    await pair!.kill('primary');
    const r: any = await ann.request({ op: 'send', id: 2, cmid: 'a2', conv_type: 'single', to: 'bob', type: 'text', content: { text: 'after the crash' } }, 30_000);
    assert.equal(r.op, 'error', JSON.stringify(r));
    assert.equal(r.code, 'unavailable');
    assert.equal(r.retryable, true);
    // bob is pushed nothing for a2: wait for a later frame on bob's connection (a ping's answer) to be sure nothing was in flight.
    bob.sendRaw(JSON.stringify({ op: 'ping', id: 'p' }));
    await bob.next((f) => f.op === 'pong' && 'id' in f && f.id === 'p', 30_000);
    assert.equal(bob.frames.filter((f) => f.op === 'msg').length, pushedBefore, 'nothing pushed for the failed send');
    ann.close();
    bob.close();
  });
});
