import type { Message, SendAck } from '@parley/protocol';
import { ParleyClient, wsConnection, type ConnectionFactory } from '@parley/sdk/node';

/**
 * Steady traffic for the process cluster's fault tests: SDK clients that each
 * send, at a bounded rate, to their partner (1:1) and to one group, with
 * cmids that name the fault phase, and the bookkeeping to check afterwards
 * that every acked message is stored once, in seq order, and reached its
 * recipients (by push / the SDK's gap fill, or by reading history).
 */
export interface Sent {
  phase: string;
  cmid: string;
  from: string;
  conv_id: string;
  recipients: string[];
  ack?: SendAck;
  settled: boolean;
}

export interface Member {
  user: string;
  client: ParleyClient;
  /** msg_id → message, as emitted by the SDK */
  got: Map<string, Message>;
  /** 'message' events that broke seq order or repeated a seq in a conversation */
  orderErrors: string[];
  reconnects: number;
}

const MAX_PENDING = 3;

/** Tries the link URLs in turn, one per (re)connect attempt, starting with the preferred one: a client whose link died lands on the other. */
export function rotatingLinks(urls: string[], first: number): ConnectionFactory {
  let attempt = first;
  return (handlers) => wsConnection(urls[attempt++ % urls.length]!)(handlers);
}

export async function openMember(user: string, token: string, urls: string[], first: number): Promise<Member> {
  const client = new ParleyClient({ connect: rotatingLinks(urls, first), token, platform: 'desktop', reconnect: { minMs: 100, maxMs: 2000 }, requestTimeoutMs: 15_000 });
  const m: Member = { user, client, got: new Map(), orderErrors: [], reconnects: 0 };
  const last = new Map<string, number>();
  client.on('message', (msg) => {
    const prev = last.get(msg.conv_id) ?? 0;
    if (msg.seq <= prev) m.orderErrors.push(`${msg.conv_id}: seq ${msg.seq} after ${prev}`);
    last.set(msg.conv_id, msg.seq);
    m.got.set(msg.msg_id, msg);
  });
  client.on('state', ({ state }) => {
    if (state === 'reconnecting') m.reconnects++;
  });
  await client.connect();
  return m;
}

export const singleConv = (a: string, b: string): string => `s:${[a, b].sort().join(':')}`;

/** Each member sends every `everyMs`, alternating partner and group, never more than MAX_PENDING unacked. */
export class Traffic {
  readonly sent: Sent[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private phase = '';
  private n = 0;
  private readonly pending = new Map<string, number>();

  constructor(private readonly members: Member[], private readonly partner: (user: string) => string, private readonly group: string, private readonly everyMs = 200) {}

  start(phase: string): void {
    this.phase = phase;
    this.timer = setInterval(() => this.tick(), this.everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  of(phase: string): Sent[] {
    return this.sent.filter((s) => s.phase === phase);
  }

  acked(phase: string): Sent[] {
    return this.of(phase).filter((s) => s.ack);
  }

  private tick(): void {
    const everyone = this.members.map((m) => m.user);
    for (const m of this.members) {
      if ((this.pending.get(m.user) ?? 0) >= MAX_PENDING) continue;
      const k = this.n++;
      const toGroup = k % 2 === 1;
      const to = toGroup ? this.group : this.partner(m.user);
      const s: Sent = {
        phase: this.phase, cmid: `${this.phase}-${m.user}-${k}`, from: m.user,
        conv_id: toGroup ? `g:${this.group}` : singleConv(m.user, to),
        recipients: toGroup ? everyone.filter((u) => u !== m.user) : [to], settled: false,
      };
      this.sent.push(s);
      this.pending.set(m.user, (this.pending.get(m.user) ?? 0) + 1);
      m.client.send({ cmid: s.cmid, conv_type: toGroup ? 'group' : 'single', to, type: 'text', content: { text: s.cmid } })
        .then((ack) => (s.ack = ack), () => {})
        .finally(() => {
          s.settled = true;
          this.pending.set(m.user, this.pending.get(m.user)! - 1);
        });
    }
  }
}

export async function until(what: string, probe: () => boolean | Promise<boolean>, ceilingMs: number): Promise<void> {
  const deadline = Date.now() + ceilingMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ceilingMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
