import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_JSON_DEPTH, exceedsJsonDepth, parseClientFrame } from '../src/validate.js';

const nest = (levels: number, leaf: unknown = 1): unknown => {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = i % 2 ? { a: v } : [v];
  return v;
};

describe('JSON depth limit', () => {
  it('counts the outer object as level 1 and accepts exactly the limit', () => {
    assert.equal(exceedsJsonDepth(nest(MAX_JSON_DEPTH)), false);
    assert.equal(exceedsJsonDepth(nest(MAX_JSON_DEPTH + 1)), true);
    assert.equal(exceedsJsonDepth('x'), false);
    assert.equal(exceedsJsonDepth({ a: [1, { b: null }] }), false);
  });

  it('checks a value thousands of levels deep without overflowing the stack', () => {
    assert.equal(exceedsJsonDepth(nest(200_000)), true);
  });

  it('answers a deeply nested send with invalid_field (not retryable) and keeps the request id', () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const text = `{"op":"send","id":7,"cmid":"c","conv_type":"single","to":"bob","type":"custom","content":{"data":${deep}}}`;
    const r = parseClientFrame(text);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.error.code, 'invalid_field');
    assert.equal(r.error.retryable, false);
    assert.equal(r.id, 7);
    assert.match(r.error.message, /nest/);
  });

  it('still accepts content nested a little', () => {
    const r = parseClientFrame(JSON.stringify({ op: 'send', id: 1, cmid: 'c', conv_type: 'single', to: 'bob', type: 'custom', content: { data: nest(10) } }));
    assert.equal(r.ok, true);
  });
});
