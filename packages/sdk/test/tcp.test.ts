import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { encodeTcpFrame } from '@parley/protocol';
import { ParleyClient, tcpConnection, ConnectionLostError } from '../src/node.js';
import { FakeTcpServer } from './helpers/fake-server.js';
import { FAST_RECONNECT } from './helpers/setup.js';
import { collect, waitFor, within } from './helpers/wait.js';

test('TCP transport: auth, send/ack and pushes round-trip through the length-prefixed codec', async (t) => {
  const server = await FakeTcpServer.start();
  const client = new ParleyClient({ connect: tcpConnection('127.0.0.1', server.port), token: 'tok:alice', platform: 'ios', reconnect: FAST_RECONNECT });
  t.after(async () => {
    await client.close();
    await server.stop();
  });
  await within(client.connect(), 'connect');
  assert.equal(client.userId, 'alice');
  assert.equal(server.framesOf('auth')[0]!.platform, 'ios');
  const text = 'héllo 你好 '.repeat(500); // multi-byte, several TCP chunks
  const ack = await within(client.sendText('bob', text), 'ack');
  assert.equal(ack.seq, 1);
  assert.deepEqual(server.sends()[0]!.content, { text });
  const got = collect(client, 'message');
  server.trickle = true; // one byte per write: the decoder must reassemble
  server.push({ op: 'msg', msg: server.addMessage('s:alice:bob', { sender: 'bob', content: { text: 'yo' } }) });
  await waitFor(() => got.length === 1, 'push');
  assert.deepEqual(got[0]!.content, { text: 'yo' });
  assert.equal(got[0]!.seq, 2);
});

test('TCP transport: reconnects after the server ends the socket and resends unacked sends', async (t) => {
  const server = await FakeTcpServer.start();
  const client = new ParleyClient({ connect: tcpConnection('127.0.0.1', server.port), token: 'tok:alice', reconnect: FAST_RECONNECT });
  t.after(async () => {
    await client.close();
    await server.stop();
  });
  await within(client.connect(), 'connect');
  server.withholdAcks = true;
  const sending = client.sendText('bob', 'over tcp');
  await waitFor(() => server.sends().length === 1, 'first send');
  server.withholdAcks = false;
  server.dropAll();
  const ack = await within(sending, 'ack');
  assert.equal(ack.duplicate, true);
  assert.equal(server.connectionAttempts, 2);
});

test('TCP transport: a refused port fails the connection attempt', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const client = new ParleyClient({ connect: tcpConnection('127.0.0.1', port), token: 'tok:alice', reconnect: false });
  await assert.rejects(within(client.connect(), 'connect'), ConnectionLostError);
  assert.equal(client.state, 'closed');
});

test('TCP transport: an oversize frame from the server drops the connection', async (t) => {
  const server = createServer((socket) => {
    socket.on('data', () => {
      socket.write(encodeTcpFrame(JSON.stringify({ op: 'ok', id: 1, data: { padding: 'x'.repeat(2000) } })));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;
  const client = new ParleyClient({ connect: tcpConnection('127.0.0.1', port, { maxFrameBytes: 1000 }), token: 'tok:a', reconnect: false });
  await assert.rejects(within(client.connect(), 'connect'), (e: unknown) => e instanceof ConnectionLostError && /exceeds limit 1000/.test(e.message));
  assert.equal(client.state, 'closed');
});

test('the browser entry works with any WebSocket class, and says so when there is none', async (t) => {
  const { ParleyClient: BrowserClient, webSocketConnection } = await import('../src/index.js');
  const { default: WS } = await import('ws');
  const { FakeWsServer } = await import('./helpers/fake-server.js');
  const server = await FakeWsServer.start();
  const client = new BrowserClient({ connect: webSocketConnection(server.url, WS), token: 'tok:web' });
  t.after(async () => {
    await client.close();
    await server.stop();
  });
  await within(client.connect(), 'connect');
  assert.equal(client.userId, 'web');
  if (!('WebSocket' in globalThis)) {
    assert.throws(() => new BrowserClient({ url: server.url, token: 'tok:x' }), /no global WebSocket/);
  }
});
