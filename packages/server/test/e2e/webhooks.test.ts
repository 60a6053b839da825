import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { signWebhook } from '../../src/services/webhook-sender.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';

/** Business lines hear about messages through signed webhooks. */
describe('webhooks', () => {
  let p: TestPlatform;
  let hook: Server;
  const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
  let failFirst = true;

  before(async () => {
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        // The first delivery fails, to prove the retry.
        if (failFirst) {
          failFirst = false;
          res.writeHead(500).end();
          return;
        }
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    p = await startTestPlatform();
    await p.users('ann', 'ben');
  });
  after(async () => {
    await p?.destroy();
    hook?.close();
  });

  it('POSTs a signed message.created event, retrying after a failure', async () => {
    const port = (hook.address() as { port: number }).port;
    await p.admin('PATCH', '/v1/admin/settings', { webhook_url: `http://127.0.0.1:${port}/events` });
    const { webhook_secret } = await p.admin('GET', '/v1/admin/webhook');
    const ack = await p.admin('POST', '/v1/admin/messages', { from: 'ann', conv_type: 'single', to: 'ben', type: 'text', content: { text: 'hook me' } });
    const deadline = Date.now() + 8000;
    while (!received.some((r) => r.body.includes('hook me')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const hit = received.find((r) => r.body.includes('hook me'));
    assert.ok(hit, 'the webhook arrived (after one failed attempt)');
    const event = JSON.parse(hit.body);
    assert.equal(event.type, 'message.created');
    assert.equal(event.data.message.seq, ack.seq);
    const sig = String(hit.headers['parley-signature']);
    const t = Number(/t=(\d+)/.exec(sig)![1]);
    assert.equal(sig, signWebhook(webhook_secret, hit.body, t), 'signature verifies with the app secret');
    assert.notEqual(sig, signWebhook('wrong-secret', hit.body, t));
  });
});
