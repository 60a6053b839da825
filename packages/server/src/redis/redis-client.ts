import { Redis } from 'ioredis';
import { StartError } from '../startup/start-errors.js';

/**
 * A Redis connection for the distributed backends, as the composition root
 * opens it: it answers a PING before this resolves (a wrong URL stops the
 * start instead of failing the first message). Afterwards commands wait
 * (queued) while Redis is briefly unreachable and fail after a few
 * reconnect attempts rather than hang; ioredis keeps reconnecting.
 */
export async function openRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, { maxRetriesPerRequest: 3, connectionName: 'parley', lazyConnect: true });
  // While connecting, the rejected connect() is the report (no "[ioredis] Unhandled error event" on stderr).
  const quiet = () => undefined;
  redis.on('error', quiet);
  try {
    await redis.connect();
    await redis.ping();
    redis.off('error', quiet);
    return redis;
  } catch (err) {
    redis.disconnect();
    throw new StartError(`--redis-url ${url}: Redis did not answer (${(err as Error).message}); check that it runs and the URL`);
  }
}
