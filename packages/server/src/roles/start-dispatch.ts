import type { Logger } from 'pino';
import type { Options } from '../config/options.js';
import { createCore } from '../core.js';
import type { Metrics } from '../metrics.js';
import type { Registry } from '../registry/registry.js';
import { loadOrCreateSigningKeys } from '../auth/keys.js';
import { TokenIssuer } from '../auth/token-issuer.js';
import { hashPassword, verifyPassword } from '../auth/password.js';
import { systemClock } from '../services/clock.js';
import { roleDispatchSide } from './role-transport.js';
import type { Backends } from '../core.js';
import { advertised, keysDir, newBootId, roleId, type RunningRole } from './running-role.js';

/**
 * `parley start --role dispatch`: the message pipeline behind an internal TCP
 * listener that every link dials (one connection per link, both directions).
 * Announced in the registry once it listens; on stop it leaves without the
 * clients noticing: new frames are left unanswered (the links re-send them
 * to another dispatcher), what is in flight is committed and acked, the
 * connections are flushed and closed (the links re-open these sessions
 * elsewhere), then it deregisters and closes its engines.
 */
export async function startDispatchRole(o: Options, deps: {
  backends: Backends; registry: Registry; log: Logger; metrics: Metrics; closeBackends: () => Promise<void>;
}): Promise<RunningRole> {
  const { backends, registry, log, metrics } = deps;
  const id = roleId(o.node_id, 'dispatch');
  const bootId = newBootId();
  // Dispatch issues no tokens today, but the core's user service is built with the issuer: the same keys as the api's.
  const keys = await loadOrCreateSigningKeys(keysDir(o));
  const { side, listen } = await roleDispatchSide(o, { id, bootId, sessions: true, onError: (err) => log.error({ err }, 'transport handler failed') });
  const core = createCore({
    backends, transport: side, tokens: new TokenIssuer({ keys, ttlSec: o.token_ttl_sec }),
    passwords: { hash: hashPassword, verify: verifyPassword },
    options: { commitWindowMs: o.commit_window_ms, commitMaxBatch: o.commit_max_batch, commitDeadlineMs: o.commit_deadline_ms, maxContentBytes: o.max_content_bytes },
    clock: systemClock, log, metrics,
  });
  // Events committed but never published (a dispatcher or api killed after the ack) go out from any live one.
  core.outbox.start();
  const bound = await listen();
  // --transport nats: links reach it through NATS, there is no address to announce
  const address = bound && advertised(o, Number(bound.slice(bound.lastIndexOf(':') + 1)));
  await registry.announce({ role: 'dispatch', id, boot_id: bootId, address, started_at: Date.now() });
  log.info({ id, boot_id: bootId, address }, 'dispatch role started');

  let stopping: Promise<void> | undefined;
  return {
    role: 'dispatch', id, bootId, log, addresses: address ? { dispatch: address } : { nats: `${o.nats_subject_prefix}.t.up.${id}` },
    stop() {
      stopping ??= (async () => {
        await core.dispatcher.leave();
        await core.committer.flush();
        await core.publisher.flush();
        await core.outbox.close();
        await registry.close();
        core.plane.close();
        await deps.closeBackends();
      })();
      return stopping;
    },
  };
}
