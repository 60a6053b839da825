import { test } from 'node:test';
import { startApi } from './helpers.js';
test('peek', async () => {
  const h = await startApi();
  const d = (await h.req('GET', '/docs/json'));
  console.log(d.text.length);
  console.log(JSON.stringify(d.body.paths['/v1/messages'].post.security), JSON.stringify(d.body.paths['/v1/auth/login'].post.security));
  await h.close();
});
