import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle } from '../../src/auth/login-throttle.js';
import { startApi, type ApiHarness } from '../api/helpers.js';

describe('login throttle (clock under test control)', () => {
  let now = 1_000_000;
  const t = () => new LoginThrottle({ freeFailuresPerUser: 3, freeFailuresPerAddress: 10, baseDelayMs: 1000, maxDelayMs: 8000, forgetAfterMs: 60_000, now: () => now });

  it('lets a few failures through, then waits that double with each failure up to the ceiling', () => {
    const th = t();
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      th.failed('app', 'alice', '10.0.0.1');
      waits.push(th.waitMs('app', 'alice', '10.0.0.2'));
      now += waits[i]!; // the caller waited as told
    }
    assert.deepEqual(waits, [0, 0, 0, 1000, 2000, 4000, 8000, 8000]);
  });

  it('a success clears the user, not the address; another user is not slowed by alice', () => {
    const th = t();
    for (let i = 0; i < 11; i++) th.failed('app', `u${i}`, '10.0.0.9');
    assert.ok(th.waitMs('app', 'fresh', '10.0.0.9') > 0, 'the address waits after its free failures');
    assert.equal(th.waitMs('app', 'fresh', '10.0.0.8'), 0, 'another address does not');
    for (let i = 0; i < 4; i++) th.failed('app', 'alice', `10.1.0.${i}`);
    assert.ok(th.waitMs('app', 'alice', '10.2.0.1') > 0, 'the user waits whatever the address');
    assert.equal(th.waitMs('app', 'bob', '10.2.0.1'), 0);
    assert.equal(th.waitMs('other-app', 'alice', '10.2.0.1'), 0, 'per app');
    th.succeeded('app', 'alice');
    assert.equal(th.waitMs('app', 'alice', '10.2.0.1'), 0);
  });

  it('forgets a quiet key', () => {
    const th = t();
    for (let i = 0; i < 4; i++) th.failed('app', 'carol', '10.3.0.1');
    now += 61_000;
    assert.equal(th.waitMs('app', 'carol', '10.3.0.1'), 0);
    th.failed('app', 'carol', '10.3.0.1');
    assert.equal(th.waitMs('app', 'carol', '10.3.0.1'), 0, 'counting starts over');
  });
});

describe('POST /v1/auth/login under a burst of wrong passwords', () => {
  let h: ApiHarness;
  // The throttle's clock stands still: however slow the machine, no wait runs out during the burst.
  const frozen = Date.now();
  before(async () => {
    h = await startApi({ apiRatePerSec: 10_000, loginThrottle: { now: () => frozen } });
    await h.admin('POST', '/v1/admin/users', { user_id: 'alice', password: 'right-password' });
  });
  after(async () => h?.close());
  const login = (user_id: string, password: string, ip = '127.0.0.1') =>
    h.app.inject({ method: 'POST', url: '/v1/auth/login', remoteAddress: ip, payload: { app_id: 'acme', user_id, password } });

  it('refuses further attempts with 429 and Retry-After, even with the right password, once the free failures are spent', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 40; i++) codes.push((await login('alice', `wrong-${i}`)).statusCode);
    assert.deepEqual(codes.slice(0, 6), [401, 401, 401, 401, 401, 401]);
    assert.ok(codes.slice(6).every((c) => c === 429), `burst refused: ${codes.join(',')}`);
    const right = await login('alice', 'right-password');
    assert.equal(right.statusCode, 429);
    assert.equal(JSON.parse(right.body).error.code, 'rate_limited');
    assert.ok(Number(right.headers['retry-after']) >= 1, `Retry-After: ${right.headers['retry-after']}`);
    // Another user from another address is unaffected.
    assert.equal((await h.app.inject({ method: 'POST', url: '/v1/auth/login', remoteAddress: '127.0.0.2', payload: { app_id: 'acme', user_id: 'bob', password: 'x' } })).statusCode, 401);
  });

  it('slows an address that guesses across many users', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 60; i++) codes.push((await login(`nobody${i}`, 'guess', '127.0.0.9')).statusCode);
    assert.equal(codes[0], 401);
    assert.equal(codes.at(-1), 429);
    assert.ok(codes.filter((c) => c === 401).length <= 51, `at most the free failures got through: ${codes.join(',')}`);
  });
});

describe('Retry-After on every 429', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApi({ apiRatePerSec: 1 });
  });
  after(async () => h?.close());

  it('the per-key request rate answers 429 with Retry-After', async () => {
    // All at once: the bucket (10 requests) empties faster than it refills (1/s), however slow the machine.
    const all = await Promise.all([...Array(60)].map(() => h.req('GET', '/v1/admin/settings', { apiKey: h.apiKey })));
    const limited = all.find((r) => r.status === 429);
    assert.ok(limited, 'the limit was reached');
    assert.equal(limited.body.error.code, 'rate_limited');
    assert.ok(Number(limited.headers['retry-after']) >= 1);
  });
});
