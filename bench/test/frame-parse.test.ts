import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '@parley/protocol';
import { benchText, liteOf, parseBenchText, parseMsgFast, parseOkIdFast } from '../src/gen/frame-parse.js';

// The generators read pushes with indexOf instead of JSON.parse; these pin that
// the shortcut agrees with a real parse on the frames both servers produce.
const msg: Message = {
  msg_id: 'm1', conv_id: 's:a:b', conv_type: 'single', seq: 42, sender: 'a', cmid: 'x.1.7',
  type: 'text', content: { text: benchText(7, 123456789, 'hello world') }, status: 'normal', created_at: 1,
};

test('fast msg parse equals JSON.parse', () => {
  const frame = JSON.stringify({ op: 'msg', msg });
  assert.deepEqual(parseMsgFast(frame), liteOf(msg));
  assert.deepEqual(parseBenchText(parseMsgFast(frame)!.text), { n: 7, tUs: 123456789 });
});

test('fast msg parse is independent of field order and falls back on escapes', () => {
  const reordered = JSON.stringify({ op: 'msg', msg: { seq: 42, content: msg.content, sender: 'a', conv_id: 's:a:b' } });
  assert.deepEqual(parseMsgFast(reordered), { conv_id: 's:a:b', seq: 42, sender: 'a', text: (msg.content as { text: string }).text });
  const escaped = { ...msg, content: { text: '1|2|say "hi"' } };
  assert.deepEqual(parseMsgFast(JSON.stringify({ op: 'msg', msg: escaped })), liteOf(escaped));
});

test('non-msg frames are left to JSON.parse', () => {
  assert.equal(parseMsgFast('{"op":"ok","id":1,"data":{}}'), null);
  assert.equal(parseOkIdFast('{"op":"ok","id":17,"data":{"seq":3}}'), 17);
  assert.equal(parseOkIdFast('{"op":"ok","id":"auth","data":{}}'), null);
  assert.equal(parseOkIdFast('{"op":"error","id":3,"code":"x"}'), null);
});
