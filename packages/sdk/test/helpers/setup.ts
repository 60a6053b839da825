import type { TestContext } from 'node:test';
import { ParleyClient, type ClientOptions } from '../../src/node.js';
import { FakeWsServer } from './fake-server.js';

export const FAST_RECONNECT = { minMs: 20, maxMs: 200, factor: 2, jitter: 0 };

/** A fake server and a client for it, both torn down when the test ends. */
export async function setup(
  t: TestContext, opts: Partial<ClientOptions> = {},
): Promise<{ server: FakeWsServer; client: ParleyClient }> {
  const server = await FakeWsServer.start();
  const client = new ParleyClient({ url: server.url, token: 'tok:alice', reconnect: FAST_RECONNECT, requestTimeoutMs: 2000, ...opts });
  t.after(async () => {
    await client.close();
    await server.stop();
  });
  return { server, client };
}
