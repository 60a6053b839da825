import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Id, ParleyError, singleConvId } from '@parley/protocol';
import { newMsgId } from '../dispatch/message-pipeline.js';
import type { StoredMessage } from '../store/store.js';
import { appOf } from './auth.js';
import type { RouteDeps } from './route-deps.js';
import { adminRoute, described, responses } from './schemas.js';

/**
 * Diagnostics for operators and the bench, which must see the server only
 * through its protocol and HTTP (no SQL of its own, no import of server code):
 * what this process's event loop has been doing, what a conversation holds in
 * seq order (to check that every acked message is stored once, in order), a
 * bulk import of single-chat history (to seed large data sets quickly), and a
 * wait until every committed message is in the full-text index.
 *
 * Everything is scoped to the API key's app, like every admin route.
 */
const StoredParams = Type.Object({ conv_id: Type.String({ minLength: 1, maxLength: 200 }) });
const StoredQuery = Type.Object({
  user_id: described(Id, 'a member of the conversation: the reader whose view is listed'),
  after: Type.Optional(described(Type.Integer({ minimum: 0 }), 'list seqs above this one (exclusive), oldest first')),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  cmid_prefix: Type.Optional(described(Type.String({ maxLength: 100 }), 'only messages whose cmid starts with this')),
});
const StoredEntry = Type.Object({ seq: Type.Integer(), sender: Type.String(), cmid: Type.String(), type: Type.String() });
const StoredList = Type.Object({
  messages: Type.Array(StoredEntry),
  next_after: described(Type.Union([Type.Integer(), Type.Null()]), 'pass as `after` for the next page; null when this was the last'),
});

const Runtime = Type.Object({
  pid: Type.Integer(),
  uptime_s: Type.Number(),
  event_loop: described(Type.Object({ idle_ms: Type.Number(), active_ms: Type.Number(), utilization: Type.Number() }),
    'cumulative since the process started (performance.eventLoopUtilization): diff two readings for a window'),
  cpu_user_ms: Type.Number(),
  cpu_system_ms: Type.Number(),
  rss_bytes: Type.Integer(),
  heap_used_bytes: Type.Integer(),
});

const ImportItem = Type.Object({
  from: Id,
  to: Id,
  cmid: Type.String({ minLength: 1, maxLength: 128 }),
  text: Type.String({ minLength: 1, maxLength: 10_000 }),
  created_at: Type.Integer({ minimum: 0 }),
}, { additionalProperties: false });
const ImportBody = Type.Object({ messages: Type.Array(ImportItem, { minItems: 1, maxItems: 50_000 }) }, { additionalProperties: false });
const Imported = Type.Object({ stored: Type.Integer(), duplicates: Type.Integer() });

const MiB = 1024 * 1024;

export async function adminDiagnosticsRoutes(app: FastifyInstance, { core, auth }: RouteDeps): Promise<void> {
  app.addHook('onRequest', auth.apiKey);
  const { store, seq } = core.backends;

  app.get('/diagnostics/runtime', {
    schema: adminRoute({ summary: "This process's event loop, CPU and memory", response: responses(200, Runtime) }),
  }, async () => {
    const elu = performance.eventLoopUtilization();
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    return {
      pid: process.pid, uptime_s: process.uptime(),
      event_loop: { idle_ms: elu.idle, active_ms: elu.active, utilization: elu.utilization },
      cpu_user_ms: cpu.user / 1000, cpu_system_ms: cpu.system / 1000, rss_bytes: mem.rss, heap_used_bytes: mem.heapUsed,
    };
  });

  app.get<{ Params: Static<typeof StoredParams>; Querystring: Static<typeof StoredQuery> }>('/diagnostics/conversations/:conv_id/stored', {
    schema: adminRoute({
      summary: 'What a conversation stores, in seq order',
      description: 'Seq, sender, cmid and type of each stored message the member `user_id` can read, oldest first, a page at a time.',
      params: StoredParams, querystring: StoredQuery, response: responses(200, StoredList),
    }),
  }, async (req) => {
    const limit = req.query.limit ?? 1000;
    const rows = await store.history({
      app_id: appOf(req).app_id, conv_id: req.params.conv_id, user_id: req.query.user_id, after: req.query.after ?? 0, limit,
    });
    const prefix = req.query.cmid_prefix;
    const messages = rows
      .filter((m) => prefix === undefined || m.cmid.startsWith(prefix))
      .map((m) => ({ seq: m.seq, sender: m.sender, cmid: m.cmid, type: m.type }));
    return { messages, next_after: rows.length === limit ? rows[rows.length - 1].seq : null };
  });

  app.post<{ Body: Static<typeof ImportBody> }>('/diagnostics/import', {
    bodyLimit: 64 * MiB,
    schema: adminRoute({
      summary: 'Bulk-import single-chat text history',
      description: 'Stores the messages in one transaction, each at the next seq of its conversation (the conversation and its members are created as a send would), '
        + 'without pushes, events or webhooks. For seeding large data sets; a `cmid` already used by its sender is skipped.',
      body: ImportBody, response: responses(200, Imported),
    }),
  }, async (req) => {
    const appId = appOf(req).app_id;
    const routed = new Set<string>();
    const batch: StoredMessage[] = [];
    for (const m of req.body.messages) {
      if (m.from === m.to) throw new ParleyError('invalid_field', 'an imported message needs two different users');
      const convId = singleConvId(m.from, m.to);
      // route() checks both users; open() creates the conversation and its member rows, as a first send does
      if (!routed.has(convId)) {
        await (await core.single.route(appId, m.from, m.to)).open?.();
        routed.add(convId);
      }
      batch.push({
        app_id: appId, conv_id: convId, seq: await seq.next(appId, convId), msg_id: newMsgId(m.created_at),
        sender: m.from, cmid: m.cmid, type: 'text', content: { text: m.text }, status: 'normal', created_at: m.created_at,
      });
    }
    const { duplicates, conflicts } = await store.commitMessages(batch);
    // No events for imported messages (as documented): their outbox rows go at once, or the relay's sweep would
    // publish them all. Not the conflicts' keys: those rows belong to the other writer's messages.
    const taken = new Set(conflicts);
    await store.markEventsPublished(taken.size ? batch.filter((m) => !taken.has(m)) : batch);
    // a seq taken by another writer: nothing is re-sequenced here, the caller imports those again
    if (conflicts.length) throw new ParleyError('unavailable', `${conflicts.length} messages met a seq already used; the others were stored, import them again`);
    return { stored: batch.length - duplicates.length, duplicates: duplicates.length };
  });

  app.post('/diagnostics/search-index/flush', {
    schema: adminRoute({
      summary: 'Wait until every committed message is in the full-text index',
      description: 'The index is written after the commit, in batches (architecture.md); this waits for the backlog. Search is exact meanwhile too.',
      response: responses(200, Type.Object({ flushed: Type.Boolean() })),
    }),
  }, async () => {
    await store.flushSearchIndex?.();
    return { flushed: true };
  });
}
