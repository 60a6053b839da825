import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSE_CODES } from '@parley/protocol';
import { startRig, within, type Rig } from '../link/helpers.js';

/**
 * Tokens that cannot be a token, and JSON nested too deep, on both wires.
 * The auth timeout is far longer than the waits here: a close that only came
 * from the timeout would fail the test.
 */
for (const kind of ['ws', 'tcp'] as const) {
  describe(`${kind}: bad tokens and deep JSON`, () => {
    let rig: Rig | undefined;
    afterEach(async () => {
      await rig?.close();
      rig = undefined;
    });
    const start = async () => (rig = await startRig({ authTimeoutMs: 600_000, maxFrameBytes: 65536 }));
    const closeCode = kind === 'ws' ? CLOSE_CODES.auth_failed : undefined;

    for (const [name, token] of [['empty', ''], ['huge', 'x'.repeat(10_000)], ['missing', undefined], ['not a string', 42]] as const) {
      it(`answers an auth with a ${name} token with token_invalid and closes with 4001 at once`, async () => {
        const r = await start();
        const c = await r.connect(kind);
        c.send(token === undefined ? { op: 'auth', id: 1 } : { op: 'auth', id: 1, token });
        const err = await c.next('auth error', 20_000);
        assert.deepEqual([err.op, err.id, err.code, err.retryable], ['error', 1, 'token_invalid', false]);
        assert.equal(await within(c.closed, 'close', 20_000), closeCode);
        assert.equal(r.dispatcher.seen.length, 0, 'nothing goes upstream for a failed auth');
      });
    }

    it('answers a deeply nested frame with invalid_field, not retryable, and stays usable', async () => {
      const r = await start();
      const { c } = await r.login(kind);
      const deep = '['.repeat(4000) + ']'.repeat(4000);
      const text = `{"op":"send","id":9,"cmid":"c","conv_type":"single","to":"bob","type":"custom","content":{"data":${deep}}}`;
      c.sendRaw(kind === 'ws' ? text : tcpFrame(text));
      const err = await c.next('depth error', 20_000);
      assert.deepEqual([err.op, err.id, err.code, err.retryable], ['error', 9, 'invalid_field', false]);
      c.send({ op: 'ping', id: 10 });
      assert.equal((await c.next('pong', 20_000)).op, 'pong');
      assert.equal(c.isClosed(), false);
      assert.equal(r.dispatcher.of('frame').length, 0, 'the deep frame never went upstream');
    });
  });
}

function tcpFrame(text: string): Uint8Array {
  const body = Buffer.from(text, 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}
