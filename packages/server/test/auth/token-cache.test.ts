import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateSigningKeys, rotateSigningKeys } from '../../src/auth/keys.js';
import { TokenIssuer } from '../../src/auth/token-issuer.js';
import { TokenVerifier } from '../../src/auth/token-verifier.js';

const outcome = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
};

/**
 * The verified-token cache (auth/token-verifier.ts): a hit answers exactly as
 * a fresh signature check would — expiry on the same rule and tolerance, a
 * dropped key ends its tokens — and the cache stays within its bound.
 * Revocation is not the verifier's: see test/cluster/token-cache-across-cores.
 */
describe('verified-token cache', () => {
  let dir: string;
  let keys: Awaited<ReturnType<typeof loadOrCreateSigningKeys>>;
  let now = Date.UTC(2026, 0, 1, 12, 0, 0, 250);
  const clock = () => now;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-token-cache-'));
    keys = await loadOrCreateSigningKeys(dir);
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('answers a repeat from the cache with the same claims, as a copy', async () => {
    const { token } = await new TokenIssuer({ keys, ttlSec: 600, now: clock }).issue('app1', 'alice');
    const v = new TokenVerifier(keys.publicJwks, { now: clock });
    const first = await v.verify(token);
    assert.equal(v.cachedTokens, 1);
    first.user_id = 'mallory';
    const second = await v.verify(token);
    assert.equal(second.user_id, 'alice', 'a caller changing its answer does not change the cache');
    assert.deepEqual(second, await new TokenVerifier(keys.publicJwks, { now: clock, cacheEntries: 0 }).verify(token));
    assert.equal(v.cachedTokens, 1);
  });

  it('expires a cached token at the very instant a fresh check would (exp, 5 s tolerance)', async () => {
    const start = now;
    const { token, expires_at } = await new TokenIssuer({ keys, ttlSec: 60, now: clock }).issue('app1', 'bob');
    const cached = new TokenVerifier(keys.publicJwks, { now: clock });
    assert.equal(await outcome(cached.verify(token)), 'ok');
    const seen: Array<[number, string, string]> = [];
    for (const at of [expires_at - 1, expires_at, expires_at + 4_000, expires_at + 4_999, expires_at + 5_000, expires_at + 60_000]) {
      now = at;
      const fresh = new TokenVerifier(keys.publicJwks, { now: clock, cacheEntries: 0 });
      seen.push([at - expires_at, await outcome(cached.verify(token)), await outcome(fresh.verify(token))]);
    }
    now = start;
    for (const [offset, fromCache, fromCheck] of seen) assert.equal(fromCache, fromCheck, `at exp${offset >= 0 ? '+' : ''}${offset} ms`);
    assert.deepEqual(seen.map((s) => s[1]), ['ok', 'ok', 'ok', 'ok', 'token_expired', 'token_expired']);
    assert.equal(await outcome(cached.verify(token)), 'ok', 'an expired answer dropped the entry; it is checked afresh');
  });

  it('stays within its bound, least recently used out, and evicted tokens still verify', async () => {
    const issuer = new TokenIssuer({ keys, ttlSec: 600, now: clock });
    const tokens = await Promise.all(['u1', 'u2', 'u3', 'u4'].map(async (u) => (await issuer.issue('app1', u)).token));
    const v = new TokenVerifier(keys.publicJwks, { now: clock, cacheEntries: 2 });
    for (const t of tokens) await v.verify(t);
    assert.equal(v.cachedTokens, 2);
    for (const t of tokens) assert.equal((await v.verify(t)).user_id, `u${tokens.indexOf(t) + 1}`);
    assert.equal(v.cachedTokens, 2);
  });

  it('never serves another string from the cache, and caches no failure', async () => {
    const { token } = await new TokenIssuer({ keys, ttlSec: 600, now: clock }).issue('app1', 'carol');
    const v = new TokenVerifier(keys.publicJwks, { now: clock });
    await v.verify(token);
    const sig = token.slice(token.lastIndexOf('.') + 1);
    const flipped = `${token.slice(0, token.lastIndexOf('.') + 1)}${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    assert.equal(await outcome(v.verify(flipped)), 'token_invalid');
    assert.equal(await outcome(v.verify(flipped)), 'token_invalid');
    assert.equal(v.cachedTokens, 1);
  });

  it('forgets every token when the key set changes: a dropped key ends its cached tokens', async () => {
    const { token } = await new TokenIssuer({ keys, ttlSec: 600, now: clock }).issue('app1', 'dave');
    const v = new TokenVerifier(keys.publicJwks, { now: clock });
    await v.verify(token);
    const rotated = await rotateSigningKeys(dir, { keepPrevious: 0 });
    assert.equal(rotated.publicJwks.some((k) => k.kid === keys.kid), false, 'the old key is dropped');
    v.setKeys(rotated.publicJwks);
    assert.equal(v.cachedTokens, 0);
    assert.equal(await outcome(v.verify(token)), 'token_invalid');
  });
});
