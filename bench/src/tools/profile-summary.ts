import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Where a V8 CPU profile's time goes: self time by function and by origin
 * (Parley source file, npm package, Node internals, GC, idle). Used by
 * `npm run bench -- --profile`, and by hand:
 *   node --import tsx bench/src/tools/profile-summary.ts <file.cpuprofile | dir>
 */
interface Frame { functionName: string; url: string; lineNumber: number }
interface Node { id: number; callFrame: Frame; hitCount?: number }
interface Profile { nodes: Node[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

export function originOf(f: Frame): string {
  const name = f.functionName;
  if (name === '(garbage collector)' || name === '(idle)' || name === '(program)') return name;
  const url = f.url;
  if (!url) return '(native / V8 builtins)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const pk = /packages\/([^/]+)\/(?:src|dist)\/(.*)$/.exec(url);
  if (pk) return `parley ${pk[1]}/${pk[2].replace(/\.(js|ts)$/, '')}`;
  return url.replace(/^file:\/\//, '');
}

export interface Summary { total_ms: number; byOrigin: [string, number][]; byFunction: [string, number][] }

export function summarise(p: Profile): Summary {
  const self = new Map<number, number>();
  // time per sample: the delta to the next sample (V8 records deltas before each sample)
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + dt);
  }
  const byOrigin = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const n of p.nodes) {
    const ms = self.get(n.id) ?? 0;
    if (!ms) continue;
    total += ms;
    const origin = originOf(n.callFrame);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + ms);
    const fn = `${n.callFrame.functionName || '(anonymous)'} ${origin}:${n.callFrame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
  }
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return { total_ms: total, byOrigin: sorted(byOrigin), byFunction: sorted(byFunction) };
}

export function summaryMarkdown(title: string, s: Summary, top = 25): string {
  const busy = s.total_ms - (s.byOrigin.find(([o]) => o === '(idle)')?.[1] ?? 0);
  const pct = (ms: number) => `${((ms / Math.max(1, busy)) * 100).toFixed(1)}%`;
  const lines = [`### ${title}`, '', `${(s.total_ms / 1000).toFixed(1)} s profiled, ${(busy / 1000).toFixed(1)} s busy (percentages are of busy time)`, '',
    '| origin | self ms | share |', '|---|---:|---:|'];
  for (const [o, ms] of s.byOrigin.filter(([o]) => o !== '(idle)').slice(0, 20)) lines.push(`| ${o} | ${ms.toFixed(0)} | ${pct(ms)} |`);
  lines.push('', '| function | self ms | share |', '|---|---:|---:|');
  for (const [f, ms] of s.byFunction.filter(([f]) => !f.startsWith('(idle)')).slice(0, top)) lines.push(`| \`${f}\` | ${ms.toFixed(0)} | ${pct(ms)} |`);
  return lines.join('\n') + '\n';
}

/** Every .cpuprofile under dir (one sub-directory per server run), summarised. */
export function summariseDir(dir: string): string {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.cpuprofile')) files.push(p);
    }
  };
  walk(dir);
  return files.sort().map((f) => summaryMarkdown(relative(dir, f), summarise(JSON.parse(readFileSync(f, 'utf8')) as Profile))).join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const target = process.argv[2];
  if (!target) {
    process.stderr.write('usage: profile-summary <file.cpuprofile | dir>\n');
    process.exit(2);
  }
  process.stdout.write(statSync(target).isDirectory() ? summariseDir(target)
    : summaryMarkdown(target, summarise(JSON.parse(readFileSync(target, 'utf8')) as Profile)));
}
