import { parseArgs, USAGE } from './args.js';
import { progress } from './lib/log.js';
import { markdown } from './report/markdown.js';
import { writeReport } from './report/write.js';
import { runBench } from './run.js';
import { runClusterBench } from './cluster-run.js';
import { addMysqlRows, takeStoreFlag } from './scenarios/mysql-store.js';

/**
 * `npm run bench -- [flags]`: runs the scenarios, writes JSON + Markdown +
 * SVG under --out, prints the Markdown, and exits non-zero if any
 * correctness line failed or a scenario could not run (speed never fails it).
 */
async function main(): Promise<number> {
  let args;
  let store: 'sqlite' | 'mysql' = 'sqlite';
  let cluster = false;
  let onlyGiven = false;
  try {
    let rest: string[];
    ({ store, rest } = takeStoreFlag(process.argv.slice(2)));
    // --cluster: the cluster scenarios (cluster-run.ts) instead of the single-process ones
    cluster = rest.includes('--cluster');
    rest = rest.filter((a) => a !== '--cluster');
    onlyGiven = rest.includes('--only');
    args = parseArgs(rest);
  } catch (err) {
    const help = (err as Error).message === 'help';
    process.stderr.write(`${help ? '' : `bench: ${(err as Error).message}\n`}usage: ${USAGE} [--store sqlite|mysql] [--cluster [--only throughput,connections]]\n`);
    return help ? 0 : 2;
  }
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const report = cluster ? await runClusterBench(args, command, onlyGiven) : await runBench(args, command);
  // --store mysql: the same scenarios on MariaDB, beside the SQLite rows of this run.
  if (store === 'mysql') await addMysqlRows(args, report, `${Date.now().toString(36).slice(-5)}m`);
  const files = writeReport(args.out, report);
  process.stdout.write('\n' + markdown(report));
  progress(`wrote ${files.join(', ')}`);
  const failed = report.rows.filter((r) => r.correctness && !r.correctness.ok).length + report.notes.filter((n) => n.includes(' failed: ')).length;
  return failed > 0 ? 1 : 0;
}

main().then((code) => process.exit(code), (err) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
