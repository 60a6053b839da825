import assert from 'node:assert/strict';
import { adminCall, readDefaultApp, startChildServer, type ChildServer } from './child-server.js';
import { RawClient } from './raw-client.js';

/**
 * The durability scenario of the crash tests: two writers stream messages
 * (single and group) with many in flight, the server is killed with SIGKILL,
 * restarted on the same data (`extraArgs` choose the store), and every acked
 * message must be stored once, with its acked seq, in order; seq continues
 * above everything acked; a resend of an acked cmid returns its original ack.
 * `track` receives every server started, so the caller can stop it in after().
 */
export async function runCrashScenario(dir: string, extraArgs: string[], track: (s: ChildServer) => void): Promise<void> {
  let server = await startChildServer(dir, ['--rate-per-sec', '100000', '--rate-burst', '100000', ...extraArgs]);
  track(server);
  const { api_key } = readDefaultApp(dir);
  const tokens: Record<string, string> = {};
  for (const u of ['writer', 'reader', 'other']) {
    await adminCall(server.httpUrl, api_key, 'POST', '/v1/admin/users', { user_id: u });
    tokens[u] = (await adminCall(server.httpUrl, api_key, 'POST', `/v1/admin/users/${u}/tokens`, {})).token;
  }
  await adminCall(server.httpUrl, api_key, 'POST', '/v1/admin/groups', { group_id: 'g1', name: 'g1', owner: 'writer', members: ['reader', 'other'] });

  // Two writers' streams, single and group, with up to 64 sends in flight each.
  const writer = await RawClient.authed(server.wsUrl, tokens.writer!);
  const other = await RawClient.authed(server.wsUrl, tokens.other!);
  const acked = new Map<string, { conv_id: string; seq: number }>();
  let sent = 0;
  let killed = false;
  const onAck = (f: any) => {
    if (f.op === 'ok' && f.data?.cmid) acked.set(f.data.cmid, { conv_id: f.data.conv_id, seq: f.data.seq });
  };
  writer.ws.on('message', (d) => onAck(JSON.parse(String(d))));
  other.ws.on('message', (d) => onAck(JSON.parse(String(d))));
  const pump = async (c: RawClient, who: string, target: { conv_type: string; to: string }) => {
    for (let i = 0; i < 5000 && !killed; i++) {
      const cmid = `${who}-${i}`;
      sent++;
      try {
        c.ws.send(JSON.stringify({ op: 'send', id: cmid, cmid, ...target, type: 'text', content: { text: `msg ${cmid}` } }));
      } catch {
        return;
      }
      // Keep a window of about 64 unacked messages in flight.
      while (!killed && sent - acked.size > 128) await new Promise((r) => setTimeout(r, 1));
      if (i % 16 === 0) await new Promise((r) => setImmediate(r));
    }
  };
  const pumps = [pump(writer, 'w', { conv_type: 'single', to: 'reader' }), pump(other, 'o', { conv_type: 'group', to: 'g1' })];
  const deadline = Date.now() + 20000;
  while (acked.size < 600 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  killed = true;
  await server.kill9();
  await Promise.all(pumps);
  const ackedAtKill = new Map(acked);
  assert.ok(ackedAtKill.size >= 600, `expected at least 600 acks before the kill, got ${ackedAtKill.size}: ${server.output()}`);
  assert.ok(sent > ackedAtKill.size, 'the kill happened with messages still in flight');

  server = await startChildServer(dir, extraArgs);
  track(server);
  const reader = await RawClient.authed(server.wsUrl, tokens.reader!);
  const all = async (conv_id: string) => {
    const rows: Array<{ seq: number; cmid: string }> = [];
    let after = 0;
    for (let page = 0; page < 100; page++) {
      const r: any = await reader.request({ op: 'history', id: `h-${conv_id}-${page}`, conv_id, after, limit: 200 });
      assert.equal(r.op, 'ok', JSON.stringify(r));
      rows.push(...r.data.messages);
      if (!r.data.has_more) break;
      after = r.data.messages.at(-1).seq;
    }
    return rows;
  };
  for (const conv_id of ['s:reader:writer', 'g:g1']) {
    const rows = (await all(conv_id)).filter((m: any) => m.type === 'text');
    const seqs = rows.map((m) => m.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `${conv_id}: history in seq order`);
    assert.equal(new Set(seqs).size, seqs.length, `${conv_id}: no duplicate seq`);
    const cmids = rows.map((m) => m.cmid);
    assert.equal(new Set(cmids).size, cmids.length, `${conv_id}: no message stored twice`);
    const stored = new Map(rows.map((m) => [m.cmid, m.seq]));
    for (const [cmid, a] of ackedAtKill) {
      if (a.conv_id !== conv_id) continue;
      assert.equal(stored.get(cmid), a.seq, `acked ${cmid} (seq ${a.seq}) must be stored with the same seq`);
    }
    // Order of one sender is kept: its cmid counter increases with seq.
    const order = rows.map((m) => Number(m.cmid.split('-')[1]));
    assert.deepEqual(order, [...order].sort((a, b) => a - b), `${conv_id}: a sender's messages keep their order`);
  }

  // Seq continues above everything stored before the crash.
  const w2 = await RawClient.authed(server.wsUrl, tokens.writer!);
  const maxBefore = Math.max(...[...ackedAtKill.values()].filter((a) => a.conv_id === 's:reader:writer').map((a) => a.seq));
  const r: any = await w2.request({ op: 'send', id: 'after', cmid: 'after-crash', conv_type: 'single', to: 'reader', type: 'text', content: { text: 'after' } });
  assert.equal(r.op, 'ok', JSON.stringify(r));
  assert.ok(r.data.seq > maxBefore, `new seq ${r.data.seq} must be above ${maxBefore}`);

  // A resend of an acked message after the crash returns its original ack.
  const [someCmid, someAck] = [...ackedAtKill].find(([, a]) => a.conv_id === 's:reader:writer')!;
  const again: any = await w2.request({ op: 'send', id: 'again', cmid: someCmid, conv_type: 'single', to: 'reader', type: 'text', content: { text: 'dup' } });
  assert.equal(again.data.seq, someAck.seq);
  assert.equal(again.data.duplicate, true);
  reader.close();
  w2.close();
}
