import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Id, ParleyError } from '@parley/protocol';
import { toProfile } from '../services/user-service.js';
import { userOf } from './auth.js';
import type { RouteDeps } from './route-deps.js';
import { LoginThrottle, type LoginThrottleOptions } from '../auth/login-throttle.js';
import { RetryLaterError } from './errors.js';
import { Name, Password, Session, clientRoute, responses } from './schemas.js';

const Register = Type.Object({ app_id: Id, user_id: Id, password: Password, name: Type.Optional(Name) }, { additionalProperties: false });
const Login = Type.Object({ app_id: Id, user_id: Id, password: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });
const LogoutResult = Type.Object({ revoked: Type.Literal(true), kicked: Type.Integer({ description: 'connections closed' }) });

/**
 * Password accounts, for apps that allow them (`allow_registration`). Apps
 * whose users log in to the business line instead get tokens from their
 * backend (POST /v1/admin/users/{user_id}/tokens).
 */
export async function clientAuthRoutes(app: FastifyInstance, { core, auth, loginThrottle }: RouteDeps & { loginThrottle?: LoginThrottleOptions }): Promise<void> {
  const throttle = new LoginThrottle(loginThrottle);
  app.addHook('onClose', async () => throttle.clear());

  app.post<{ Body: Static<typeof Register> }>('/auth/register', {
    onRequest: auth.anonymous,
    schema: clientRoute({ summary: 'Register with a password', body: Register, response: responses(201, Session) }, { anonymous: true }),
  }, async (req, reply) => {
    const { app_id, ...input } = req.body;
    const s = await core.users.register(app_id, input);
    return reply.code(201).send({ user: toProfile(s.user), token: s.token, expires_at: s.expires_at });
  });

  app.post<{ Body: Static<typeof Login> }>('/auth/login', {
    onRequest: auth.anonymous,
    schema: clientRoute({ summary: 'Log in with a password', body: Login, response: responses(200, Session) }, { anonymous: true }),
  }, async (req) => {
    const { app_id, user_id, password } = req.body;
    const wait = throttle.waitMs(app_id, user_id, req.ip);
    if (wait > 0) throw new RetryLaterError('rate_limited', wait / 1000, 'too many failed logins; wait before trying again');
    let s;
    try {
      s = await core.users.login(app_id, user_id, password);
    } catch (err) {
      if (err instanceof ParleyError && err.code === 'invalid_credentials') throttle.failed(app_id, user_id, req.ip);
      throw err;
    }
    throttle.succeeded(app_id, user_id);
    return { user: toProfile(s.user), token: s.token, expires_at: s.expires_at };
  });

  app.post('/auth/logout', {
    onRequest: auth.user,
    schema: clientRoute({
      summary: 'Log out everywhere',
      description: 'Revokes every token of the user issued so far and closes all their connections.',
      response: responses(200, LogoutResult),
    }),
  }, async (req) => {
    const me = userOf(req);
    await core.users.revokeTokens(me.app_id, me.user_id);
    return { revoked: true as const, kicked: await core.ops.kickUser(me.app_id, me.user_id, 'logout') };
  });
}
