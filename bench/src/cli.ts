import { parseArgs, USAGE } from './args.js';
import { progress } from './lib/log.js';
import { markdown } from './report/markdown.js';
import { writeReport } from './report/write.js';
import { runBench } from './run.js';

/**
 * `npm run bench -- [flags]`: runs the scenarios, writes JSON + Markdown +
 * SVG under --out, prints the Markdown, and exits non-zero if any
 * correctness line failed or a scenario could not run (speed never fails it).
 */
async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    const help = (err as Error).message === 'help';
    process.stderr.write(`${help ? '' : `bench: ${(err as Error).message}\n`}usage: ${USAGE}\n`);
    return help ? 0 : 2;
  }
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const report = await runBench(args, command);
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
