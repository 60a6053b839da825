import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as natsConnect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { RawClient } from '../helpers/raw-client.js';
import { OwnRedisServer } from '../helpers/redis-engine.js';
import { OwnNatsServer } from '../helpers/nats-engine.js';
import { startProcCluster, startRoleProc, type ClusterProc, type ProcCluster } from '../../../../scripts/proc-cluster.js';
import { Traffic, openMember, until, type Member, type Sent } from './fault-traffic.js';

/**
 * Faults under steady traffic on a cluster of processes (2 links, 2
 * dispatchers, 1 api) on its own redis-server and nats-server (this file
 * FLUSHALLs the one and restarts the other) and a fresh MariaDB database.
 * Six SDK clients, three on each link, send 1:1 and group messages at a
 * bounded rate through every fault. After each one: every acked message is
 * stored exactly once at its acked seq, stored seqs ascend, every recipient
 * got it (push or the SDK's gap fill) or finds it in its history, and lost =
 * acked − stored-of-acked is 0. One line per fault is printed.
 */
const WAIT = 60_000;
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
const partner = (u: string) => USERS[USERS.indexOf(u) ^ 1]!;
const GROUP = 'fg';
/** the links' per-connection send buffer bound (the smallest allowed: a slow consumer is found fast) */
const SEND_BUFFER = 65536;
const SLOW = ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7'];

describe('faults under steady traffic on a cluster of processes', { timeout: 420_000 }, () => {
  let redis: OwnRedisServer;
  let nats: OwnNatsServer;
  let cluster: ProcCluster;
  let apiUrl: string;
  const members: Member[] = [];
  /** clients outside the traffic (closed in `after` too) */
  const extras: Member[] = [];
  const raws: RawClient[] = [];
  let urls: string[];
  let lateToken: string;
  let traffic: Traffic;
  const table: string[] = [];

  const proc = (id: string) => cluster.procs.filter((p) => p.id === id).at(-1)!;
  const alive = (p: ClusterProc) => p.proc.exitCode === null && p.proc.signalCode === null;
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${apiUrl}${path}`, {
      method, headers: { authorization: `Bearer ${cluster.defaultApp!.api_key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const waitDispatchers = async (want: string) => {
    for (const l of cluster.procs.filter((p) => p.role === 'link' && alive(p))) {
      await until(`${l.id} to see ${want}`, async () => {
        const r = await fetch(`${l.addresses.http}/readyz`, { signal: AbortSignal.timeout(5000) }).then((x) => x.json() as Promise<{ dispatchers?: string[] }>).catch(() => ({ dispatchers: [] as string[] }));
        return [...(r.dispatchers ?? [])].sort().join() === want;
      }, WAIT);
    }
  };

  before(async () => {
    redis = await OwnRedisServer.start();
    nats = await OwnNatsServer.start();
    cluster = await startProcCluster({
      links: 2, dispatchers: 2, apis: 1, redisUrl: redis.url, natsUrl: nats.url, dataDir: mkdtempSync(join(tmpdir(), 'parley-faults-')),
      extraArgs: ['--api-rate-per-sec', '100000', '--rate-per-sec', '10000', '--rate-burst', '10000', '--send-buffer-bytes', String(SEND_BUFFER)],
    });
    apiUrl = proc('api-1').addresses.http!;
    await waitDispatchers('dispatch-1,dispatch-2');
    urls = cluster.procs.filter((p) => p.role === 'link').map((p) => p.addresses.ws!);
    for (const [i, u] of USERS.entries()) {
      await admin('POST', '/v1/admin/users', { user_id: u, name: u });
      const { token } = await admin('POST', `/v1/admin/users/${u}/tokens`, {});
      // u0, u2, u4 on link-1; u1, u3, u5 on link-2: every pair spans both links, and each link's sessions spread over both dispatchers.
      members.push(await openMember(u, token, urls, i % 2));
    }
    await admin('POST', '/v1/admin/users', { user_id: 'late', name: 'late' });
    lateToken = (await admin('POST', '/v1/admin/users/late/tokens', {})).token;
    await admin('POST', '/v1/admin/groups', { group_id: GROUP, name: 'Faults', owner: USERS[0], members: USERS.slice(1) });
    traffic = new Traffic(members, partner, GROUP);
  });

  after(async () => {
    traffic?.stop();
    for (const r of raws) r.ws.terminate();
    await Promise.allSettled([...members, ...extras].map((m) => m.client.close()));
    if (cluster) await cluster.clean().catch((err) => console.error('cluster clean failed', err));
    await redis?.stop();
    await nats?.destroy();
    if (table.length) console.log(['fault                          sent  acked stored lost delivered recovered', ...table].join('\n'));
  });

  /** Everything a member can read of a conversation, stored, through the api's diagnostics route (seq order). */
  const storedOf = async (conv: string, reader: string, prefix: string) => {
    const out: Array<{ seq: number; cmid: string; sender: string }> = [];
    let afterSeq = 0;
    for (let page = 0; page < 100; page++) {
      const r = await admin('GET', `/v1/admin/diagnostics/conversations/${encodeURIComponent(conv)}/stored?user_id=${reader}&after=${afterSeq}&limit=1000&cmid_prefix=${prefix}`);
      out.push(...r.messages);
      if (r.next_after === null) return out;
      afterSeq = r.next_after;
    }
    throw new Error('more than 100 pages');
  };

  /** Runs traffic through one fault and checks the phase's messages; returns the table counts. */
  const underTraffic = async (phase: string, fault: () => Promise<void>, opts: { pushOnly?: boolean } = {}) => {
    traffic.start(phase);
    await until(`${phase}: acks before the fault`, () => traffic.acked(phase).length >= 12, WAIT);
    await fault();
    const before = traffic.acked(phase).length;
    await until(`${phase}: acks after the fault`, () => traffic.acked(phase).length >= before + 12, 90_000);
    traffic.stop();
    await until(`${phase}: every send settled`, () => traffic.of(phase).every((s) => s.settled), 90_000);
    const sent = traffic.of(phase);
    const acked = sent.filter((s) => s.ack);

    // Stored exactly once, at the acked seq, seqs ascending (read as the first recipient).
    const convs = new Map<string, Sent[]>();
    for (const s of acked) convs.set(s.conv_id, [...(convs.get(s.conv_id) ?? []), s]);
    let stored = 0;
    let lost = 0;
    for (const [conv, list] of convs) {
      const rows = await storedOf(conv, list[0]!.from, `${phase}-`);
      stored += rows.length;
      for (let i = 1; i < rows.length; i++) assert.ok(rows[i]!.seq > rows[i - 1]!.seq, `${phase} ${conv}: stored seqs ascend`);
      for (const s of list) {
        const hits = rows.filter((r) => r.cmid === s.cmid);
        if (hits.length === 0) lost++;
        assert.ok(hits.length <= 1, `${phase}: ${s.cmid} stored ${hits.length} times`);
        if (hits[0]) assert.equal(hits[0].seq, s.ack!.seq, `${phase}: ${s.cmid} stored at its acked seq`);
      }
    }

    // Delivered (push or gap fill), or else recoverable from the recipient's history.
    const owed = (m: Member) => acked.filter((s) => s.recipients.includes(m.user));
    await until(`${phase}: deliveries`, () => members.every((m) => owed(m).every((s) => m.got.has(s.ack!.msg_id))), 30_000).catch(() => {});
    let delivered = 0;
    let recovered = 0;
    const missing: string[] = [];
    for (const m of members) {
      const notGot = owed(m).filter((s) => !m.got.has(s.ack!.msg_id));
      delivered += owed(m).length - notGot.length;
      if (opts.pushOnly) missing.push(...notGot.map((s) => `${m.user} never got ${s.cmid} pushed`));
      for (const s of notGot) {
        const h = await m.client.history(s.conv_id, { after: s.ack!.seq - 1, limit: 1 });
        if (h.messages.some((x) => x.msg_id === s.ack!.msg_id)) recovered++;
        else missing.push(`${m.user} cannot read ${s.cmid}`);
      }
    }
    for (const m of members) assert.deepEqual(m.orderErrors, [], `${m.user}: SDK events in seq order, once`);
    const line = `${phase.padEnd(30)} ${String(sent.length).padStart(5)} ${String(acked.length).padStart(6)} ${String(stored).padStart(6)} ${String(lost).padStart(4)} ${String(delivered).padStart(9)} ${String(recovered).padStart(9)}`;
    table.push(line);
    console.log(line);
    assert.equal(lost, 0, `${phase}: acked but not stored`);
    assert.deepEqual(missing.slice(0, 10), [], `${phase}: every acked message reached its recipients`);
    return { sent: sent.length, acked: acked.length, stored, lost };
  };

  it('a link and a dispatcher partitioned (their TCP connection cut for 3 s, both up): no acked message lost, and the other dispatcher\'s sessions on that link keep their pushes', async () => {
    const linkPid = proc('link-1').proc.pid!;
    const dport = proc('dispatch-1').addresses.dispatch!.split(':').at(-1)!;
    let cuts = 0;
    // ss -K destroys the socket (the kernel sends a reset): both processes see the connection drop; the link re-dials and is cut again.
    const established = () => execFileSync('ss', ['-tnpH', 'state', 'established', `( dport = :${dport} )`], { encoding: 'utf8' })
      .split('\n').filter((x) => x.includes(`pid=${linkPid},`)).map((l) => l.trim().split(/\s+/)[2]!.split(':').at(-1)!);
    /** Cut link-1's connection to dispatch-1 (waiting for it to be there first), again whenever it is back, for `ms`. */
    const cut = async (ms: number) => {
      await until('link-1 connected to dispatch-1', () => established().length > 0, WAIT);
      let n = 0;
      const end = Date.now() + ms;
      while (Date.now() < end) {
        for (const local of established()) {
          execFileSync('ss', ['-K', `( sport = :${local} and dport = :${dport} ) or ( sport = :${dport} and dport = :${local} )`], { stdio: 'ignore' });
          n++;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      await waitDispatchers('dispatch-1,dispatch-2');
      cuts += n;
      return n;
    };
    await underTraffic('partition link-1/dispatch-1', async () => {
      await cut(3000);
      // The first cut moved every session dispatch-1 held on link-1 to dispatch-2; the second finds dispatch-1
      // holding none there, so it must leave every entry of link-1 alone (dispatch-2's sessions of a live link).
      await new Promise((r) => setTimeout(r, 1000));
      assert.ok((await cut(1000)) >= 1, 'the second cut found a connection to cut');
      // A login on link-1 after the cuts keeps the link's index in Redis non-empty, so nothing in the location
      // repairs entries a dispatcher wrongly removed (the heartbeat repair acts on an empty index only).
      extras.push(await openMember('late', lateToken, urls, 0));
    }, { pushOnly: true });
    assert.ok(cuts >= 2, `the connection was cut (${cuts} times)`);
    assert.ok(alive(proc('link-1')) && alive(proc('dispatch-1')), 'both stayed up');
  });

  it('the api killed with -9 (and started again): links and dispatchers go on', async () => {
    await underTraffic('kill -9 api', async () => {
      const api = proc('api-1');
      api.proc.kill('SIGKILL');
      await api.exited;
      await new Promise((r) => setTimeout(r, 1000));
      const port = new URL(api.addresses.http!).port;
      cluster.procs.push(await startRoleProc('api', 'api-1', [...cluster.commonArgs, '--data-dir', join(cluster.dataDir, 'api-1b'), '--http-port', port], 90_000));
    });
  });

  it('kill -9 of a dispatcher: its sessions move to the other one (and it comes back)', async () => {
    await underTraffic('kill -9 dispatch-1', async () => {
      const d1 = proc('dispatch-1');
      d1.proc.kill('SIGKILL');
      await d1.exited;
      await waitDispatchers('dispatch-2');
      cluster.procs.push(await startRoleProc('dispatch', 'dispatch-1', [...cluster.commonArgs, '--data-dir', join(cluster.dataDir, 'dispatch-1b')], 90_000));
      await waitDispatchers('dispatch-1,dispatch-2');
    });
  });

  it('Redis FLUSHALL (the cluster\'s own redis-server): seqs continue above every one handed out, no acked message lost', async () => {
    const seqsBefore = new Map<string, number>();
    for (const s of traffic.sent) if (s.ack) seqsBefore.set(s.conv_id, Math.max(seqsBefore.get(s.conv_id) ?? 0, s.ack.seq));
    await underTraffic('redis FLUSHALL', async () => {
      const r = new Redis(redis.url, { maxRetriesPerRequest: 2 });
      try {
        assert.equal(await r.flushall(), 'OK');
      } finally {
        r.disconnect();
      }
    });
    for (const s of traffic.acked('redis FLUSHALL')) assert.ok(s.ack!.seq > (seqsBefore.get(s.conv_id) ?? 0), `${s.cmid}: seq ${s.ack!.seq} above the last before the flush`);
  });

  it('NATS restarted (own nats-server, its store kept): no acked message lost; the stream holds the acked messages\' events', async () => {
    await underTraffic('nats restart', async () => {
      await nats.stop();
      await new Promise((r) => setTimeout(r, 1000));
      await nats.start();
    });
    // Events the after-commit step could not publish while NATS was down wait in the store's outbox; the relay's
    // sweep (every 5 s, rows older than 5 s) publishes them once NATS is back.
    const nc = await natsConnect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const created = new Map<string, number>();
      let next = 1;
      const read = async () => {
        const last = (await jsm.streams.info(cluster.natsStream)).state.last_seq;
        for (; next <= last; next++) {
          const m = await jsm.streams.getMessage(cluster.natsStream, { seq: next }).catch(() => null);
          const e = m?.json<{ type: string; data: { message?: { cmid?: string } } }>();
          const cmid = e?.type === 'message.created' ? e.data.message?.cmid : undefined;
          if (cmid) created.set(cmid, (created.get(cmid) ?? 0) + 1);
        }
      };
      const acked = traffic.acked('nats restart');
      await until('every acked message\'s event in the stream', async () => (await read(), acked.every((s) => created.has(s.cmid))), 60_000).catch(() => {});
      const without = acked.filter((s) => !created.has(s.cmid)).map((s) => s.cmid);
      console.log(`nats restart: ${acked.length - without.length} of ${acked.length} acked messages have their message.created in the stream`);
      assert.deepEqual(without, [], 'every acked message\'s event is in the stream');
      assert.deepEqual(acked.filter((s) => created.get(s.cmid)! > 1).map((s) => s.cmid), [], 'each event once in the stream');
    } finally {
      await nc.close();
    }
  });

  it('slow consumers across processes: clients that never read are cut off at the link\'s buffer bound; the link\'s and the dispatchers\' memory stays bounded', async () => {
    const rss = (p: ClusterProc) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.proc.pid}/status`, 'utf8'))![1]) * 1024;
    const watched = ['link-2', 'dispatch-1', 'dispatch-2'].map(proc);
    const link2 = proc('link-2').addresses.ws!;
    const tokens: Record<string, string> = {};
    for (const u of ['feeder', ...SLOW]) {
      await admin('POST', '/v1/admin/users', { user_id: u, name: u });
      tokens[u] = (await admin('POST', `/v1/admin/users/${u}/tokens`, {})).token;
    }
    await admin('POST', '/v1/admin/groups', { group_id: 'slowg', name: 'Slow', owner: 'feeder', members: SLOW });
    for (const u of SLOW) {
      const c = await RawClient.authed(link2, tokens[u]!);
      raws.push(c);
      c.ws.pause(); // never reads again: the kernel buffers fill, then the link's
    }
    const feeder = await openMember('feeder', tokens.feeder!, [link2], 0);
    extras.push(feeder);
    const online = async () => (await feeder.client.presence(SLOW)).users.filter((p) => p.online).length;
    assert.equal(await online(), SLOW.length, 'every slow client is online at first');
    const before = watched.map(rss);
    // 5000-character group messages of 15 KB (UTF-8 '€'; content is bounded at 16 KiB), 15 KB more for each slow
    // client. On loopback the kernel's socket buffers take some 20-25 MiB per paused connection before the link's
    // own buffer (SEND_BUFFER) fills and the link closes it; 4000 messages would be 460 MiB, most of it queued in
    // link-2 if nothing bounded it.
    const text = '€'.repeat(5000);
    const bytes = Buffer.byteLength(JSON.stringify({ text }));
    let sent = 0;
    for (let batch = 0; batch < 200 && (await online()) > 0; batch++) {
      await Promise.all(Array.from({ length: 20 }, () => feeder.client.send({ conv_type: 'group', to: 'slowg', type: 'text', content: { text } })));
      sent += 20;
    }
    await until('every slow client cut off (offline)', async () => (await online()) === 0, WAIT);
    const after = watched.map(rss);
    const growth = watched.map((p, i) => `${p.id} ${((after[i]! - before[i]!) / 2 ** 20).toFixed(1)} MiB`);
    console.log(`slow consumers: ${SLOW.length} cut off after ${sent} group messages of ${(bytes / 1024).toFixed(0)} KB (${(sent * bytes * SLOW.length / 2 ** 20).toFixed(0)} MiB of pushes); RSS growth: ${growth.join(', ')}`);
    assert.ok(sent < 4000, `the slow clients were cut off before the feeder ran out (${sent} sent)`);
    for (const [i, p] of watched.entries()) assert.ok(after[i]! - before[i]! < 96 * 2 ** 20, `${p.id} grew ${growth[i]}`);
    assert.ok(alive(proc('link-2')), 'the link stays up');
  });

  it('kill -9 of a link: its clients reconnect to the other link and sync', async () => {
    const onLink1 = members.filter((_, i) => i % 2 === 0);
    const before = onLink1.map((m) => m.reconnects);
    await underTraffic('kill -9 link-1', async () => {
      const l1 = proc('link-1');
      l1.proc.kill('SIGKILL');
      await l1.exited;
      await until('link-1\'s clients back online', () => onLink1.every((m, i) => m.reconnects > before[i]! && m.client.state === 'open'), WAIT);
    });
  });
});
