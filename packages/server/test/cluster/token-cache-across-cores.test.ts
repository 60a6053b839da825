import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/api-server.js';
import { TokenVerifier } from '../../src/auth/token-verifier.js';
import { Metrics } from '../../src/metrics.js';
import { startTwoCores, until, type Node, type TwoCores } from './two-cores.js';

/**
 * Two api processes (two cores on one store and one control hub), each with
 * its own verified-token cache: a token both have cached and that is revoked
 * through one of them (logout) is refused by the other once the control
 * plane's `user.revoked` arrives there — the cache holds signatures, never
 * the revocation decision.
 */
describe('verified-token cache across two api processes', () => {
  let t: TwoCores;
  let dir: string;
  const apis: FastifyInstance[] = [];
  const verifiers: TokenVerifier[] = [];

  const api = async (n: Node): Promise<FastifyInstance> => {
    const verifier = new TokenVerifier(t.publicJwks);
    verifiers.push(verifier);
    const app = await buildApi({
      core: n.core, verifier, metrics: new Metrics({ defaultMetrics: false }), log: pino({ level: 'silent' }),
      options: { uploadDir: join(dir, `uploads-${apis.length}`), uploadMaxBytes: 1024, apiRatePerSec: 10_000 },
      readiness: async () => true,
    });
    apis.push(app);
    return app;
  };
  const get = async (app: FastifyInstance, token: string) => {
    const res = await app.inject({ method: 'GET', url: '/v1/conversations', headers: { authorization: `Bearer ${token}` } });
    return { status: res.statusCode, code: res.statusCode === 200 ? 'ok' : (JSON.parse(res.body).error.code as string) };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-token-cache-'));
    t = await startTwoCores();
    await t.a.core.users.create(t.appId, { user_id: 'kim' });
    await t.a.core.users.create(t.appId, { user_id: 'lee' });
  });
  after(async () => {
    for (const a of apis) await a.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a token cached on both is refused on B after a logout on A', async () => {
    const [a, b] = [await api(t.a), await api(t.b)];
    const { token } = await t.tokens.issue(t.appId, 'kim');
    const other = (await t.tokens.issue(t.appId, 'lee')).token;
    for (const app of [a, b, a, b]) assert.deepEqual(await get(app, token), { status: 200, code: 'ok' });
    assert.deepEqual(await get(b, other), { status: 200, code: 'ok' });
    assert.deepEqual(verifiers.map((v) => v.cachedTokens), [1, 2], 'both processes verified from their caches');

    const out = await a.inject({ method: 'POST', url: '/v1/auth/logout', headers: { authorization: `Bearer ${token}` } });
    assert.equal(out.statusCode, 200, out.body);
    assert.deepEqual(await get(a, token), { status: 401, code: 'token_revoked' }, 'refused at once where the logout ran');
    await until(async () => (await get(b, token)).code === 'token_revoked', 'B refuses the revoked token');
    assert.deepEqual(await get(b, token), { status: 401, code: 'token_revoked' });
    assert.equal(verifiers[1]!.cachedTokens, 2, 'still cached on B: the refusal is the revocation check, not a cache miss');
    assert.deepEqual(await get(b, other), { status: 200, code: 'ok' }, "another user's token is untouched");
  });
});
