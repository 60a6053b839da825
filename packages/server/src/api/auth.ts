import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { ParleyError } from '@parley/protocol';
import type { AppService } from '../services/app-service.js';
import type { UserService } from '../services/user-service.js';
import type { AppRow } from '../store/store.js';
import type { RateLimiter } from './rate-limit.js';

/**
 * The two ways in: business backends with their app's API key
 * (`Authorization: Bearer <key>` or `X-Api-Key: <key>`), clients with a user
 * token (`Authorization: Bearer <JWT>`). Both run as onRequest hooks, before
 * the body is read, so an unauthenticated caller never costs a body parse or
 * an upload; the caller's rate bucket is charged right after.
 */
export type Caller =
  | { kind: 'app'; app: AppRow }
  | { kind: 'user'; app_id: string; user_id: string; iat_ms: number };

export interface UserCaller {
  app_id: string;
  user_id: string;
  iat_ms: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

export interface TokenVerifying {
  verify(token: string): Promise<{ app_id: string; user_id: string; iat_ms: number; exp_ms: number; jti: string }>;
}

export interface AuthHooks {
  /** admin routes: the API key of an app */
  apiKey: onRequestAsyncHookHandler;
  /** client routes: a user token, not revoked */
  user: onRequestAsyncHookHandler;
  /** unauthenticated routes (register, login): rate-limited per client address */
  anonymous: onRequestAsyncHookHandler;
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : undefined;
}

export function createAuthHooks(app: FastifyInstance, deps: {
  apps: AppService;
  users: UserService;
  verifier: TokenVerifying;
  limiter: RateLimiter;
}): AuthHooks {
  app.decorateRequest('caller', null);
  const { apps, users, verifier, limiter } = deps;

  return {
    async apiKey(req) {
      const header = req.headers['x-api-key'];
      const key = (typeof header === 'string' && header) || bearer(req);
      const row = await apps.authenticate(key);
      limiter.check(`app\u0000${row.app_id}`);
      req.caller = { kind: 'app', app: row };
    },

    async user(req) {
      const token = bearer(req);
      if (!token) throw new ParleyError('unauthenticated', 'send Authorization: Bearer <user token>');
      const t = await verifier.verify(token);
      // Logout and admin kick move the user's revocation watermark; tokens issued before it are dead.
      if (await users.isRevoked(t.app_id, t.user_id, t.iat_ms)) throw new ParleyError('token_revoked');
      limiter.check(`user\u0000${t.app_id}\u0000${t.user_id}`);
      req.caller = { kind: 'user', app_id: t.app_id, user_id: t.user_id, iat_ms: t.iat_ms };
    },

    async anonymous(req) {
      limiter.check(`ip\u0000${req.ip}`);
    },
  };
}

/** The app of an API-key request (the apiKey hook ran). */
export function appOf(req: FastifyRequest): AppRow {
  const c = req.caller;
  if (c?.kind !== 'app') throw new ParleyError('api_key_invalid');
  return c.app;
}

/** The user of a user-token request (the user hook ran). */
export function userOf(req: FastifyRequest): UserCaller {
  const c = req.caller;
  if (c?.kind !== 'user') throw new ParleyError('unauthenticated');
  return c;
}
