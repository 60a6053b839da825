import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocketServer } from 'ws';
import { encodeTcpFrame } from '@parley/protocol';
import { startRig, waitUntil, within, wsClient, type Rig } from './helpers.js';

/** What differs between the wires: framing limits and what counts as a frame. */
describe('link wires', () => {
  let rig: Rig | undefined;
  const start = async (opts = {}) => (rig = await startRig(opts));
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('ws: an oversize frame closes with 1009 (ws rejects it from the header) and the close goes upstream', async () => {
    const r = await start({ maxFrameBytes: 1024 });
    const { c } = await r.login('ws');
    c.send({ op: 'convs', id: 1, pad: 'x'.repeat(2000) });
    assert.equal(await within(c.closed, 'close 1009'), 1009);
    await waitUntil(() => r.dispatcher.of('close').length === 1, 'close upstream');
    assert.equal(r.dispatcher.of('frame').length, 0);
  });

  it('ws: a frame at the limit is accepted', async () => {
    const r = await start({ maxFrameBytes: 1024 });
    const { c } = await r.login('ws');
    const base = JSON.stringify({ op: 'ping', id: '' });
    c.sendRaw(JSON.stringify({ op: 'ping', id: 'y'.repeat(64) }) + ' '.repeat(1024 - base.length - 64));
    assert.equal((await c.next('pong')).op, 'pong');
  });

  it('tcp: an oversize length gets frame_too_large, then the connection ends', async () => {
    const r = await start({ maxFrameBytes: 1024 });
    const { c } = await r.login('tcp');
    c.send({ op: 'convs', id: 1, pad: 'x'.repeat(2000) });
    const err = await c.next('frame_too_large');
    assert.equal(err.code, 'frame_too_large');
    await within(c.closed, 'tcp close');
    await waitUntil(() => r.dispatcher.of('close').length === 1, 'close upstream');
    assert.equal(r.dispatcher.of('frame').length, 0);
  });

  it('tcp: frames split across packets and coalesced in one packet are all read, in order', async () => {
    const r = await start();
    const { c } = await r.login('tcp');
    const bytes = Buffer.concat([1, 2, 3].map((i) => Buffer.from(encodeTcpFrame(JSON.stringify({ op: 'ping', id: i })))));
    c.sendRaw(bytes.subarray(0, 5));
    await new Promise((res) => setTimeout(res, 20));
    c.sendRaw(bytes.subarray(5));
    for (const i of [1, 2, 3]) assert.equal((await c.next(`pong ${i}`)).id, i);
  });

  it('tcp: a frame that is not UTF-8 gets bad_frame and the connection keeps working', async () => {
    const r = await start();
    const { c } = await r.login('tcp');
    c.sendRaw(encodeTcpFrame(new Uint8Array([0xff, 0xfe, 0x7b])));
    assert.equal((await c.next('bad_frame')).code, 'bad_frame');
    c.send({ op: 'ping', id: 2 });
    assert.equal((await c.next('pong')).id, 2);
  });

  it('ws: a binary frame gets bad_frame and the connection keeps working', async () => {
    const r = await start();
    const { c } = await r.login('ws');
    c.sendRaw(Buffer.from(JSON.stringify({ op: 'ping', id: 1 })));
    assert.equal((await c.next('bad_frame')).code, 'bad_frame');
    c.send({ op: 'ping', id: 2 });
    assert.equal((await c.next('pong')).id, 2);
  });

  it('ws: leaves upgrades for other paths to their own listeners', async () => {
    const r = await start();
    const other = new WebSocketServer({ noServer: true });
    other.on('connection', (ws) => ws.send(JSON.stringify({ hello: 'other' })));
    r.http.on('upgrade', (req, socket, head) => {
      if (req.url === '/other') other.handleUpgrade(req, socket, head, (ws) => other.emit('connection', ws, req));
    });
    const c = await wsClient(r.wsPort, '/other');
    assert.deepEqual(await c.next('other server hello'), { hello: 'other' });
    assert.equal(r.link.connectionCount(), 0);
    c.end();
    await within(c.closed, 'other close');
    other.close();
    await within(once(other, 'close'), 'other server close');
  });
});
