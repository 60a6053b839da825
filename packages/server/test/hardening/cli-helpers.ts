import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI to completion (bounded: killed after `timeoutMs`), with no PARLEY_* variables from the caller. */
export function runCli(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PARLEY_')));
  const proc = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => (stdout += d));
  proc.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => {
    const t = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A start failure as the issue asks: exactly one line on stderr, no stack trace. */
export function oneLine(r: CliResult): string {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== 1) throw new Error(`expected one line on stderr, got ${lines.length}: ${r.stderr}`);
  if (/\n\s+at /.test(r.stderr) || /\bat .*\.(ts|js):\d+/.test(r.stderr)) throw new Error(`stack trace on stderr: ${r.stderr}`);
  return lines[0]!;
}
