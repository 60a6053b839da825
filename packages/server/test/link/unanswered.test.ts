import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientFrame } from '@parley/protocol';
import { UnansweredFrames } from '../../src/link/unanswered.js';

const history = (id: number | string): ClientFrame => ({ op: 'history', id, conv_id: 's:a:b', limit: 10 });

it('unanswered frames: kept in order until an ok or error with their id comes down; frames without id are not kept', () => {
  const u = new UnansweredFrames();
  u.track(history(1));
  u.track(history('two'));
  u.track({ op: 'typing', conv_id: 's:a:b' });
  u.track(history(3));
  assert.deepEqual(u.frames().map((f) => ('id' in f ? f.id : null)), [1, 'two', 3]);
  u.answered(JSON.stringify({ op: 'ok', id: 'two', data: { messages: [] } }));
  u.answered(JSON.stringify({ op: 'msg', msg: { id: 3 } })); // a push, not an answer
  u.answered(JSON.stringify({ op: 'error', id: 3, code: 'not_member', message: 'x', retryable: false }));
  assert.deepEqual(u.frames().map((f) => ('id' in f ? f.id : null)), [1]);
  u.answered('{"op":"ok","id":"we\\"ird","data":{}}'); // escaped quote in a string id: read without a full parse
  u.track(history('we"ird'));
  u.answered('{"op":"ok","id":"we\\"ird","data":{}}');
  assert.equal(u.size, 1);
});

it('unanswered frames: bounded, the oldest forgotten first', () => {
  const u = new UnansweredFrames(3);
  for (let i = 0; i < 5; i++) u.track(history(i));
  assert.deepEqual(u.frames().map((f) => ('id' in f ? f.id : null)), [2, 3, 4]);
});
