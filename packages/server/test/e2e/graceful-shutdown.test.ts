import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminCall, readDefaultApp, startChildServer, type ChildServer } from '../helpers/child-server.js';
import { RawClient } from '../helpers/raw-client.js';

/** SIGTERM drains: clients are told to go away, everything acked is stored, the process exits 0. */
describe('graceful shutdown', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-term-'));
  let server: ChildServer | undefined;
  after(async () => {
    await server?.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGTERM mid-stream: acks only for stored messages, clients closed with 1001, exit code 0', async () => {
    server = await startChildServer(dir, ['--rate-per-sec', '100000', '--rate-burst', '100000']);
    const { api_key } = readDefaultApp(dir);
    const tokens: Record<string, string> = {};
    for (const u of ['a', 'b']) {
      await adminCall(server.httpUrl, api_key, 'POST', '/v1/admin/users', { user_id: u });
      tokens[u] = (await adminCall(server.httpUrl, api_key, 'POST', `/v1/admin/users/${u}/tokens`, {})).token;
    }
    const a = await RawClient.authed(server.wsUrl, tokens.a!);
    const acked = new Set<string>();
    const errors = new Set<string>();
    a.ws.on('message', (d) => {
      const f = JSON.parse(String(d));
      if (f.op === 'ok' && f.data?.cmid) acked.add(f.data.cmid);
      if (f.op === 'error') errors.add(f.code);
    });
    let stop = false;
    const pump = (async () => {
      for (let i = 0; i < 20000 && !stop && a.ws.readyState === a.ws.OPEN; i++) {
        a.ws.send(JSON.stringify({ op: 'send', id: i, cmid: `t-${i}`, conv_type: 'single', to: 'b', type: 'text', content: { text: `n${i}` } }));
        if (i % 32 === 0) await new Promise((r) => setTimeout(r, 1));
      }
    })();
    const deadline = Date.now() + 15000;
    while (acked.size < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const closed = a.waitClose(15000);
    const code = await server.stop();
    stop = true;
    await pump;
    assert.equal(code, 0, `exit code; output: ${server.output()}`);
    assert.equal((await closed).code, 1001, 'clients are told the server is going away');
    assert.ok(acked.size >= 300);
    for (const e of errors) assert.ok(['shutting_down', 'unavailable'].includes(e), `only retryable shutdown errors, got ${e}`);

    server = await startChildServer(dir);
    const b = await RawClient.authed(server.wsUrl, tokens.b!);
    const stored = new Set<string>();
    let after = 0;
    for (let page = 0; page < 200; page++) {
      const r: any = await b.request({ op: 'history', id: page, conv_id: 's:a:b', after, limit: 200 });
      for (const m of r.data.messages) stored.add(m.cmid);
      if (!r.data.has_more) break;
      after = r.data.messages.at(-1).seq;
    }
    for (const c of acked) assert.ok(stored.has(c), `acked ${c} is stored`);
    b.close();
  });
});
