import type { LinkMetrics } from './link-metrics.js';

/**
 * The link's frame counters, tallied in plain numbers and handed to the
 * metrics once per event-loop turn instead of one prom-client call per frame
 * (a label hash and a map lookup each; a group commit writes hundreds of
 * frames in one turn). A scrape sees every frame counted by the end of the
 * turn it was read or written in. Connection gauges, error counters and UDP
 * events pass straight through (UDP counts are already batched by the listener).
 */
export function tallied(m: LinkMetrics): LinkMetrics {
  let out = 0;
  const inByOp = new Map<string, number>();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (out) m.framesOut.inc(out);
    out = 0;
    for (const [op, n] of inByOp) m.framesIn?.inc({ op }, n);
    inByOp.clear();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };
  return {
    connections: m.connections,
    frameErrors: m.frameErrors,
    udpEvents: m.udpEvents,
    framesOut: { inc: (value = 1) => { out += value; schedule(); } },
    framesIn: m.framesIn && { inc: ({ op }) => { inByOp.set(op, (inByOp.get(op) ?? 0) + 1); schedule(); } },
  };
}
