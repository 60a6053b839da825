import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ERROR_CODES } from '@parley/protocol';
import { startApi, type ApiHarness } from './helpers.js';

function multipart(filename: string, mime: string, data: Buffer) {
  const boundary = `----parley${randomBytes(8).toString('hex')}`;
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${mime}\r\n\r\n`),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('HTTP surface: validation, errors, uploads, docs, ops', () => {
  let h: ApiHarness;
  let t: Record<string, string>;
  before(async () => {
    h = await startApi({ uploadMaxBytes: 4096 });
    t = await h.users('alice', 'bob');
  });
  after(async () => h?.close());

  it('rejects wrong types and extra fields with invalid_field, naming the field', async () => {
    const numId = await h.req('POST', '/v1/admin/users', { apiKey: h.apiKey, body: { user_id: 123 } });
    assert.deepEqual(numId.body, { error: { code: 'invalid_field', message: 'body/user_id: Expected string', retryable: false } });
    const badId = await h.req('POST', '/v1/admin/users', { apiKey: h.apiKey, body: { user_id: 'has space' } });
    assert.equal(badId.body.error.code, 'invalid_field');
    const extra = await h.as(t.alice!, 'POST', '/v1/conversations/s:alice:bob/read', { seq: 1, evil: true });
    assert.equal(extra.body.error.code, 'invalid_field');
    const seqString = await h.as(t.alice!, 'POST', '/v1/conversations/s:alice:bob/read', { seq: '1' });
    assert.deepEqual([seqString.status, seqString.body.error.message], [400, 'body/seq: Expected integer']);
    const badConv = await h.as(t.alice!, 'GET', '/v1/conversations/x:..%2F..%2Fetc/messages');
    assert.deepEqual([badConv.status, badConv.body.error.code], [400, 'invalid_field']);
    assert.match(badConv.body.error.message, /^params\/conv_id/);
    const badLimit = await h.as(t.alice!, 'GET', '/v1/conversations/s:alice:bob/messages?limit=abc');
    assert.match(badLimit.body.error.message, /^query\/limit/);
    const bigLimit = await h.as(t.alice!, 'GET', '/v1/conversations/s:alice:bob/messages?limit=500');
    assert.equal(bigLimit.body.error.code, 'invalid_field');
    const notice = await h.as(t.alice!, 'POST', '/v1/messages', { cmid: 'n1', conv_type: 'single', to: 'bob', type: 'notice', content: {} });
    assert.equal(notice.body.error.code, 'invalid_field');
  });

  it('maps malformed bodies, oversize bodies and unknown routes to the catalogue', async () => {
    const json = { 'content-type': 'application/json' };
    const broken = await h.req('POST', '/v1/admin/users', { apiKey: h.apiKey, payload: '{"user_id": ', headers: json });
    assert.deepEqual(broken.body, { error: { code: 'bad_frame', message: 'request body is not valid JSON', retryable: false } });
    assert.equal(broken.status, 400);
    const empty = await h.req('POST', '/v1/admin/users', { apiKey: h.apiKey, payload: '', headers: json });
    assert.deepEqual([empty.status, empty.body.error.code], [400, 'bad_frame']);
    const xml = await h.req('POST', '/v1/admin/users', { apiKey: h.apiKey, payload: '<user/>', headers: { 'content-type': 'application/xml' } });
    assert.deepEqual([xml.status, xml.body.error.code], [400, 'bad_frame']);
    const big = await h.req('PATCH', '/v1/admin/users/alice', { apiKey: h.apiKey, payload: JSON.stringify({ meta: { blob: 'x'.repeat(1024 * 1024) } }), headers: json });
    assert.deepEqual([big.status, big.body.error.code], [413, 'frame_too_large']);
    const nope = await h.req('GET', '/v1/nothing/here?x=1');
    assert.deepEqual(nope.body, { error: { code: 'not_found', message: 'no route GET /v1/nothing/here', retryable: false } });
    const wrongMethod = await h.req('DELETE', '/healthz');
    assert.deepEqual([wrongMethod.status, wrongMethod.body.error.code], [404, 'not_found']);
    // Authentication comes before validation: no token, no hint about the body.
    const unauth = await h.req('POST', '/v1/messages', { body: { junk: true } });
    assert.deepEqual([unauth.status, unauth.body.error.code], [401, 'unauthenticated']);
  });

  it('uploads a file and serves it back byte for byte', async () => {
    const data = randomBytes(3000);
    const up = await h.req('POST', '/v1/uploads', { token: t.alice, ...multipart('photo.PNG', 'image/png', data) });
    assert.equal(up.status, 201);
    assert.match(up.body.url, /^\/files\/[0-9a-f]{32}\.png$/);
    assert.deepEqual([up.body.size, up.body.mime, up.body.name], [3000, 'image/png', 'photo.PNG']);
    const got = await h.app.inject({ method: 'GET', url: up.body.url });
    assert.equal(got.statusCode, 200);
    assert.ok(got.rawPayload.equals(data));
    assert.equal(got.headers['content-type'], 'image/png');
    assert.equal(got.headers['x-content-type-options'], 'nosniff');
    assert.equal(got.headers['content-disposition'], undefined);

    const page = await h.req('POST', '/v1/uploads', { token: t.alice, ...multipart('evil.html', 'text/html', Buffer.from('<script>alert(1)</script>')) });
    const served = await h.app.inject({ method: 'GET', url: page.body.url });
    assert.equal(served.headers['content-disposition'], 'attachment');
    assert.match(String(served.headers['content-security-policy']), /sandbox/);
  });

  it('refuses oversize, anonymous and malformed uploads, leaving nothing behind', async () => {
    const before = readdirSync(join(h.dir, 'uploads')).length;
    const big = await h.req('POST', '/v1/uploads', { token: t.alice, ...multipart('big.bin', 'application/octet-stream', randomBytes(5000)) });
    assert.deepEqual([big.status, big.body.error.code], [413, 'content_too_large']);
    assert.equal(readdirSync(join(h.dir, 'uploads')).length, before);
    const anon = await h.req('POST', '/v1/uploads', multipart('a.txt', 'text/plain', Buffer.from('hi')));
    assert.deepEqual([anon.status, anon.body.error.code], [401, 'unauthenticated']);
    const notMultipart = await h.req('POST', '/v1/uploads', { token: t.alice, body: { file: 'x' } });
    assert.deepEqual([notMultipart.status, notMultipart.body.error.code], [400, 'bad_frame']);
    const garbled = await h.req('POST', '/v1/uploads', { token: t.alice, payload: 'garbage', headers: { 'content-type': 'multipart/form-data; boundary=XyZ' } });
    assert.deepEqual([garbled.status, garbled.body.error.code], [400, 'bad_frame']);
    const b = 'XyZ';
    const fieldOnly = `--${b}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--${b}--\r\n`;
    const noFile = await h.req('POST', '/v1/uploads', { token: t.alice, payload: fieldOnly, headers: { 'content-type': `multipart/form-data; boundary=${b}` } });
    assert.deepEqual([noFile.status, noFile.body.error.code], [400, 'invalid_field']);
    const traversal = await h.req('GET', '/files/..%2F..%2Fetc%2Fpasswd');
    assert.deepEqual([traversal.status, traversal.body.error.code], [400, 'invalid_field']);
    const missing = await h.req('GET', '/files/0123456789abcdef.png');
    assert.deepEqual([missing.status, missing.body.error.code], [404, 'not_found']);
  });

  it('publishes an OpenAPI document with every route, tags and security', async () => {
    const doc = (await h.req('GET', '/docs/json')).body;
    assert.equal(doc.openapi, '3.0.3');
    for (const p of ['/v1/admin/users', '/v1/admin/users/{user_id}/tokens', '/v1/admin/groups/{group_id}/members/{user_id}/role', '/v1/admin/messages',
      '/v1/admin/settings', '/v1/auth/register', '/v1/me', '/v1/conversations/{conv_id}/messages', '/v1/messages', '/v1/search',
      '/v1/friends', '/v1/blocks/{user_id}', '/v1/groups/{group_id}/leave', '/v1/uploads', '/files/{name}', '/healthz', '/readyz', '/metrics']) {
      assert.ok(doc.paths[p], `missing ${p}`);
    }
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['apiKey', 'bearer']);
    assert.deepEqual(doc.components.schemas.ErrorBody.properties.error.properties.code.enum, ERROR_CODES);
    const ops = Object.entries(doc.paths).flatMap(([path, item]: [string, any]) => Object.entries(item).map(([m, op]: [string, any]) => ({ path, m, op })));
    assert.ok(ops.length >= 60, `only ${ops.length} operations`);
    for (const { path, m, op } of ops) {
      assert.equal(op.tags?.length, 1, `${m} ${path} has no tag`);
      if (path.startsWith('/v1/admin')) assert.deepEqual(op.security, [{ apiKey: [] }, { bearer: [] }]);
    }
    const tokens = doc.paths['/v1/admin/users/{user_id}/tokens'].post;
    assert.equal(tokens.parameters[0].name, 'user_id');
    assert.ok(tokens.responses['200'] && tokens.responses['4XX']);
    assert.ok(doc.paths['/v1/uploads'].post.requestBody.content['multipart/form-data']);
    const ui = await h.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(ui.statusCode, 200);
    assert.match(ui.body, /swagger/i);
  });

  it('exposes health, readiness and Prometheus metrics', async () => {
    assert.deepEqual((await h.req('GET', '/healthz')).body, { ok: true });
    assert.deepEqual(await h.req('GET', '/readyz').then((r) => [r.status, r.body]), [200, { ready: true }]);
    h.setReady(false);
    const down = await h.req('GET', '/readyz');
    assert.deepEqual([down.status, down.body.error.code, down.body.error.retryable], [503, 'unavailable', true]);
    h.setReady(true);
    await h.as(t.bob!, 'GET', '/v1/me');
    const m = await h.app.inject({ method: 'GET', url: '/metrics' });
    assert.match(String(m.headers['content-type']), /^text\/plain/);
    assert.match(m.body, /parley_http_requests_total\{route="\/v1\/me",status="200"\} 1/);
    assert.match(m.body, /parley_http_requests_total\{route="\/readyz",status="503"\} 1/);
    assert.match(m.body, /parley_http_requests_total\{route="unmatched",status="404"\}/);
    assert.match(m.body, /parley_messages_stored_total/);
  });

  it('serves a page explaining how to build the web client when there is none', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/' });
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /^text\/html/);
    assert.match(r.body, /web client is not built/);
    assert.match(r.body, /npm run build/);
  });
});

describe('rate limiting', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApi({ apiRatePerSec: 1 });
  });
  after(async () => h?.close());

  it('answers 429 rate_limited (retryable) once a caller exhausts its bucket, per caller', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await h.req('GET', '/v1/admin/settings', { apiKey: h.apiKey })).status);
    assert.deepEqual(statuses.slice(0, 10), Array(10).fill(200));
    const limited = await h.req('GET', '/v1/admin/settings', { apiKey: h.apiKey });
    assert.deepEqual(limited.body, { error: { code: 'rate_limited', message: 'too many requests; slow down', retryable: true } });
    assert.equal(limited.status, 429);
    const otherKey = await h.createApp('second');
    assert.equal((await h.req('GET', '/v1/admin/settings', { apiKey: otherKey })).status, 200);
    // Probes are never limited.
    assert.equal((await h.req('GET', '/healthz')).status, 200);
  });
});

describe('web client', () => {
  let h: ApiHarness;
  let webDir: string;
  before(async () => {
    webDir = mkdtempSync(join(tmpdir(), 'parley-web-'));
    mkdirSync(join(webDir, 'assets'));
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>Parley Web</title><div id="app"></div>');
    writeFileSync(join(webDir, 'assets', 'app.js'), 'console.log("parley")');
    writeFileSync(join(webDir, '.env'), 'SECRET=1');
    h = await startApi({ webDir });
  });
  after(async () => {
    await h?.close();
    rmSync(webDir, { recursive: true, force: true });
  });

  it('serves the built client with a fallback to index.html for client routes only', async () => {
    const root = await h.app.inject({ method: 'GET', url: '/' });
    assert.match(root.body, /<title>Parley Web<\/title>/);
    const js = await h.app.inject({ method: 'GET', url: '/assets/app.js' });
    assert.deepEqual([js.statusCode, js.body], [200, 'console.log("parley")']);
    assert.match(String(js.headers['content-type']), /javascript/);
    const deep = await h.app.inject({ method: 'GET', url: '/chat/s:alice:bob', headers: { accept: 'text/html,*/*' } });
    assert.deepEqual([deep.statusCode, /Parley Web/.test(deep.body)], [200, true]);
    const api = await h.app.inject({ method: 'GET', url: '/v1/unknown', headers: { accept: 'text/html' } });
    assert.deepEqual([api.statusCode, JSON.parse(api.body).error.code], [404, 'not_found']);
    const script = await h.app.inject({ method: 'GET', url: '/missing.js', headers: { accept: '*/*' } });
    assert.equal(script.statusCode, 404);
    const dot = await h.app.inject({ method: 'GET', url: '/.env' });
    assert.equal(dot.statusCode, 404);
    assert.doesNotMatch(dot.body, /SECRET/);
  });
});
