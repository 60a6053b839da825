import type { SeqAllocator } from '../seq/seq-allocator.js';

interface Waiter {
  resolve(seq: number): void;
  reject(err: unknown): void;
}

interface Conversation {
  queue: Waiter[];
  busy: boolean;
}

/**
 * Seqs of one conversation handed out in the order they were asked for,
 * whatever order the allocator answers in. An allocator promises increasing,
 * never reused numbers, not that concurrent calls answer in call order (a
 * Redis allocator refilling its block does not), and a connection's messages
 * must keep their order.
 *
 * Requests are gathered in groups: while one group's calls are in flight,
 * new requests wait; when the group is answered its numbers are sorted and
 * given to its requests in the order they came, then the next group starts.
 * A later group's numbers are all above an earlier group's (its calls start
 * after the earlier ones answered), so order holds across groups too, and
 * under load a group holds many calls at once (no round trip per message).
 * Groups are capped below an allocator's usual block size: a burst of calls
 * larger than the block makes a block allocator refill and retry the rest
 * again and again.
 */
const MAX_GROUP = 64;

export class OrderedSeq {
  private readonly convs = new Map<string, Conversation>();

  constructor(private readonly seq: SeqAllocator) {}

  next(appId: string, convId: string): Promise<number> {
    const k = `${appId}\u0000${convId}`;
    let c = this.convs.get(k);
    if (!c) this.convs.set(k, (c = { queue: [], busy: false }));
    const conv = c;
    const p = new Promise<number>((resolve, reject) => conv.queue.push({ resolve, reject }));
    if (!conv.busy) {
      conv.busy = true;
      // Started a microtask later, so the requests of one burst go out as one group.
      queueMicrotask(() => void this.run(k, conv, appId, convId));
    }
    return p;
  }

  private async run(k: string, conv: Conversation, appId: string, convId: string): Promise<void> {
    while (conv.queue.length) {
      const group = conv.queue.splice(0, MAX_GROUP);
      // (a promise executor turns a synchronous throw into a rejection, so no waiter is left hanging)
      const answers = await Promise.allSettled(group.map(() => new Promise<number>((r) => r(this.seq.next(appId, convId)))));
      const numbers = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : [])).sort((x, y) => x - y);
      const failure = answers.find((a): a is PromiseRejectedResult => a.status === 'rejected');
      // The earliest requests get the numbers; if some calls failed, the latest requests fail with them.
      group.forEach((w, i) => (i < numbers.length ? w.resolve(numbers[i]!) : w.reject(failure!.reason)));
    }
    conv.busy = false;
    this.convs.delete(k);
  }
}
