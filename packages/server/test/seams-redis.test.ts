import { after } from 'node:test';
import type { Redis } from 'ioredis';
import { runLocationContract, runSharedLocationContract } from './contract/location-contract.js';
import { RedisLocation } from '../src/location/redis-location.js';
import { connectRedis, deleteKeys, randomPrefix } from './helpers/redis-engine.js';

// The Redis implementations of the seams against their contracts, on the machine's
// Redis with a random key prefix per test (keys deleted afterwards, never FLUSHALL).
// Tests that flush or kill Redis use a private redis-server (see redis-engine.ts).
const shared: Redis = connectRedis();
after(() => shared.quit());

runLocationContract('redis', async () => {
  const prefix = randomPrefix('loc');
  const location = new RedisLocation(shared, { prefix });
  return { location, cleanup: async () => { await location.close(); await deleteKeys(shared, prefix); } };
});

runSharedLocationContract('redis', async (linkTtlMs) => {
  const prefix = randomPrefix('loc2');
  // Two clients, as two dispatcher processes would have.
  const ra = connectRedis();
  const rb = connectRedis();
  const a = new RedisLocation(ra, { prefix, linkTtlMs });
  const b = new RedisLocation(rb, { prefix, linkTtlMs });
  return {
    a, b,
    cleanup: async () => {
      await deleteKeys(ra, prefix);
      await Promise.all([ra.quit(), rb.quit()]);
    },
  };
});
