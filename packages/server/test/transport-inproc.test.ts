import { it } from 'node:test';
import assert from 'node:assert/strict';
import { InProcTransport } from '../src/transport/inproc-transport.js';
import { runTransportContract, session, waitUntil } from './contract/transport-contract.js';

runTransportContract('in-process', async () => {
  const t = new InProcTransport();
  const links: { close(): Promise<void> }[] = [];
  return {
    dispatch: t.dispatchSide,
    link: async (id) => {
      const l = t.linkSide(id);
      links.push(l);
      return l;
    },
    close: async () => {
      await Promise.all(links.map((l) => l.close()));
      await t.dispatchSide.close();
    },
  };
});

it('in-process: a throwing handler is reported and does not stop later messages', async () => {
  const errors: unknown[] = [];
  const t = new InProcTransport({ onHandlerError: (e) => errors.push(e) });
  const seen: string[] = [];
  t.dispatchSide.onUp((m) => {
    if (m.session.conn_id === 'bad') throw new Error('boom');
    seen.push(m.session.conn_id);
  });
  const a = t.linkSide('A');
  a.up({ kind: 'open', session: session('A', 'bad') });
  a.up({ kind: 'open', session: session('A', 'good') });
  await waitUntil(() => seen.length === 1, 'the second message');
  assert.deepEqual(seen, ['good']);
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as Error).message, 'boom');
});

it('in-process: a link id can be attached once at a time', async () => {
  const t = new InProcTransport();
  const a = t.linkSide('A');
  assert.throws(() => t.linkSide('A'), /already attached/);
  await a.close();
  const again = t.linkSide('A');
  await again.close();
});
