import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pushesTo, settle, startApi, type ApiHarness } from './helpers.js';

describe('client auth, profile and user lookup', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApi();
  });
  after(async () => h?.close());

  it('registers with a password and gets a working token', async () => {
    const r = await h.req('POST', '/v1/auth/register', { body: { app_id: 'acme', user_id: 'reg1', password: 'secret-1', name: 'Reggie' } });
    assert.equal(r.status, 201);
    assert.deepEqual(Object.keys(r.body).sort(), ['expires_at', 'token', 'user']);
    assert.equal(r.body.user.user_id, 'reg1');
    assert.equal(r.body.user.name, 'Reggie');
    const me = await h.as(r.body.token, 'GET', '/v1/me');
    assert.deepEqual([me.status, me.body.user_id, me.body.name], [200, 'reg1', 'Reggie']);

    const dup = await h.req('POST', '/v1/auth/register', { body: { app_id: 'acme', user_id: 'reg1', password: 'secret-1' } });
    assert.equal(dup.body.error.code, 'already_exists');
    const short = await h.req('POST', '/v1/auth/register', { body: { app_id: 'acme', user_id: 'reg2', password: '123' } });
    assert.equal(short.status, 400);
    assert.equal(short.body.error.code, 'invalid_field');
    assert.match(short.body.error.message, /password/);
    const noApp = await h.req('POST', '/v1/auth/register', { body: { app_id: 'nope', user_id: 'reg2', password: 'secret-1' } });
    assert.equal(noApp.body.error.code, 'not_found');
  });

  it('refuses registration where the app turned it off', async () => {
    await h.createApp('closed', { allow_registration: false });
    const r = await h.req('POST', '/v1/auth/register', { body: { app_id: 'closed', user_id: 'x1', password: 'secret-1' } });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'registration_disabled');
  });

  it('logs in; a wrong password and an unknown user fail alike', async () => {
    await h.req('POST', '/v1/auth/register', { body: { app_id: 'acme', user_id: 'log1', password: 'pass-word' } });
    const ok = await h.req('POST', '/v1/auth/login', { body: { app_id: 'acme', user_id: 'log1', password: 'pass-word' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.user.user_id, 'log1');
    const wrong = await h.req('POST', '/v1/auth/login', { body: { app_id: 'acme', user_id: 'log1', password: 'nope-nope' } });
    const ghost = await h.req('POST', '/v1/auth/login', { body: { app_id: 'acme', user_id: 'ghost', password: 'nope-nope' } });
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.body, ghost.body);
    assert.equal(wrong.body.error.code, 'invalid_credentials');
  });

  it('logs out: connections kicked, the token revoked, a new login works', async () => {
    const reg = await h.req('POST', '/v1/auth/register', { body: { app_id: 'acme', user_id: 'out1', password: 'pass-word' } });
    const conn = await h.connect('out1', 'android');
    const r = await h.as(reg.body.token, 'POST', '/v1/auth/logout');
    assert.deepEqual(r.body, { revoked: true, kicked: 1 });
    await settle();
    assert.deepEqual(pushesTo(h.downs, conn), [{ op: 'kicked', reason: 'logout' }]);
    const again = await h.as(reg.body.token, 'GET', '/v1/me');
    assert.equal(again.status, 401);
    assert.equal(again.body.error.code, 'token_revoked');
    // Token iat has second precision: a login in the revocation second would be revoked too.
    h.advance(1500);
    const login = await h.req('POST', '/v1/auth/login', { body: { app_id: 'acme', user_id: 'out1', password: 'pass-word' } });
    assert.equal((await h.as(login.body.token, 'GET', '/v1/me')).body.user_id, 'out1');
  });

  it('rejects missing, malformed and expired tokens with distinct codes', async () => {
    const none = await h.req('GET', '/v1/me');
    assert.deepEqual([none.status, none.body.error.code], [401, 'unauthenticated']);
    const junk = await h.as('not-a-jwt', 'GET', '/v1/me');
    assert.deepEqual([junk.status, junk.body.error.code], [401, 'token_invalid']);
    const { exp } = await h.users('exp');
    h.advance(3600_000 + 10_000);
    const expired = await h.as(exp!, 'GET', '/v1/me');
    assert.deepEqual([expired.status, expired.body.error.code], [401, 'token_expired']);
    // An API key is not a user token.
    const key = await h.as(h.apiKey, 'GET', '/v1/me');
    assert.equal(key.body.error.code, 'token_invalid');
  });

  it('updates my profile; changing a set password needs the current one', async () => {
    const reg = await h.req('POST', '/v1/auth/register', { body: { app_id: 'acme', user_id: 'prof', password: 'old-pass' } });
    const t = reg.body.token;
    const named = await h.as(t, 'PATCH', '/v1/me', { name: 'Prof X', avatar: '/files/a.png' });
    assert.deepEqual([named.body.name, named.body.avatar], ['Prof X', '/files/a.png']);
    const missing = await h.as(t, 'PATCH', '/v1/me', { password: 'new-pass' });
    assert.equal(missing.body.error.code, 'invalid_field');
    const wrong = await h.as(t, 'PATCH', '/v1/me', { password: 'new-pass', current_password: 'bad-pass' });
    assert.equal(wrong.body.error.code, 'invalid_credentials');
    const ok = await h.as(t, 'PATCH', '/v1/me', { password: 'new-pass', current_password: 'old-pass' });
    assert.equal(ok.status, 200);
    const login = await h.req('POST', '/v1/auth/login', { body: { app_id: 'acme', user_id: 'prof', password: 'new-pass' } });
    assert.equal(login.status, 200);
  });

  it('searches users of my app only', async () => {
    const t = await h.users('alice', 'alicia', 'bob');
    await h.req('POST', '/v1/admin/users', { apiKey: await h.createApp('rival'), body: { user_id: 'alina' } });
    const r = await h.as(t.bob!, 'GET', '/v1/users?q=ali');
    assert.deepEqual(r.body.users.map((u: any) => u.user_id).sort(), ['alice', 'alicia']);
    const one = await h.as(t.bob!, 'GET', '/v1/users?q=ali&limit=1');
    assert.equal(one.body.users.length, 1);
    const noQ = await h.as(t.bob!, 'GET', '/v1/users');
    assert.equal(noQ.body.error.code, 'invalid_field');
    assert.match(noQ.body.error.message, /^query/);
    const other = await h.as(t.bob!, 'GET', '/v1/users/alina');
    assert.equal(other.status, 404);
  });

  it("shows a user's profile with presence", async () => {
    const t = await h.users('pres1', 'pres2');
    const offline = await h.as(t.pres1!, 'GET', '/v1/users/pres2');
    assert.deepEqual([offline.body.user_id, offline.body.online, offline.body.platforms], ['pres2', false, []]);
    await h.connect('pres2', 'android');
    const online = await h.as(t.pres1!, 'GET', '/v1/users/pres2');
    assert.deepEqual([online.body.online, online.body.platforms], [true, ['android']]);
  });
});
