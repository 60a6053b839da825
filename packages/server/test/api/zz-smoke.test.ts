import { test } from 'node:test';
import { startApi } from '/work/main/packages/server/test/api/helpers.ts';
test('smoke', async () => {
  const h = await startApi();
  const t = await h.users('alice', 'bob');
  console.log(await h.as(t.alice!, 'POST', '/v1/messages', { cmid: 'c1', conv_type: 'single', to: 'bob', type: 'text', content: { text: 'hi 你好世界' } }));
  console.log(JSON.stringify((await h.as(t.bob!, 'GET', '/v1/conversations')).body));
  console.log((await h.req('POST', '/v1/admin/users', { apiKey: h.apiKey, body: { user_id: 5 } })));
  console.log((await h.req('POST', '/v1/admin/users', { apiKey: h.apiKey, payload: '{oops', headers: { 'content-type': 'application/json' } })));
  console.log((await h.req('GET', '/v1/nope')));
  console.log((await h.as(t.bob!, 'GET', '/v1/conversations/s:alice:bob/messages?limit=2')).text);
  const d = await h.req('GET', '/docs/json');
  console.log(d.status, Object.keys(d.body?.paths ?? {}).length, d.text.slice(0, 300));
  await h.close();
});
