import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeTcpFrame, FrameTooLargeError, singleConvId, parseConvId, TcpFrameDecoder } from '../src/index.js';
import { parseClientFrame } from '../src/validate.js';

describe('TCP framing', () => {
  it('round-trips frames split at every byte boundary', () => {
    const frames = ['{"op":"ping"}', JSON.stringify({ op: 'send', text: '你好，世界' })];
    const bytes = Buffer.concat(frames.map((f) => encodeTcpFrame(f)));
    for (let cut = 1; cut < bytes.length; cut++) {
      const d = new TcpFrameDecoder(1024);
      const out = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
      assert.deepEqual(out.map((b) => Buffer.from(b).toString('utf8')), frames);
    }
  });

  it('rejects a length above the limit before buffering it', () => {
    const d = new TcpFrameDecoder(16);
    assert.throws(() => d.push(encodeTcpFrame('x'.repeat(17))), FrameTooLargeError);
  });
});

describe('frame validation', () => {
  it('accepts a valid send and rejects bad ones with the right codes', () => {
    const ok = parseClientFrame(JSON.stringify({ op: 'send', id: 1, cmid: 'a', conv_type: 'single', to: 'bob', type: 'text', content: { text: 'hi' } }));
    assert.equal(ok.ok, true);
    const cases: Array<[string, string]> = [
      ['nope', 'bad_frame'],
      ['null', 'bad_frame'],
      ['{"op":"fly"}', 'unknown_op'],
      ['{"op":"send","id":1}', 'invalid_field'],
      [JSON.stringify({ op: 'send', id: 1, cmid: 'a', conv_type: 'single', to: 'bob', type: 'link', content: { url: 'u' } }), 'invalid_field'],
    ];
    for (const [text, code] of cases) {
      const r = parseClientFrame(text);
      assert.equal(r.ok, false, text);
      if (!r.ok) assert.equal(r.error.code, code, text);
    }
  });

  it('keeps the request id on errors where it can', () => {
    const r = parseClientFrame('{"op":"read","id":42,"conv_id":"s:a:b"}');
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.id, 42);
  });
});

describe('conversation ids', () => {
  it('are the same from both sides of a single chat', () => {
    assert.equal(singleConvId('bob', 'alice'), singleConvId('alice', 'bob'));
    assert.deepEqual(parseConvId('s:alice:bob'), { type: 'single', users: ['alice', 'bob'] });
    assert.equal(parseConvId('g:team')?.groupId, 'team');
    assert.equal(parseConvId('x:1'), null);
  });
});
