import { Redis } from 'ioredis';

/**
 * A Redis connection for the distributed backends, as the composition root
 * opens it: it answers a PING before this resolves (a wrong URL stops the
 * start instead of failing the first message). Afterwards commands wait
 * (queued) while Redis is briefly unreachable and fail after a few
 * reconnect attempts rather than hang; ioredis keeps reconnecting.
 */
export async function openRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, { maxRetriesPerRequest: 3, connectionName: 'parley', lazyConnect: true });
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch (err) {
    redis.disconnect();
    throw new Error(`Redis at ${url} did not answer: ${(err as Error).message}`);
  }
}
