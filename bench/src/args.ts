/**
 * Command-line flags and the sizes of each mode. Quick mode is the CI
 * correctness check (tiny sizes, seconds); full mode is the measurement
 * (about 10–15 minutes on the 2-core reference machine). `--rounds` and
 * `--prefill` override the rounds per headline pair and the pre-fill. Every loop in the
 * suite is bounded by these counts and durations.
 */
export const SCENARIOS = ['throughput', 'latency', 'fanout', 'connections', 'history', 'search', 'peer'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface Sizes {
  warmupMs: number;
  durationMs: number;
  drainMs: number;
  pairs: number;
  window: number;
  textBytes: number;
  fanoutMembers: number;
  fanoutSenders: number;
  fanoutRate: number;
  fanoutWindow: number;
  connections: number;
  connProcs: number;
  connDeadlineMs: number;
  historyConvs: number;
  historyPerConv: number;
  historyUsers: number;
  queries: number;
  /** alternating rounds per headline pair; each side reports its median */
  rounds: number;
  /** 1:1 messages each persisted server handles (unmeasured) before its first measured round */
  prefillMessages: number;
  /** --cluster --only connections: idle connections over `clusterLinks` link processes, and the group message's members */
  clusterConnections: number;
  clusterLinks: number;
  clusterConnDeadlineMs: number;
  groupMembers: number;
}

export const QUICK: Sizes = {
  warmupMs: 200, durationMs: 800, drainMs: 5000, pairs: 4, window: 4, textBytes: 60,
  fanoutMembers: 20, fanoutSenders: 2, fanoutRate: 20, fanoutWindow: 2,
  connections: 200, connProcs: 2, connDeadlineMs: 20_000,
  historyConvs: 20, historyPerConv: 60, historyUsers: 10, queries: 20, rounds: 1, prefillMessages: 0,
  clusterConnections: 500, clusterLinks: 2, clusterConnDeadlineMs: 60_000, groupMembers: 40,
};

export const FULL: Sizes = {
  warmupMs: 3000, durationMs: 12_000, drainMs: 15_000, pairs: 50, window: 10, textBytes: 60,
  fanoutMembers: 500, fanoutSenders: 4, fanoutRate: 40, fanoutWindow: 4,
  connections: 20_000, connProcs: 4, connDeadlineMs: 120_000,
  historyConvs: 10_000, historyPerConv: 100, historyUsers: 2_000, queries: 2_000, rounds: 3, prefillMessages: 60_000,
  // 6 links × ~16,700: under each process's 20,000-descriptor limit, with room for its own engine connections
  clusterConnections: 100_000, clusterLinks: 6, clusterConnDeadlineMs: 420_000, groupMembers: 1000,
};

export interface Args {
  quick: boolean;
  only: Scenario[];
  sizes: Sizes;
  out: string;
  /** run Parley under `node --cpu-prof` and summarise where its time goes */
  profile: boolean;
  fromSource: boolean;
}

export function parseArgs(argv: string[]): Args {
  let quick = false;
  let only: Scenario[] = [...SCENARIOS];
  let duration: number | null = null;
  let out = 'bench/results';
  let profile = false;
  let fromSource = false;
  let rounds: number | null = null;
  let prefill: number | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') quick = true;
    else if (a === '--only') {
      only = val().split(',').map((s) => s.trim()).filter(Boolean) as Scenario[];
      const bad = only.filter((s) => !SCENARIOS.includes(s));
      if (bad.length) throw new Error(`unknown scenario ${bad.join(', ')} (known: ${SCENARIOS.join(', ')})`);
    } else if (a === '--duration') duration = Number(val());
    else if (a === '--out') out = val();
    else if (a === '--rounds') rounds = Number(val());
    else if (a === '--prefill') prefill = Number(val());
    else if (a === '--profile') profile = true;
    else if (a === '--from-source') fromSource = true;
    else if (a === '--help' || a === '-h') throw new Error('help');
    else throw new Error(`unknown flag ${a}`);
  }
  const sizes = { ...(quick ? QUICK : FULL) };
  if (duration !== null) {
    if (!(duration > 0 && duration <= 600)) throw new Error('--duration is seconds per measured window, 0 < d ≤ 600');
    sizes.durationMs = duration * 1000;
  }
  if (rounds !== null) {
    if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 9)) throw new Error('--rounds is 1..9');
    sizes.rounds = rounds;
  }
  if (prefill !== null) {
    if (!(Number.isInteger(prefill) && prefill >= 0 && prefill <= 1_000_000)) throw new Error('--prefill is 0..1000000 messages');
    sizes.prefillMessages = prefill;
  }
  return { quick, only, sizes, out, profile, fromSource };
}

export const USAGE = `npm run bench -- [--quick] [--only ${SCENARIOS.join(',')}] [--duration <s>] [--rounds <n>] [--prefill <messages>] [--out bench/results] [--profile] [--from-source]`;
