import { nowUs, sleep } from '../lib/clock.js';

/**
 * Open-loop schedule: the i-th send is due at t0 + i/rate, whatever the
 * server does. A 1 ms tick sends everything that has come due. Sends never
 * wait for the server (ws.send only queues), so lateness against the
 * schedule is the generator's own timer granularity, not server back-pressure:
 * messages carry their actual send time, and the lateness is reported apart
 * (`sched_lag_p99_ms`) to show the generator kept to its schedule.
 * Returns true if it stopped early because the server fell too far behind
 * (more than `maxOutstanding` unanswered sends): that rate is not sustainable.
 */
export async function runOpenLoop(opts: {
  t0: number;
  end: number;
  rate: number;
  maxOutstanding: number;
  send(i: number, tSched: number): void;
  outstanding(): number;
}): Promise<boolean> {
  let issued = 0;
  while (true) {
    const now = nowUs();
    if (now >= opts.end) return false;
    const due = Math.floor(((now - opts.t0) * opts.rate) / 1e6);
    while (issued < due) {
      opts.send(issued, opts.t0 + (issued * 1e6) / opts.rate);
      issued++;
    }
    if (opts.outstanding() > opts.maxOutstanding) return true;
    await sleep(1);
  }
}
