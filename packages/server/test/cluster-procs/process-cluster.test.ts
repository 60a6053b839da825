import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerFrame } from '@parley/protocol';
import { RawClient } from '../helpers/raw-client.js';
import { startProcCluster, startRoleProc, type ProcCluster } from '../../../../scripts/proc-cluster.js';
import { startMariaDbPair, type MariaDbPair } from '../helpers/mariadb-harness.js';
import { openMember } from './fault-traffic.js';

/**
 * Parley as separate processes: 2 links, 2 dispatchers and 1 api as child
 * processes (`parley start --role …`) on the machine's MariaDB (a fresh
 * database), Redis (a fresh prefix) and NATS (a fresh stream and subject
 * prefix), the links talking to the dispatchers and the api over TCP. The
 * cluster is started once for the file; every wait is bounded by a ceiling.
 */
const WAIT = 60_000;

async function until<T>(what: string, probe: () => T | undefined | false, ceilingMs = WAIT): Promise<T> {
  const deadline = Date.now() + ceilingMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Msg = { msg_id: string; conv_id: string; seq: number; sender: string; type: string; content: { text?: string } };
const msgs = (c: RawClient, conv: string): Msg[] =>
  c.frames.filter((f) => f.op === 'msg' && (f as unknown as { msg: Msg }).msg.conv_id === conv && (f as unknown as { msg: Msg }).msg.type === 'text')
    .map((f) => (f as unknown as { msg: Msg }).msg);

describe('a cluster of separate processes over TCP on MariaDB, Redis and NATS', { timeout: 240_000 }, () => {
  let cluster: ProcCluster;
  let stopped = false;
  const clients: RawClient[] = [];
  let link1: string;
  let link2: string;
  let apiUrl: string;

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${apiUrl}${path}`, {
      method, headers: { authorization: `Bearer ${cluster.defaultApp!.api_key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const tokenOf = async (id: string): Promise<string> => {
    await admin('POST', '/v1/admin/users', { user_id: id, name: id });
    return (await admin('POST', `/v1/admin/users/${id}/tokens`, {})).token;
  };
  const connect = async (url: string, token: string, platform = 'web'): Promise<RawClient> => {
    const c = await RawClient.open(url);
    clients.push(c);
    const ok = await c.request({ op: 'auth', id: 'auth', token, platform }, 30_000);
    assert.equal(ok.op, 'ok', JSON.stringify(ok));
    return c;
  };
  const send = (c: RawClient, id: string, convType: 'single' | 'group', to: string, text: string) =>
    c.request({ op: 'send', id, cmid: id, conv_type: convType, to, type: 'text', content: { text } }, 30_000);

  // The store is a MariaDB primary with a GTID replica of its own (history pages and search read there).
  let pair: MariaDbPair | undefined;
  let db: { name: string; primaryUrl: string; replicaUrl: string };

  before(async () => {
    pair = await startMariaDbPair();
    db = await pair.createDatabase('parley_c');
    cluster = await startProcCluster({
      links: 2, dispatchers: 2, apis: 1, dataDir: mkdtempSync(join(tmpdir(), 'parley-procs-')), database: db,
      extraArgs: ['--api-rate-per-sec', '100000', '--rate-per-sec', '10000', '--rate-burst', '10000'],
    });
    const links = cluster.procs.filter((p) => p.role === 'link');
    link1 = links[0]!.addresses.ws!;
    link2 = links[1]!.addresses.ws!;
    apiUrl = cluster.procs.find((p) => p.role === 'api')!.addresses.http!;
    assert.ok(cluster.defaultApp, 'the api printed the default app it created');
    // Both links see both dispatchers before the first session opens, so sessions spread over both.
    for (const l of links) {
      const deadline = Date.now() + WAIT;
      for (;;) {
        const r = (await (await fetch(`${l.addresses.http}/readyz`)).json()) as { dispatchers: string[] };
        if (r.dispatchers.length === 2) break;
        if (Date.now() > deadline) throw new Error(`${l.id} sees ${JSON.stringify(r.dispatchers)}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  });

  after(async () => {
    for (const c of clients) c.close();
    if (cluster && !stopped) await cluster.stop().catch(() => []);
    await cluster?.clean();
    await pair?.stop();
  });

  it('users on different links chat 1:1, each message once and in order', async () => {
    const ann = await connect(link1, await tokenOf('ann'));
    const ben = await connect(link2, await tokenOf('ben'));
    const acks: number[] = [];
    for (let i = 0; i < 10; i++) {
      const a = await send(i % 2 ? ben : ann, `dm-${i}`, 'single', i % 2 ? 'ann' : 'ben', `dm ${i}`);
      assert.equal(a.op, 'ok', JSON.stringify(a));
      acks.push((a as unknown as { data: { seq: number } }).data.seq);
    }
    const conv = 's:ann:ben';
    // Each side receives the other's five messages (not its own: those were acked).
    for (const [c, from] of [[ann, 'ben'], [ben, 'ann']] as const) {
      const got = await until(`${from}'s messages`, () => (msgs(c, conv).length >= 5 ? msgs(c, conv) : undefined));
      assert.deepEqual(got.map((m) => m.sender), Array(5).fill(from));
      assert.deepEqual(got.map((m) => m.seq), acks.filter((_, i) => (i % 2 === 1) === (from === 'ben')));
    }
  });

  it('a 200-member group across both links: every member gets every message once, in seq order, and history over HTTP and on the replica matches', async () => {
    const N = 200;
    const ids = Array.from({ length: N }, (_, i) => `m${String(i).padStart(3, '0')}`);
    const tokens: Record<string, string> = {};
    for (let i = 0; i < N; i += 20) {
      await Promise.all(ids.slice(i, i + 20).map(async (id) => (tokens[id] = await tokenOf(id))));
    }
    await admin('POST', '/v1/admin/groups', { group_id: 'big', name: 'Big', owner: ids[0], members: ids.slice(1) });
    const members: RawClient[] = [];
    for (let i = 0; i < N; i += 20) {
      members.push(...(await Promise.all(ids.slice(i, i + 20).map((id, j) => connect((i + j) % 2 ? link2 : link1, tokens[id]!)))));
    }
    // Senders on both links (so on both dispatchers), one after the other: 40 messages.
    const senders = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => members[i]!);
    const acked: Array<{ seq: number; msg_id: string; from: number }> = [];
    for (let k = 0; k < 40; k++) {
      const s = k % senders.length;
      const a = await send(senders[s]!, `g-${k}`, 'group', 'big', `group ${k}`);
      assert.equal(a.op, 'ok', JSON.stringify(a));
      const d = (a as unknown as { data: { seq: number; msg_id: string } }).data;
      acked.push({ seq: d.seq, msg_id: d.msg_id, from: s });
    }
    assert.equal(new Set(acked.map((a) => a.seq)).size, 40, 'every message has its own seq');
    for (const [i, c] of members.entries()) {
      const mine = senders.indexOf(c);
      const expected = acked.filter((a) => a.from !== mine);
      const got = await until(`member ${ids[i]}'s ${expected.length} messages`, () => {
        const g = msgs(c, 'g:big');
        return g.length >= expected.length ? g : undefined;
      });
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(msgs(c, 'g:big').map((m) => m.msg_id), expected.map((a) => a.msg_id), `member ${ids[i]}: once each, in seq order`);
      assert.deepEqual(got.map((m) => m.seq), expected.map((a) => a.seq));
    }
    // History over HTTP (a member's token, through the api process) has the same messages.
    const res = await fetch(`${apiUrl}/v1/conversations/g:big/messages?limit=100`, { headers: { authorization: `Bearer ${tokens[ids[150]!]}` } });
    assert.equal(res.status, 200);
    const page = (await res.json()) as { messages: Msg[] };
    const texts = page.messages.filter((m) => m.type === 'text').sort((a, b) => a.seq - b.seq);
    assert.deepEqual(texts.map((m) => [m.seq, m.msg_id]), acked.map((a) => [a.seq, a.msg_id]));
    // The replica holds the same history: read it there directly, once it has applied the primary's log.
    await pair!.waitReplicaCaughtUp(30);
    const rc = await pair!.replicaRoot();
    try {
      const [rows] = await rc.query(`SELECT seq, msg_id FROM \`${db.name}\`.messages WHERE conv_id = 'g:big' AND type = 'text' ORDER BY seq`);
      assert.deepEqual((rows as Array<{ seq: number; msg_id: string }>).map((r) => [Number(r.seq), r.msg_id]), acked.map((a) => [a.seq, a.msg_id]), 'the replica has the same messages');
    } finally {
      await rc.end();
    }
  });

  it('a login on link 2 kicks the same platform\'s connection on link 1; presence reaches a watcher on the other link', async () => {
    const kimToken = await tokenOf('kim');
    const watcher = await connect(link2, await tokenOf('wes'));
    const w = await watcher.request({ op: 'presence', id: 'p1', user_ids: ['kim'] }, 30_000);
    assert.equal(w.op, 'ok', JSON.stringify(w));
    const first = await connect(link1, kimToken, 'ios');
    const online = (await watcher.next((f) => f.op === 'presence' && (f as { user_id?: string }).user_id === 'kim', WAIT)) as ServerFrame & { online: boolean };
    assert.equal(online.online, true, 'kim online, pushed from the dispatcher of link 1 to the watcher on link 2');
    const second = await connect(link2, kimToken, 'ios');
    const kicked = await first.next((f) => f.op === 'kicked', WAIT);
    assert.deepEqual(kicked, { op: 'kicked', reason: 'replaced' });
    assert.equal((await first.waitClose(WAIT)).code, 4002);
    // The new login stays usable.
    const ok = await second.request({ op: 'presence', id: 'p2', user_ids: ['kim'] }, 30_000);
    assert.equal(ok.op, 'ok', JSON.stringify(ok));
  });

  it('an HTTP send from the api process is pushed to a client on a link (the api\'s push-only side)', async () => {
    const cat = await connect(link1, await tokenOf('cat'));
    const a = await admin('POST', '/v1/admin/messages', { from: 'ann', conv_type: 'single', to: 'cat', type: 'text', content: { text: 'from the api' } });
    const got = await until('the HTTP-sent message on link 1', () => msgs(cat, 's:ann:cat')[0]);
    assert.equal(got.msg_id, a.msg_id);
    assert.equal(got.content.text, 'from the api');
  });

  it('sends for one group reaching both dispatcher processes at once: every member\'s SDK events come once each, in seq order, and history has every acked message', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `o${i}`);
    const tokens: Record<string, string> = {};
    for (const id of ids) tokens[id] = await tokenOf(id);
    await admin('POST', '/v1/admin/groups', { group_id: 'ord', name: 'Order', owner: ids[0], members: ids.slice(1) });
    // Alternating links; each link binds its consecutive sessions round-robin, so both dispatchers get senders.
    const members = [];
    for (const [i, id] of ids.entries()) members.push(await openMember(id, tokens[id]!, [link1, link2], i % 2));
    try {
      const K = 10;
      const acks = await Promise.all(members.flatMap((m) => Array.from({ length: K }, (_, k) =>
        m.client.send({ conv_type: 'group', to: 'ord', type: 'text', content: { text: `${m.user} ${k}` } }).then((a) => ({ ...a, from: m.user })))));
      assert.equal(new Set(acks.map((a) => a.seq)).size, ids.length * K, 'every message has its own seq');
      for (const m of members) {
        const owed = acks.filter((a) => a.from !== m.user).map((a) => a.msg_id);
        await until(`${m.user}'s ${owed.length} messages`, () => owed.every((id) => m.got.has(id))).catch((err: Error) => {
          const missing = acks.filter((a) => a.from !== m.user && !m.got.has(a.msg_id)).map((a) => a.seq).sort((a, b) => a - b);
          throw new Error(`${err.message}: seqs never emitted by the SDK ${JSON.stringify(missing)}`);
        });
        assert.deepEqual(m.orderErrors, [], `${m.user}: SDK events in seq order, each once`);
      }
      // History (through a link and a dispatcher, from the store) holds every acked message at its seq, in order, nothing else.
      // (Pages may be read on the replica: read again until it has applied the last commits.)
      let texts: Array<{ seq: number; msg_id: string }> = [];
      for (let round = 0; round < 100 && texts.length < acks.length; round++) {
        if (round) await new Promise((r) => setTimeout(r, 100));
        texts = (await members[5]!.client.history('g:ord', { after: 0, limit: 100 })).messages.filter((x) => x.type === 'text').sort((a, b) => a.seq - b.seq);
      }
      assert.deepEqual(texts.map((x) => [x.seq, x.msg_id]), [...acks].sort((a, b) => a.seq - b.seq).map((a) => [a.seq, a.msg_id]));
    } finally {
      await Promise.allSettled(members.map((m) => m.client.close()));
    }
  });

  it('a dispatcher stopped with SIGTERM leaves without its clients noticing: their sessions move to the other one', async () => {
    // Two sessions opened one after the other on each link: round-robin puts one of each pair on each dispatcher.
    const [dee, fay] = [await connect(link1, await tokenOf('dee')), await connect(link1, await tokenOf('fay'))];
    const [eve, gus] = [await connect(link2, await tokenOf('eve')), await connect(link2, await tokenOf('gus'))];
    const d1 = cluster.procs.find((p) => p.id === 'dispatch-1')!;
    d1.proc.kill('SIGTERM');
    assert.equal(await d1.exited, 0, d1.output().slice(-2000));
    for (const l of cluster.procs.filter((p) => p.role === 'link')) {
      const deadline = Date.now() + WAIT;
      for (;;) {
        const r = (await (await fetch(`${l.addresses.http}/readyz`)).json()) as { dispatchers: string[] };
        if (r.dispatchers.join() === 'dispatch-2') break;
        if (Date.now() > deadline) throw new Error(`${l.id} still sees ${JSON.stringify(r.dispatchers)}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    // The same connections, never closed: every send is answered and delivered through dispatch-2.
    const pairs = [[dee, 'dee', eve, 'eve'], [fay, 'fay', gus, 'gus']] as const;
    for (const [a, an, b, bn] of pairs) {
      for (let i = 0; i < 4; i++) {
        const r = await send(i % 2 ? b : a, `after-${an}-${i}`, 'single', i % 2 ? an : bn, `after ${i}`);
        assert.equal(r.op, 'ok', JSON.stringify(r));
      }
      const conv = `s:${an}:${bn}`;
      await until(`${bn} gets ${an}'s two`, () => msgs(b, conv).length === 2);
      await until(`${an} gets ${bn}'s two`, () => msgs(a, conv).length === 2);
    }
    for (const c of [dee, fay, eve, gus]) assert.equal(c.closed, null, 'no client connection was closed');
  });

  it('a dispatcher started later is found without restarts; kill -9 of the other moves every session to it', async () => {
    const waitDispatchers = async (want: string) => {
      for (const l of cluster.procs.filter((p) => p.role === 'link')) {
        const deadline = Date.now() + WAIT;
        for (;;) {
          const r = (await (await fetch(`${l.addresses.http}/readyz`)).json()) as { dispatchers: string[] };
          if ([...r.dispatchers].sort().join() === want) break;
          if (Date.now() > deadline) throw new Error(`${l.id} sees ${JSON.stringify(r.dispatchers)}, not ${want}`);
          await new Promise((res) => setTimeout(res, 100));
        }
      }
    };
    const hal = await connect(link1, await tokenOf('hal'));
    const ivy = await connect(link2, await tokenOf('ivy'));
    // dispatch-1 comes back (same id, a new boot id): the links find it through the registry.
    const again = await startRoleProc('dispatch', 'dispatch-1', [...cluster.commonArgs, '--data-dir', join(cluster.dataDir, 'dispatch-1b')], 90_000);
    cluster.procs.push(again);
    await waitDispatchers('dispatch-1,dispatch-2');
    const d2 = cluster.procs.find((p) => p.id === 'dispatch-2')!;
    d2.proc.kill('SIGKILL');
    await d2.exited;
    await waitDispatchers('dispatch-1');
    // Every session (all were on dispatch-2) was re-opened on dispatch-1: sends are answered and pushed.
    for (let i = 0; i < 4; i++) {
      const r = await send(i % 2 ? ivy : hal, `k9-${i}`, 'single', i % 2 ? 'hal' : 'ivy', `after kill ${i}`);
      assert.equal(r.op, 'ok', JSON.stringify(r));
    }
    await until('ivy gets hal\'s two', () => msgs(ivy, 's:hal:ivy').length === 2);
    await until('hal gets ivy\'s two', () => msgs(hal, 's:hal:ivy').length === 2);
    assert.equal(hal.closed, null);
    assert.equal(ivy.closed, null);
  });

  it('SIGTERM of every process: each drains and exits 0', async () => {
    for (const c of clients) c.close();
    const codes = await cluster.stop();
    stopped = true;
    // Both lives of dispatch-1 (SIGTERMed above, and now), and every other process exit 0; dispatch-2 was killed with -9 above (no code).
    const outcome = codes.map((c) => `${c.id}:${c.code}`).sort();
    const tails = cluster.procs.filter((p) => p.proc.exitCode !== 0).map((p) => `${p.id}: ${p.output().slice(-1500)}`).join('\n');
    assert.deepEqual(outcome, ['api-1:0', 'dispatch-1:0', 'dispatch-1:0', 'dispatch-2:null', 'link-1:0', 'link-2:0'], tails);
  });
});
