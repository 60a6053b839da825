import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Packr } from 'msgpackr';
import { FrameReader, FrameTooLargeError, FrameWriter } from '../src/transport/tcp-framing.js';
import { TcpLinkSide } from '../src/transport/tcp-link-side.js';
import { session, waitUntil } from './contract/transport-contract.js';

/**
 * The link ↔ dispatch wire itself: 4-byte big-endian length + msgpack body,
 * several frames per socket write, split back whatever the chunking, and a
 * bounded send queue on the link's side too (upstream), not only on the
 * dispatcher's (transport-tcp.test.ts covers downstream).
 */
const WAIT = 20_000;
const packr = new Packr({ useRecords: false });

/** A connected socket pair on loopback. */
async function socketPair(): Promise<{ client: Socket; server: Socket; close: () => void }> {
  let srv!: Server;
  const accepted = new Promise<Socket>((resolve) => {
    srv = createServer((s) => resolve(s));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  const client = connect({ host: '127.0.0.1', port });
  client.on('error', () => {});
  const server = await accepted;
  server.on('error', () => {});
  return { client, server, close: () => { client.destroy(); server.destroy(); srv.close(); } };
}

describe('tcp framing (link ↔ dispatch)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('writes length-prefixed msgpack frames, everything sent in one turn in one socket write', async () => {
    const { client, server, close } = await socketPair();
    cleanups.push(close);
    const writes: Buffer[] = [];
    const realWrite = client.write.bind(client);
    client.write = ((data: Buffer, ...rest: never[]) => {
      writes.push(Buffer.from(data));
      return realWrite(data, ...rest);
    }) as typeof client.write;
    const w = new FrameWriter(client, 1 << 20);
    const frames = Array.from({ length: 10 }, (_, i) => ({ t: 'up', m: { n: i, text: 'x'.repeat(i * 10) } }));
    for (const f of frames) assert.equal(w.send(f), true);
    assert.equal(writes.length, 0, 'nothing is written synchronously');
    const got: unknown[] = [];
    const reader = new FrameReader(1 << 20, (f) => got.push(f));
    server.on('data', (chunk: Buffer) => reader.push(chunk));
    await waitUntil(() => got.length === frames.length, 'every frame read back', WAIT);
    assert.equal(writes.length, 1, 'ten frames, one write');
    assert.deepEqual(got, frames);
    // The bytes on the wire: for each frame a 4-byte big-endian length, then that many bytes of msgpack.
    const wire = writes[0]!;
    let off = 0;
    for (const f of frames) {
      const len = wire.readUInt32BE(off);
      assert.deepEqual(wire.subarray(off + 4, off + 4 + len), packr.pack(f));
      off += 4 + len;
    }
    assert.equal(off, wire.length);
    assert.equal(w.stats.framesOut, 10);
  });

  it('reads frames back whatever the chunking (one byte at a time, or many frames in one chunk); rejects a frame over the limit', () => {
    const frames = [{ t: 'hb' }, { t: 'down', m: { kind: 'push', conn_ids: ['a', 'b'], payload: '{"op":"msg"}' } }, { t: 'hello', link_id: 'L', boot_id: 'b' }];
    const bytes = Buffer.concat(frames.map((f) => {
      const body = packr.pack(f);
      const head = Buffer.alloc(4);
      head.writeUInt32BE(body.length);
      return Buffer.concat([head, body]);
    }));
    const byteWise: unknown[] = [];
    const r1 = new FrameReader(1024, (f) => byteWise.push(f));
    for (let i = 0; i < bytes.length; i++) r1.push(bytes.subarray(i, i + 1));
    assert.deepEqual(byteWise, frames);
    const whole: unknown[] = [];
    new FrameReader(1024, (f) => whole.push(f)).push(Buffer.concat([bytes, bytes]));
    assert.deepEqual(whole, [...frames, ...frames]);
    const big = Buffer.alloc(4);
    big.writeUInt32BE(2048);
    assert.throws(() => new FrameReader(1024, () => {}).push(big), FrameTooLargeError);
  });

  it('upstream is bounded too: a link whose dispatcher stops reading refuses frames beyond its buffer (backpressure), drops and counts them', async () => {
    // A hand-made dispatcher: answers the hello, then never reads again (the kernel buffers fill, then the link's).
    const sockets: Socket[] = [];
    const srv = createServer((s) => {
      sockets.push(s);
      s.on('error', () => {});
      s.once('data', () => {
        const body = packr.pack({ t: 'hello', dispatch_id: 'stuck', boot_id: 'b' });
        const head = Buffer.alloc(4);
        head.writeUInt32BE(body.length);
        s.write(Buffer.concat([head, body]));
        s.pause();
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => { for (const s of sockets) s.destroy(); srv.close(); });
    const address = `127.0.0.1:${(srv.address() as { port: number }).port}`;
    const maxBufferedBytes = 256 * 1024;
    const link = new TcpLinkSide({
      linkId: 'L1', bootId: 'L1-b', heartbeatMs: 60_000, deadAfterMs: 600_000, maxBufferedBytes,
      watchDispatchers: (h) => { h([{ id: 'stuck', boot_id: 'b', address }]); return () => {}; },
    });
    cleanups.push(() => link.close());
    await link.whenReady(WAIT);
    const s = session('L1', 'c1');
    link.up({ kind: 'open', session: s });
    const text = 'x'.repeat(4096);
    let refused = 0;
    for (let round = 0; round < 400 && refused === 0; round++) {
      for (let i = 0; i < 50; i++) {
        if (!link.up({ kind: 'frame', session: s, frame: { op: 'send', id: `${round}-${i}`, cmid: `${round}-${i}`, conv_type: 'single', to: 'u', type: 'text', content: { text } } })) refused++;
      }
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(refused > 0, 'up() refused frames beyond the bound (the link answers them unavailable)');
    assert.equal(link.stats.refusedUp, refused);
    assert.equal(link.stats.droppedUp, refused, 'and dropped them');
    // What stayed queued in this process is within the bound (the kernel holds the rest of what was accepted).
    const sock = (link as unknown as { peers: Map<string, { conn?: { socket: Socket } }> }).peers.get('stuck')!.conn!.socket;
    assert.ok(sock.writableLength <= maxBufferedBytes, `queued ${sock.writableLength} bytes`);
  });
});
