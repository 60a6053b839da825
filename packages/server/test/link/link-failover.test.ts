import { it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateSigningKeys } from '../../src/auth/keys.js';
import { TokenIssuer } from '../../src/auth/token-issuer.js';
import { TokenVerifier } from '../../src/auth/token-verifier.js';
import { LinkServer } from '../../src/link/link-server.js';
import { InProcTransport } from '../../src/transport/inproc-transport.js';
import type { DispatchSide, LinkSide, Upstream } from '../../src/transport/transport.js';
import { waitUntil, within, wsClient } from './helpers.js';

const W = 20_000;

/** Records what comes up; answers the frames whose id `answer` accepts. */
function dispatcher(side: DispatchSide, answer: (id: unknown) => boolean) {
  const seen: Upstream[] = [];
  side.onUp((m) => {
    seen.push(m);
    if (m.kind === 'frame' && 'id' in m.frame && m.frame.id !== undefined && answer(m.frame.id)) {
      side.down({ kind: 'send', link_id: m.session.link_id, conn_id: m.session.conn_id, payload: JSON.stringify({ op: 'ok', id: m.frame.id, data: { by: seen.length } }) });
    }
  });
  return seen;
}

/** A LinkServer on `transport` with one authenticated WebSocket client (alice); everything is closed afterwards. */
async function withClient(transport: LinkSide, cleanup: () => Promise<void>, body: (c: Awaited<ReturnType<typeof wsClient>>, connId: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'parley-failover-'));
  const keys = await loadOrCreateSigningKeys(dir);
  const issuer = new TokenIssuer({ keys, ttlSec: 3600 });
  const link = new LinkServer({ transport, verifier: new TokenVerifier(keys.publicJwks) });
  const http = createServer();
  link.attachWebSocket(http, '/ws');
  http.listen(0, '127.0.0.1');
  await within(once(http, 'listening'), 'listen', W);
  const c = await wsClient((http.address() as { port: number }).port);
  try {
    c.send({ op: 'auth', id: 'a', token: (await issuer.issue('app1', 'alice')).token });
    const ok = await c.next('auth ok', W);
    assert.equal(ok.op, 'ok');
    await body(c, ok.data.conn_id);
  } finally {
    c.end();
    await link.close();
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
    await cleanup();
    await rm(dir, { recursive: true, force: true });
  }
}

it('link: when its dispatcher goes away, a session re-opens on another and re-sends only what was unanswered, in order', async () => {
  const t = new InProcTransport({ linkHeartbeatMs: 0 });
  const first = dispatcher(t.dispatchSide, (id) => id === 1); // answers only the first request
  const secondSide = t.addDispatchSide();
  const second = dispatcher(secondSide, () => true);
  await withClient(t.linkSide('L1'), () => secondSide.close(), async (c, connId) => {
    for (const id of [1, 2, 3]) c.send({ op: 'history', id, conv_id: 's:alice:bob', limit: 10 });
    c.send({ op: 'typing', conv_id: 's:alice:bob' }); // no id: fire-and-forget, never re-sent
    await waitUntil(() => first.length === 5, 'the frames on the first dispatcher', W);
    assert.equal((await c.next('answer 1', W)).id, 1);
    assert.equal(second.length, 0, 'the session is bound to the first dispatcher');

    await t.dispatchSide.close();
    await waitUntil(() => second.length === 3, 'the re-open and the unanswered frames on the second', W);
    assert.deepEqual(second.map((m) => [m.kind, m.session.conn_id, m.kind === 'frame' ? m.frame.op : null]), [
      ['open', connId, null], ['frame', connId, 'history'], ['frame', connId, 'history'],
    ]);
    assert.deepEqual(second.slice(1).map((m) => (m.kind === 'frame' && 'id' in m.frame ? m.frame.id : null)), [2, 3]);
    assert.deepEqual([(await c.next('answer 2', W)).id, (await c.next('answer 3', W)).id], [2, 3]);
    // Later frames go to the second dispatcher; the client never noticed.
    c.send({ op: 'history', id: 4, conv_id: 's:alice:bob', limit: 10 });
    assert.equal((await c.next('answer 4', W)).id, 4);
    assert.equal(c.isClosed(), false);
  });
});

it('link: a request the transport refuses for backpressure is answered unavailable at once, and not re-sent after a failover', async () => {
  const t = new InProcTransport({ linkHeartbeatMs: 0 });
  const first = dispatcher(t.dispatchSide, () => false); // answers nothing
  const secondSide = t.addDispatchSide();
  const second = dispatcher(secondSide, () => true);
  // The link side refuses request 2, as TcpLinkSide does when the queue to its dispatcher is full.
  const inner = t.linkSide('L1');
  const refusing: LinkSide = {
    linkId: inner.linkId,
    up: (m) => (m.kind === 'frame' && 'id' in m.frame && m.frame.id === 2 ? false : inner.up(m)),
    onDown: (h) => inner.onDown(h),
    onSessionsLost: (h) => inner.onSessionsLost(h),
    close: () => inner.close(),
  };
  await withClient(refusing, () => secondSide.close(), async (c) => {
    for (const id of [1, 2, 3]) c.send({ op: 'history', id, conv_id: 's:alice:bob', limit: 10 });
    const refused = await c.next('the refusal', W);
    assert.deepEqual([refused.op, refused.id, refused.code, refused.retryable], ['error', 2, 'unavailable', true]);
    await waitUntil(() => first.length === 3, 'open, 1 and 3 on the first dispatcher', W);
    await t.dispatchSide.close();
    await waitUntil(() => second.length === 3, 'the re-open and the unanswered frames on the second', W);
    assert.deepEqual(second.slice(1).map((m) => (m.kind === 'frame' && 'id' in m.frame ? m.frame.id : null)), [1, 3], 'the refused request is not re-sent');
    assert.deepEqual([(await c.next('answer 1', W)).id, (await c.next('answer 3', W)).id], [1, 3]);
    assert.equal(c.isClosed(), false);
  });
});
