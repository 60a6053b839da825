import { Type, type Static, type TSchema } from '@sinclair/typebox';

/**
 * Every option of the platform, with its default and description. Options
 * come from (lowest to highest precedence) defaults, a config file (JSON),
 * environment variables PARLEY_<NAME> and command-line flags --<name-with-dashes>.
 * docs/configuration.md lists them; `parley --help` prints them from here.
 */
const opt = <T extends TSchema>(schema: T, description: string, env = true) =>
  ({ ...schema, description, 'x-env': env }) as T;

export const OptionsSchema = Type.Object({
  role: opt(Type.Union([Type.Literal('all'), Type.Literal('link'), Type.Literal('dispatch'), Type.Literal('api')], { default: 'all' }),
    'which roles this process runs: all (one process), link, dispatch or api'),
  data_dir: opt(Type.String({ default: './data' }), 'directory for the SQLite file, signing keys, uploads and the default app credentials'),
  host: opt(Type.String({ default: '127.0.0.1' }), 'address to listen on (use 0.0.0.0 to accept remote clients)'),
  http_port: opt(Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }), 'HTTP API, web client and WebSocket (/ws) port'),
  tcp_port: opt(Type.Integer({ minimum: 0, maximum: 65535, default: 8081 }), 'TCP client port (length-prefixed JSON frames)'),
  udp_port: opt(Type.Integer({ minimum: -1, maximum: 65535, default: -1 }), 'UDP client port (acknowledged MessagePack datagrams); -1 turns UDP off, 0 picks a free port'),
  store: opt(Type.Union([Type.Literal('sqlite'), Type.Literal('mysql')], { default: 'sqlite' }), 'message and domain store backend'),
  sqlite_path: opt(Type.String({ default: '' }), 'SQLite file (default <data_dir>/parley.db)'),
  sqlite_commit: opt(Type.Union([Type.Literal('worker'), Type.Literal('inline')], { default: 'worker' }),
    'where SQLite group commits (and the full-text indexing after them) run: the main thread, or a worker thread with its own connection'),
  location: opt(Type.Union([Type.Literal('memory'), Type.Literal('redis')], { default: 'memory' }), 'location/presence backend'),
  seq: opt(Type.Union([Type.Literal('memory'), Type.Literal('redis')], { default: 'memory' }), 'sequence allocator backend'),
  bus: opt(Type.Union([Type.Literal('memory'), Type.Literal('nats')], { default: 'memory' }), 'event bus backend'),
  control: opt(Type.Union([Type.Literal('memory'), Type.Literal('redis')], { default: 'memory' }), 'control plane backend (cache invalidations, revocations, kicks across processes)'),
  transport: opt(Type.Union([Type.Literal('inproc'), Type.Literal('tcp'), Type.Literal('nats')], { default: 'inproc' }), 'link ↔ dispatch transport (nats: the seed\'s v1, for the comparison bench)'),
  commit_window_ms: opt(Type.Number({ minimum: 0, maximum: 100, default: 2 }), 'group commit: how long dispatch gathers messages into one transaction'),
  commit_deadline_ms: opt(Type.Integer({ minimum: 500, maximum: 600000, default: 5000 }), 'a message is committed within this long of its seq being allocated, or refused (unavailable) and resent; clients hold a young hole this long at most. Same value on every process'),
  commit_max_batch: opt(Type.Integer({ minimum: 1, maximum: 10000, default: 512 }), 'group commit: most messages per transaction'),
  max_frame_bytes: opt(Type.Integer({ minimum: 1024, maximum: 16777216, default: 65536 }), 'largest client frame accepted'),
  max_content_bytes: opt(Type.Integer({ minimum: 256, maximum: 1048576, default: 16384 }), 'largest message content (JSON bytes)'),
  rate_per_sec: opt(Type.Number({ minimum: 1, default: 50 }), 'frames per second allowed per connection (token bucket rate)'),
  rate_burst: opt(Type.Integer({ minimum: 1, default: 100 }), 'burst size of the per-connection token bucket'),
  api_rate_per_sec: opt(Type.Number({ minimum: 1, default: 200 }), 'HTTP requests per second allowed per API key or user token'),
  heartbeat_ms: opt(Type.Integer({ minimum: 1000, default: 30000 }), 'clients ping at least this often; silent connections close after twice this'),
  auth_timeout_ms: opt(Type.Integer({ minimum: 100, default: 10000 }), 'time a new connection has to authenticate'),
  send_buffer_bytes: opt(Type.Integer({ minimum: 65536, default: 4194304 }), 'per-connection send buffer before a slow consumer is disconnected'),
  token_ttl_sec: opt(Type.Integer({ minimum: 60, default: 604800 }), 'lifetime of user tokens'),
  upload_max_bytes: opt(Type.Integer({ minimum: 1024, default: 10485760 }), 'largest upload accepted by POST /v1/uploads'),
  log_level: opt(Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }), 'pino log level'),
  web_dir: opt(Type.String({ default: '' }), 'directory of the built web client served at / (default: the bundled packages/web/dist)'),
  mysql_primary: opt(Type.String({ default: '' }), 'mysql://user:pass@host:port/db of the primary: all writes (store=mysql)'),
  mysql_replica: opt(Type.Union([Type.String(), Type.Array(Type.String())], { default: '' }),
    'replicas for history pages, search and the conversation list: comma-separated mysql:// URLs or the flag repeated (a JSON array in the config file); none: the primary'),
  mysql_pool_size: opt(Type.Integer({ minimum: 1, maximum: 1000, default: 10 }), 'connections per MySQL server (store=mysql)'),
  mysql_replica_max_lag_ms: opt(Type.Integer({ minimum: 0, default: 5000 }), 'a replica lagging more than this is skipped until it catches up (store=mysql)'),
  redis_url: opt(Type.String({ default: 'redis://127.0.0.1:6379' }), 'Redis for location/seq/registry'),
  redis_prefix: opt(Type.String({ default: 'parley:' }), 'prefix of every Redis key and channel Parley uses (clusters sharing one Redis need different ones)'),
  nats_url: opt(Type.String({ default: 'nats://127.0.0.1:4222' }), 'NATS JetStream for the event bus'),
  nats_stream: opt(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', default: 'PARLEY_EVENTS' }), 'JetStream stream of the event bus (bus=nats; created if missing)'),
  nats_subject_prefix: opt(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', default: 'parley' }), 'events go to <prefix>.<app>.events (bus=nats; streams sharing one NATS need different ones)'),
  ops_token: opt(Type.String({ default: '' }), 'when set, GET /metrics and /docs need Authorization: Bearer <ops_token>'),
  ops_port: opt(Type.Integer({ minimum: -1, maximum: 65535, default: -1 }), '-1: /metrics and /docs on the HTTP port; otherwise they move to a separate listener on this port (0: any free port) at --ops-host'),
  ops_host: opt(Type.String({ default: '127.0.0.1' }), 'address of the ops listener (ops_port ≥ 0)'),
  registry: opt(Type.Union([Type.Literal('memory'), Type.Literal('redis')], { default: 'memory' }),
    'service registry: how links, dispatchers and api processes find each other (separate roles need redis)'),
  dispatch_port: opt(Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
    'internal TCP listener that links dial (role=dispatch and role=api; 0: any free port)'),
  dispatch_host: opt(Type.String({ default: '127.0.0.1' }), 'address of the internal TCP listener (role=dispatch and role=api)'),
  advertise_host: opt(Type.String({ default: '' }),
    'host name or address other machines reach this process at, published in the registry (default: dispatch_host; needed when it is 0.0.0.0)'),
  keys_dir: opt(Type.String({ default: '' }),
    'signing keys directory (default <data_dir>/keys): api and dispatch need the private key, a link only public.jwks.json'),
  node_id: opt(Type.String({ default: '' }), 'stable id of this dispatch or api process in the registry (default: random per start)'),
  link_id: opt(Type.String({ default: '' }), 'stable id of this link process (default: random per start)'),
}, { additionalProperties: false });

export type Options = Static<typeof OptionsSchema>;
export type OptionName = keyof Options;

/** A list option given as one comma-separated string (flag, environment) or an array (config file). */
export function listOption(v: string | string[]): string[] {
  return (Array.isArray(v) ? v : v.split(',')).map((x) => x.trim()).filter((x) => x.length > 0);
}
