import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient } from './helpers/raw-client.js';
import { startProcCluster, type ProcCluster } from '../../../scripts/proc-cluster.js';

/**
 * `--transport nats` (the seed's v1) end to end: 2 links, 2 dispatchers and
 * 1 api as processes (scripts/proc-cluster.ts, fresh database, Redis prefix,
 * stream and subject prefix), every link ↔ dispatch message through NATS
 * core. Users on different links chat; an HTTP send from the api (push-only)
 * reaches a link; SIGTERM of every process exits 0. Bounded waits only.
 */
const WAIT = 60_000;

async function until<T>(what: string, probe: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + WAIT;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Msg = { conv_id: string; seq: number; sender: string; type: string; content: { text?: string } };
const texts = (c: RawClient) => c.frames.filter((f) => f.op === 'msg').map((f) => (f as unknown as { msg: Msg }).msg).filter((m) => m.type === 'text');

describe('a cluster on --transport nats', { timeout: 240_000 }, () => {
  let cluster: ProcCluster;
  const clients: RawClient[] = [];
  let stopped = false;
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
  const login = async (url: string, id: string): Promise<RawClient> => {
    await admin('POST', '/v1/admin/users', { user_id: id, name: id });
    const { token } = await admin('POST', `/v1/admin/users/${id}/tokens`, {});
    const c = await RawClient.open(url);
    clients.push(c);
    const ok = await c.request({ op: 'auth', id: 'auth', token, platform: 'web' }, 30_000);
    assert.equal(ok.op, 'ok', JSON.stringify(ok));
    return c;
  };

  before(async () => {
    cluster = await startProcCluster({
      links: 2, dispatchers: 2, apis: 1, dataDir: mkdtempSync(join(tmpdir(), 'parley-nats-procs-')),
      extraArgs: ['--transport', 'nats', '--api-rate-per-sec', '100000'],
    });
  });
  after(async () => {
    for (const c of clients) c.close();
    if (cluster && !stopped) await cluster.stop().catch(() => {});
    await cluster?.clean();
  });

  it('users on different links chat through NATS; every dispatcher is heard by every link', async () => {
    const links = cluster.procs.filter((p) => p.role === 'link');
    apiUrl = cluster.procs.find((p) => p.role === 'api')!.addresses.http!;
    // on NATS no dispatcher or api listens for links: their banners name a subject, not a TCP address
    for (const p of cluster.procs.filter((x) => x.role !== 'link')) {
      assert.equal(p.addresses.dispatch ?? p.addresses.push, undefined, p.output());
    }
    assert.match(cluster.procs.find((p) => p.role === 'dispatch')!.output(), /nats +\S+\.t\.up\.dispatch-\d/);
    for (const l of links) {
      const deadline = Date.now() + WAIT;
      for (;;) {
        const r = (await (await fetch(`${l.addresses.http}/readyz`)).json()) as { dispatchers: string[] };
        if (r.dispatchers.length === 2) break;
        if (Date.now() > deadline) throw new Error(`${l.id} hears ${r.dispatchers.length} dispatchers`);
        await new Promise((res) => setTimeout(res, 200));
      }
    }
    const a = await login(links[0]!.addresses.ws!, 'na');
    const b = await login(links[1]!.addresses.ws!, 'nb');
    for (let i = 0; i < 5; i++) {
      const ack = await a.request({ op: 'send', id: `s${i}`, cmid: `s${i}`, conv_type: 'single', to: 'nb', type: 'text', content: { text: `hi ${i}` } }, 30_000);
      assert.equal(ack.op, 'ok', JSON.stringify(ack));
    }
    const got = await until('five messages on link 2', () => texts(b).length >= 5 && texts(b));
    assert.deepEqual(got.map((m) => m.content.text), [0, 1, 2, 3, 4].map((i) => `hi ${i}`));
    assert.deepEqual(got.map((m) => m.seq), [...got.map((m) => m.seq)].sort((x, y) => x - y));
    // The api publishes pushes only: an HTTP send reaches the recipient's link.
    await admin('POST', '/v1/admin/messages', { from: 'nb', conv_type: 'single', to: 'na', type: 'text', content: { text: 'from http' }, cmid: 'h1' });
    await until('the HTTP send on link 1', () => texts(a).some((m) => m.content.text === 'from http'));
  });

  it('every process exits 0 on SIGTERM', async () => {
    stopped = true;
    const codes = await cluster.stop();
    assert.deepEqual(codes.filter((c) => c.code !== 0), []);
    assert.equal(codes.length, 5);
  });
});
