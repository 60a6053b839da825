import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';

describe('GET /v1/app', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startTestPlatform();
  });
  after(async () => p?.destroy());

  it("tells a signed-in client its app's recall window and switches, and follows settings changes", async () => {
    const t = await p.users('uma');
    const get = async () => {
      const r = await p.api.inject({ method: 'GET', url: '/v1/app', headers: { authorization: `Bearer ${t.uma}` } });
      return { status: r.statusCode, body: JSON.parse(r.body) };
    };
    const first = await get();
    assert.equal(first.status, 200);
    assert.equal(first.body.recall_window_sec, 120);
    await p.admin('PATCH', '/v1/admin/settings', { recall_window_sec: 30, read_receipts: false });
    const second = await get();
    assert.equal(second.body.recall_window_sec, 30);
    assert.equal(second.body.read_receipts, false);
    assert.equal(second.body.webhook_secret, undefined, 'no secrets for clients');
    const anon = await p.api.inject({ method: 'GET', url: '/v1/app' });
    assert.equal(anon.statusCode, 401);
  });
});
