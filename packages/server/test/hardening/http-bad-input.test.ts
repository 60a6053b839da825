import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERRORS } from '@parley/protocol';
import { startApi, type ApiHarness } from '../api/helpers.js';

/** Send raw bytes to the listening server and read the whole answer (the server closes after an error). */
function rawHttp(port: number, bytes: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let buf = '';
    s.on('data', (d) => (buf += d.toString('utf8')));
    s.on('error', () => undefined);
    s.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(buf);
      if (!m) return reject(new Error(`no status line in ${JSON.stringify(buf.slice(0, 200))}`));
      const body = buf.slice(buf.indexOf('\r\n\r\n') + 4);
      try {
        resolve({ status: Number(m[1]), body: JSON.parse(body) });
      } catch {
        reject(new Error(`body is not JSON: ${JSON.stringify(body.slice(0, 200))}`));
      }
    });
    s.write(bytes);
  });
}

/** The documented shape, the catalogue's status for the code, and the code expected. */
function assertCatalogued(res: { status: number; body: any }, code: string): void {
  assert.deepEqual(Object.keys(res.body), ['error'], JSON.stringify(res.body));
  assert.deepEqual(Object.keys(res.body.error).sort(), ['code', 'message', 'retryable']);
  assert.equal(res.body.error.code, code, JSON.stringify(res.body));
  const spec = ERRORS[code as keyof typeof ERRORS];
  assert.equal(res.status, spec.status);
  assert.equal(res.body.error.retryable, spec.retryable);
}

describe('HTTP: every bad input answered as documented', () => {
  let h: ApiHarness;
  let t: Record<string, string>;
  let port: number;
  before(async () => {
    h = await startApi();
    t = await h.users('alice', 'bob');
    await h.as(t.alice!, 'POST', '/v1/messages', { cmid: 'm1', conv_type: 'single', to: 'bob', type: 'text', content: { text: 'one' } });
    await h.as(t.alice!, 'POST', '/v1/messages', { cmid: 'm2', conv_type: 'single', to: 'bob', type: 'text', content: { text: 'two' } });
    await h.as(t.alice!, 'POST', '/v1/messages', { cmid: 'm3', conv_type: 'single', to: 'bob', type: 'text', content: { text: 'three' } });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = h.app.server.address();
    port = typeof addr === 'object' && addr ? addr.port : 0;
  });
  after(async () => h?.close());

  const json = { 'content-type': 'application/json' };
  const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

  it('refuses deeply nested JSON in content, meta and notification data with invalid_field', async () => {
    const meta = await h.req('PATCH', '/v1/admin/users/alice', { apiKey: h.apiKey, headers: json, payload: `{"meta":{"a":${deep(5000)}}}` });
    assertCatalogued(meta, 'invalid_field');
    assert.match(meta.body.error.message, /nests deeper/);
    const send = await h.req('POST', '/v1/messages', {
      token: t.alice, headers: json, payload: `{"cmid":"d1","conv_type":"single","to":"bob","type":"custom","content":{"data":${deep(3000)}}}`,
    });
    assertCatalogued(send, 'invalid_field');
    const notify = await h.req('POST', '/v1/admin/notifications', { apiKey: h.apiKey, headers: json, payload: `{"user_ids":["bob"],"text":"x","data":${deep(3000)}}` });
    assertCatalogued(notify, 'invalid_field');
    const adminSend = await h.req('POST', '/v1/admin/messages', {
      apiKey: h.apiKey, headers: json, payload: `{"from":"alice","conv_type":"single","to":"bob","type":"custom","content":{"data":${deep(3000)}}}`,
    });
    assertCatalogued(adminSend, 'invalid_field');
    // A little nesting is fine.
    const ok = await h.req('PATCH', '/v1/admin/users/alice', { apiKey: h.apiKey, body: { meta: { a: [[[{ b: 1 }]]] } } });
    assert.equal(ok.status, 200);
  });

  it('accepts only plain decimal integers in paths and queries', async () => {
    const c = '/v1/conversations/s:alice:bob';
    for (const url of [`${c}/messages/3e999`, `${c}/messages/3e0`, `${c}/messages/0x3`, `${c}/messages/%203`]) {
      assertCatalogued(await h.as(t.alice!, 'DELETE', url), 'invalid_field');
    }
    assertCatalogued(await h.as(t.alice!, 'POST', `${c}/messages/2.9/recall`), 'invalid_field');
    assertCatalogued(await h.as(t.alice!, 'GET', `${c}/messages?limit=1.9`), 'invalid_field');
    assertCatalogued(await h.as(t.alice!, 'GET', `${c}/messages?limit=`), 'invalid_field');
    assertCatalogued(await h.as(t.alice!, 'GET', `${c}/receipts?seq=0x10`), 'invalid_field');
    assertCatalogued(await h.as(t.alice!, 'GET', `${c}/messages?before=99999999999999999999`), 'invalid_field');
    // Nothing was deleted or recalled by the refused requests.
    const hist = await h.as(t.alice!, 'GET', `${c}/messages?limit=2`);
    assert.equal(hist.status, 200);
    assert.equal(hist.body.messages.length, 2);
    assert.ok(hist.body.messages.every((m: any) => m.recalled !== true && m.type === 'text'));
    const del = await h.as(t.alice!, 'DELETE', `${c}/messages/3`);
    assert.equal(del.status, 200);
    assert.equal(del.body.seq, 3);
  });

  it('gives the documented error shape for URL, parameter, content-type and null-body errors', async () => {
    assertCatalogued(await h.as(t.alice!, 'GET', '/v1/conversations/%E0%A4%A/messages'), 'bad_frame');
    const long = 'a'.repeat(300);
    assertCatalogued(await h.as(t.alice!, 'GET', `/v1/conversations/s:${long}:bob/messages`), 'uri_too_long');
    // The longest valid conversation id still routes (and is checked by its schema).
    const longest = await h.as(t.alice!, 'GET', `/v1/conversations/s:${'a'.repeat(64)}:${'b'.repeat(64)}/messages`);
    assert.notEqual(longest.status, 414);
    assert.ok(ERRORS[longest.body.error.code as keyof typeof ERRORS]);
    assertCatalogued(await h.req('POST', '/v1/admin/users', { apiKey: h.apiKey, payload: 'user_id=x', headers: { 'content-type': 'text/plain' } }), 'bad_frame');
    assertCatalogued(await h.req('POST', '/v1/auth/logout', { token: t.bob, payload: 'hi', headers: { 'content-type': 'text/plain' } }), 'bad_frame');
    assertCatalogued(await h.req('POST', '/v1/admin/users/alice/tokens', { apiKey: h.apiKey, payload: 'null', headers: json }), 'invalid_field');
    assertCatalogued(await h.req('POST', '/v1/admin/users', { apiKey: h.apiKey, payload: 'null', headers: json }), 'invalid_field');
    // Prototype poisoning is refused by fastify's parser as JSON it does not take (docs/http-api.md).
    assertCatalogued(await h.req('POST', '/v1/admin/users', { apiKey: h.apiKey, payload: '{"user_id":"p","meta":{"__proto__":{"x":1}}}', headers: json }), 'bad_frame');
    // An absent body still counts as {} where nothing is required.
    const noBody = await h.req('POST', '/v1/admin/users/alice/tokens', { apiKey: h.apiKey });
    assert.equal(noBody.status, 200);
  });

  it('answers requests Node refuses (headers too large, malformed line, bad chunking) in the catalogue shape', async () => {
    const big = await rawHttp(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assertCatalogued(big, 'headers_too_large');
    assertCatalogued(await rawHttp(port, `GET /v1/conversations?x=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`), 'headers_too_large');
    assertCatalogued(await rawHttp(port, 'GARBAGE\r\n\r\n'), 'bad_frame');
    assertCatalogued(await rawHttp(port, 'GET /healthz HTTP/9.9 extra\r\n\r\n'), 'bad_frame');
    const chunked = await rawHttp(port, `POST /v1/admin/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.apiKey}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`);
    assertCatalogued(chunked, 'bad_frame');
  });

  it('answers 404 for the relations of a user that does not exist', async () => {
    for (const [method, url, body] of [
      ['GET', '/v1/admin/users/ghost/friends'], ['GET', '/v1/admin/users/ghost/blocks'],
      ['DELETE', '/v1/admin/users/ghost/friends/alice'], ['DELETE', '/v1/admin/users/ghost/blocks/alice'],
      ['DELETE', '/v1/admin/users/alice/friends/ghost'], ['DELETE', '/v1/admin/users/alice/blocks/ghost'],
      ['POST', '/v1/admin/users/ghost/friends', { user_id: 'alice' }], ['POST', '/v1/admin/users/ghost/blocks', { user_id: 'alice' }],
    ] as Array<[string, string, unknown?]>) {
      const res = await h.req(method, url, { apiKey: h.apiKey, body });
      assertCatalogued(res, 'not_found');
    }
    const real = await h.req('GET', '/v1/admin/users/alice/friends', { apiKey: h.apiKey });
    assert.deepEqual([real.status, real.body], [200, { friends: [] }]);
  });
});

/**
 * `parley start` serves the web client at / by default (a wildcard route), so
 * a path parameter over the router's limit falls through to that route, not to
 * the router's FST_ERR_MAX_PARAM_LENGTH: the answer must still be 414 as documented.
 */
describe('HTTP with the web client served: over-long path parameters', () => {
  let h: ApiHarness;
  let token: string;
  const web = mkdtempSync(join(tmpdir(), 'parley-web-'));
  before(async () => {
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>web</title>');
    h = await startApi({ webDir: web });
    token = (await h.users('alice'))['alice']!;
  });
  after(async () => {
    await h?.close();
    rmSync(web, { recursive: true, force: true });
  });

  it('answers uri_too_long for a parameter over 256 characters, not_found for an unknown route', async () => {
    const long = 'a'.repeat(300);
    assertCatalogued(await h.as(token, 'GET', `/v1/conversations/s:${long}:bob/messages`), 'uri_too_long');
    assertCatalogued(await h.as(token, 'DELETE', `/v1/conversations/s:${long}:bob/messages/1`), 'uri_too_long');
    assertCatalogued(await h.req('GET', `/v1/admin/users/${long}/friends`, { apiKey: h.apiKey }), 'uri_too_long');
    assertCatalogued(await h.as(token, 'GET', '/v1/no-such-route'), 'not_found');
    // The web client itself is still served.
    const page = await h.req('GET', '/', {});
    assert.equal(page.status, 200);
  });
});
