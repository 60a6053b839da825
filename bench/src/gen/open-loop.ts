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

/**
 * The measured window shared by the 1:1 and fan-out generators: marks its
 * start and end to the parent (the server's CPU is read between the marks),
 * measures the generator's own CPU over exactly that window, and drives the
 * senders closed-loop (each keeps `window` unacked sends; refills happen on
 * acks, in the caller) or open-loop at `rate`. Returns whether the open loop
 * gave up because the server fell behind, and the generator CPU seconds.
 */
export async function driveWindow<T>(o: {
  mode: 'closed' | 'open';
  warmupMs: number;
  durationMs: number;
  t0: number;
  end: number;
  window: number;
  rate: number;
  maxOutstanding: number;
  units: T[];
  send(unit: T, nowUs: number): void;
  outstanding(): number;
  onLag(us: number): void;
  mark(phase: 'start' | 'end'): void;
}): Promise<{ overloaded: boolean; clientCpuS: () => number }> {
  let cpu0 = process.cpuUsage();
  let clientCpu = 0;
  setTimeout(() => { cpu0 = process.cpuUsage(); o.mark('start'); }, o.warmupMs);
  setTimeout(() => {
    const c = process.cpuUsage(cpu0);
    clientCpu = (c.user + c.system) / 1e6;
    o.mark('end');
  }, o.warmupMs + o.durationMs);
  const clientCpuS = () => clientCpu || (() => { const c = process.cpuUsage(cpu0); return (c.user + c.system) / 1e6; })();
  if (o.mode === 'closed') {
    for (const u of o.units) for (let i = 0; i < o.window; i++) o.send(u, nowUs());
    await sleep(o.warmupMs + o.durationMs);
    return { overloaded: false, clientCpuS };
  }
  const overloaded = await runOpenLoop({
    t0: o.t0, end: o.end, rate: o.rate, maxOutstanding: o.maxOutstanding, outstanding: o.outstanding,
    send: (i, tSched) => { const now = nowUs(); o.onLag(now - tSched); o.send(o.units[i % o.units.length]!, now); },
  });
  return { overloaded, clientCpuS };
}
