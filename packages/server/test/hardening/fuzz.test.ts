import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { CLIENT_OPS, ERRORS, TcpFrameDecoder, encodeTcpFrame, isErrorCode } from '@parley/protocol';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { Rng, frameText, httpBody, pathParam, queryValue, realisticParam, validLooking } from './fuzz-gen.js';

/**
 * Seeded, bounded fuzzing of every door: a few thousand frames over
 * WebSocket and TCP, and bad requests against every route of the OpenAPI
 * document. Every error must carry a catalogued code with the catalogue's
 * status and retry flag, and nothing may answer 5xx, `internal` or
 * `unavailable` (the store is healthy: a 503 would be a bug marked retryable).
 */
const SEED = Number(process.env.PARLEY_FUZZ_SEED ?? 0x5eed);
const FRAMES_PER_WIRE = 1600;
const BATCH = 40;
const WAIT_MS = 30_000;
/** logout would revoke the fuzzing user's token mid-run */
const OPS = CLIENT_OPS.filter((op) => op !== 'logout');
const WS_CLOSE_CODES = new Set([1000, 1001, 1002, 1005, 1006, 1007, 1009, 4001, 4002, 4003, 4008]);

interface Seen {
  errors: number;
  oks: number;
  closes: number[];
}

function checkFrame(f: Record<string, unknown>, where: string, seen: Seen): void {
  if (f.op === 'ok') seen.oks++;
  if (f.op !== 'error') return;
  seen.errors++;
  const ctx = `${where} (seed ${SEED}): ${JSON.stringify(f).slice(0, 300)}`;
  assert.ok(isErrorCode(f.code), `uncatalogued code ${ctx}`);
  assert.notEqual(f.code, 'internal', ctx);
  assert.notEqual(f.code, 'unavailable', ctx);
  assert.equal(f.retryable, ERRORS[f.code].retryable, ctx);
  assert.equal(typeof f.message, 'string', ctx);
}

/** A wire-neutral fuzzing connection: send text, see frames, know when it closed. */
interface FuzzConn {
  send(text: string): void;
  sendOdd(r: Rng): void;
  frames: Array<Record<string, unknown>>;
  closed: Promise<number>;
  isClosed(): boolean;
  end(): void;
}

async function wsConn(url: string): Promise<FuzzConn> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const frames: Array<Record<string, unknown>> = [];
  let isClosed = false;
  ws.on('message', (d) => frames.push(JSON.parse(String(d))));
  ws.on('error', () => undefined);
  const closed = new Promise<number>((r) => ws.on('close', (code) => ((isClosed = true), r(code))));
  await new Promise<void>((res, rej) => (ws.once('open', () => res()), ws.once('error', rej)));
  return {
    frames, closed, isClosed: () => isClosed, end: () => ws.terminate(),
    send: (t) => ws.send(t),
    sendOdd: (r) => {
      const odd = r.int(3);
      if (odd === 0) ws.send(Buffer.from('{"op":"ping","id":1}'), { binary: true });
      else if (odd === 1) ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false }); // bad UTF-8: 1007
      else ws.send('x'.repeat(70_000)); // over max_frame_bytes: 1009
    },
  };
}

async function tcpConn(port: number): Promise<FuzzConn> {
  const socket: Socket = connect(port, '127.0.0.1');
  const frames: Array<Record<string, unknown>> = [];
  const decoder = new TcpFrameDecoder(16 * 1024 * 1024);
  let isClosed = false;
  socket.on('data', (c) => {
    for (const body of decoder.push(c)) frames.push(JSON.parse(Buffer.from(body).toString('utf8')));
  });
  socket.on('error', () => undefined);
  const closed = new Promise<number>((r) => socket.on('close', () => ((isClosed = true), r(0))));
  await new Promise<void>((res, rej) => (socket.once('connect', () => res()), socket.once('error', rej)));
  return {
    frames, closed, isClosed: () => isClosed, end: () => socket.destroy(),
    send: (t) => void socket.write(encodeTcpFrame(t)),
    sendOdd: (r) => {
      const odd = r.int(3);
      if (odd === 0) socket.write(Buffer.concat([Buffer.from([0, 0, 0, 4]), Buffer.from([0x7b, 0xff, 0xfe, 0x7d])]));
      else if (odd === 1) socket.write(encodeTcpFrame('{"op":"ping","id":1}\u0000'));
      else socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3])); // announced length over the limit: error, then close
    },
  };
}

/** Wait until pred holds or the connection closed; bounded. */
async function until(c: FuzzConn, pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!pred() && !c.isClosed()) {
    if (Date.now() > deadline) throw new Error(`timeout waiting for ${what} (seed ${SEED})`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function fuzzWire(open: () => Promise<FuzzConn>, token: string, rng: Rng, where: string): Promise<Seen> {
  const seen: Seen = { errors: 0, oks: 0, closes: [] };
  let c: FuzzConn | undefined;
  let sent = 0;
  let barrier = 0;
  const login = async () => {
    c = await open();
    c.send(JSON.stringify({ op: 'auth', id: 'auth', token }));
    await until(c, () => c!.frames.some((f) => f.id === 'auth'), 'auth');
    const ok = c.frames.find((f) => f.id === 'auth');
    assert.equal(ok?.op, 'ok', `auth on ${where}: ${JSON.stringify(ok)}`);
  };
  try {
    while (sent < FRAMES_PER_WIRE) {
      if (!c || c.isClosed()) await login();
      const conn = c!;
      for (let i = 0; i < BATCH; i++, sent++) {
        if (rng.chance(0.004)) conn.sendOdd(rng);
        else conn.send(frameText(rng, OPS, sent));
      }
      const id = `barrier-${barrier++}`;
      conn.send(JSON.stringify({ op: 'ping', id }));
      await until(conn, () => conn.frames.some((f) => f.op === 'pong' && f.id === id), `pong ${id}`);
      for (const f of conn.frames.splice(0)) checkFrame(f, where, seen);
      if (conn.isClosed()) {
        const code = await conn.closed;
        seen.closes.push(code);
        if (where === 'ws') assert.ok(WS_CLOSE_CODES.has(code), `undocumented close code ${code} (seed ${SEED})`);
      }
    }
  } finally {
    c?.end();
  }
  return seen;
}

describe(`fuzz (seed ${SEED})`, () => {
  let p: TestPlatform;
  let tokens: Record<string, string>;
  before(async () => {
    p = await startTestPlatform({ rate_per_sec: 1_000_000, rate_burst: 1_000_000, api_rate_per_sec: 1_000_000 });
    tokens = await p.users('alice', 'bob', 'carol');
    await p.admin('POST', '/v1/admin/groups', { group_id: 'team', name: 'Team', owner: 'alice', members: ['bob'] });
  });
  after(async () => p?.destroy());

  it(`WebSocket: ${FRAMES_PER_WIRE} frames, every answer catalogued`, async () => {
    const seen = await fuzzWire(() => wsConn(p.wsUrl), tokens.alice!, new Rng(SEED), 'ws');
    assert.ok(seen.errors > FRAMES_PER_WIRE / 4, `most frames are bad: ${seen.errors} errors`);
    assert.ok(seen.oks > 10, `some frames got through: ${seen.oks} oks`);
  });

  it(`TCP: ${FRAMES_PER_WIRE} frames, every answer catalogued`, async () => {
    const seen = await fuzzWire(() => tcpConn(p.tcpPort), tokens.carol!, new Rng(SEED + 1), 'tcp');
    assert.ok(seen.errors > FRAMES_PER_WIRE / 4, `most frames are bad: ${seen.errors} errors`);
  });

  it('HTTP: bad requests against every route of the OpenAPI document', async () => {
    const doc = JSON.parse((await p.api.inject({ method: 'GET', url: '/docs/json' })).body) as {
      paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }> }>>;
    };
    const rng = new Rng(SEED + 2);
    let requests = 0;
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));
    assert.ok(routes.length > 40, `the document lists the routes (${routes.length})`);
    for (const { path, method, op } of routes) {
      // A dozen random requests, then the corpus of almost-valid bodies with the right auth and real ids, so validation is reached.
      const corpus = ['post', 'put', 'patch', 'delete'].includes(method) ? validLooking(rng) : [];
      for (let i = 0; i < 12 + corpus.length; i++) {
        const directed = i >= 12;
        const url = path.replace(/\{([^}]+)\}/g, (_m, name: string) => (directed ? realisticParam(name) : pathParam(rng)));
        const query = (op.parameters ?? []).filter((q) => q.in === 'query' && rng.chance(0.7)).map((q) => `${q.name}=${queryValue(rng)}`);
        if (rng.chance(0.1)) query.push(`${pathParam(rng)}=${queryValue(rng)}`);
        const body = directed ? { payload: corpus[i - 12]!, contentType: 'application/json' } : httpBody(rng);
        const headers: Record<string, string> = {};
        if (body.contentType) headers['content-type'] = body.contentType;
        const rightAuth = `Bearer ${path.startsWith('/v1/admin') ? p.apiKey : tokens.bob}`;
        const auth = directed ? 4 : rng.int(5);
        if (auth === 1) headers.authorization = `Bearer ${p.apiKey}`;
        else if (auth === 2) headers.authorization = `Bearer ${tokens.bob}`;
        else if (auth === 3) headers.authorization = rng.pick(['Bearer ', 'Basic x', `Bearer ${'e'.repeat(5000)}`, 'Bearer a.b.c']);
        else if (auth === 4) headers.authorization = rightAuth;
        const res = await p.api.inject({
          method: method.toUpperCase() as 'GET', url: query.length ? `${url}?${query.join('&')}` : url, headers,
          ...(body.payload === undefined ? {} : { payload: body.payload }),
        });
        requests++;
        const ctx = `${method.toUpperCase()} ${url} (seed ${SEED}) → ${res.statusCode} ${res.body.slice(0, 300)}`;
        assert.ok(res.statusCode < 500, ctx);
        if (res.statusCode < 400) continue;
        const json = JSON.parse(res.body) as { error: { code: string; message: string; retryable: boolean } };
        assert.deepEqual(Object.keys(json), ['error'], ctx);
        assert.ok(isErrorCode(json.error.code), ctx);
        assert.equal(res.statusCode, ERRORS[json.error.code].status, ctx);
        assert.equal(json.error.retryable, ERRORS[json.error.code].retryable, ctx);
        assert.equal(typeof json.error.message, 'string', ctx);
      }
    }
    assert.ok(requests >= routes.length * 12, `${requests} requests`);
  });
});
