import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ParleyError } from '@parley/protocol';
import { toProfile } from '../services/user-service.js';
import { userOf } from './auth.js';
import type { RouteDeps } from './route-deps.js';
import { Avatar, Name, Password, UserIdParams, UserProfile, UserWithPresence, clientRoute, described, responses } from './schemas.js';

const PatchMe = Type.Object({
  name: Type.Optional(Name),
  avatar: Type.Optional(Avatar),
  password: Type.Optional(Password),
  current_password: Type.Optional(described(Type.String({ maxLength: 128 }), 'required to change a password that is already set')),
}, { additionalProperties: false });
const SearchQuery = Type.Object({
  q: Type.String({ minLength: 1, maxLength: 64, description: 'matches user id or name' }),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
});

const ClientAppInfo = Type.Object({
  app_id: Type.String(), name: Type.String(), recall_window_sec: Type.Integer(), read_receipts: Type.Boolean(),
  max_group_members: Type.Integer(), require_friendship: Type.Boolean(),
});

/** The caller's own profile, and looking up other users of the same app. */
export async function clientUserRoutes(app: FastifyInstance, { core, auth }: RouteDeps): Promise<void> {
  app.addHook('onRequest', auth.user);

  app.get('/me', {
    schema: clientRoute({ summary: 'My profile', response: responses(200, UserProfile) }),
  }, async (req) => {
    const me = userOf(req);
    return toProfile(await core.users.get(me.app_id, me.user_id));
  });

  app.get('/app', {
    schema: clientRoute({ summary: "The features of my app that a client adapts to", response: responses(200, ClientAppInfo) }),
  }, async (req) => {
    const { app_id, name, settings } = await core.apps.get(userOf(req).app_id);
    return {
      app_id, name, recall_window_sec: settings.recall_window_sec, read_receipts: settings.read_receipts,
      max_group_members: settings.max_group_members, require_friendship: settings.require_friendship,
    };
  });

  app.patch<{ Body: Static<typeof PatchMe> }>('/me', {
    schema: clientRoute({ summary: 'Change my name, avatar or password', body: PatchMe, response: responses(200, UserProfile) }),
  }, async (req) => {
    const me = userOf(req);
    const { current_password, ...patch } = req.body;
    if (patch.password !== undefined) {
      const user = await core.users.get(me.app_id, me.user_id);
      // A stolen token alone must not be enough to take the account over.
      if (user.password_hash) {
        if (!current_password) throw new ParleyError('invalid_field', 'body/current_password: required to change the password');
        await core.users.login(me.app_id, me.user_id, current_password); // throws invalid_credentials; the token it makes is dropped
      }
    }
    return toProfile(await core.users.update(me.app_id, me.user_id, patch));
  });

  app.get<{ Querystring: Static<typeof SearchQuery> }>('/users', {
    schema: clientRoute({
      summary: 'Search users of my app', querystring: SearchQuery,
      response: responses(200, Type.Object({ users: Type.Array(UserProfile) })),
    }),
  }, async (req) => {
    const me = userOf(req);
    const rows = await core.users.search(me.app_id, req.query.q, req.query.limit ?? 20);
    return { users: rows.map(toProfile) };
  });

  app.get<{ Params: Static<typeof UserIdParams> }>('/users/:user_id', {
    schema: clientRoute({ summary: "A user's profile and presence", params: UserIdParams, response: responses(200, UserWithPresence) }),
  }, async (req) => {
    const me = userOf(req);
    const user = await core.users.get(me.app_id, req.params.user_id);
    const [presence] = await core.presence.query(me.app_id, [user.user_id]);
    return { ...toProfile(user), online: presence?.online ?? false, platforms: presence?.platforms ?? [] };
  });
}
