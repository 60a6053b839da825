import type { ChainableCommander, Redis } from 'ioredis';

/**
 * A Lua script bound to one ioredis client. ioredis runs it with EVALSHA and
 * falls back to EVAL on NOSCRIPT, so a Redis that lost its script cache (a
 * restart, a failover to a replica) keeps working without a reload step.
 */
export type RedisScript = {
  run(...args: (string | number)[]): Promise<unknown>;
  /** queue the script on a pipeline (one round trip for many calls) */
  queue(pipeline: ChainableCommander, ...args: (string | number)[]): void;
};

/** `numberOfKeys` undefined: the first argument of each call is the number of keys. */
export function defineScript(redis: Redis, name: string, numberOfKeys: number | undefined, lua: string): RedisScript {
  type Fn = (...args: (string | number)[]) => Promise<unknown>;
  if (typeof (redis as unknown as Record<string, unknown>)[name] !== 'function') redis.defineCommand(name, numberOfKeys === undefined ? { lua } : { numberOfKeys, lua });
  return {
    run: (...args) => (redis as unknown as Record<string, Fn>)[name](...args),
    queue: (pipeline, ...args) => {
      (pipeline as unknown as Record<string, Fn>)[name](...args);
    },
  };
}
