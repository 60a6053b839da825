import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';

describe('/metrics and /docs: behind a token or on their own listener', () => {
  const running: TestPlatform[] = [];
  after(async () => {
    for (const p of running) await p.destroy().catch(() => undefined);
  });
  const get = (base: string, path: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(20_000) });

  it('ops_token: /metrics and /docs need the bearer token; probes stay open', async () => {
    const p = await startTestPlatform({ ops_token: 'ops-secret-1' });
    running.push(p);
    for (const path of ['/metrics', '/docs/json']) {
      const anon = await get(p.httpUrl, path);
      assert.equal(anon.status, 401, path);
      assert.equal((await anon.json()).error.code, 'unauthenticated');
      assert.equal((await get(p.httpUrl, path, { authorization: 'Bearer wrong' })).status, 401);
      assert.equal((await get(p.httpUrl, path, { authorization: 'Bearer ops-secret-1' })).status, 200, path);
    }
    assert.equal((await get(p.httpUrl, '/healthz')).status, 200);
    assert.equal((await get(p.httpUrl, '/readyz')).status, 200);
  });

  it('ops_port: /metrics and /docs move to the ops listener and answer 404 on the HTTP port', async () => {
    const p = await startTestPlatform({ ops_port: 0 });
    running.push(p);
    assert.ok(p.opsUrl, 'the ops listener is up');
    const metrics = await get(p.opsUrl!, '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /# TYPE /);
    const doc = await get(p.opsUrl!, '/docs/json');
    assert.equal(doc.status, 200);
    assert.ok((await doc.json()).paths['/v1/admin/users']);
    for (const path of ['/metrics', '/docs', '/docs/json']) {
      const pub = await get(p.httpUrl, path);
      assert.equal(pub.status, 404, path);
      assert.equal((await pub.json()).error.code, 'not_found');
    }
    // The ops listener serves nothing else.
    assert.equal((await get(p.opsUrl!, '/v1/admin/settings', { authorization: `Bearer ${p.apiKey}` })).status, 404);
    // A forged header does not open the public port.
    assert.equal((await get(p.httpUrl, '/metrics', { 'x-parley-ops-listener': 'guess' })).status, 404);
  });
});
