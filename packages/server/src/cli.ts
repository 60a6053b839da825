#!/usr/bin/env node
import { ConfigError, helpText, loadOptions } from './config/load-options.js';
import type { Options } from './config/options.js';
import { startPlatform, startRole } from './platform.js';
import { appCommand } from './app-admin.js';
import { formatBanner } from './startup/banner.js';
import { describeStartError } from './startup/start-errors.js';

/**
 * `parley start [options]` — the composition root's front door; `parley`
 * alone prints the help. A start that fails for a reason the operator can fix
 * prints one line naming the option (no stack trace) and exits 1 (2 for bad
 * configuration); SIGINT/SIGTERM drain and flush.
 */
async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === undefined || command === '--help' || command === '-h' || command === 'help' || rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(helpText() + '\n');
    return;
  }
  if (command !== 'start' && command !== 'app') fail(`unknown command "${command}" (try: parley --help)`, 2);
  if (command === 'app') {
    // positional words first (create <id> [name...]), then options; --json takes no value
    const json = rest.includes('--json');
    const args = rest.filter((a) => a !== '--json');
    const firstFlag = args.findIndex((a) => a.startsWith('--'));
    const words = firstFlag < 0 ? args : args.slice(0, firstFlag);
    const options = configure(firstFlag < 0 ? [] : args.slice(firstFlag));
    try {
      await appCommand(words, options, process.stdout, { json });
    } catch (err) {
      const line = describeStartError(err);
      if (line === undefined) throw err;
      fail(line, err instanceof ConfigError ? 2 : 1);
    }
    return;
  }

  const options = configure(rest);
  if (options.role !== 'all') return runRole(options);
  let platform;
  try {
    platform = await startPlatform(options);
  } catch (err) {
    const line = describeStartError(err);
    if (line === undefined) throw err;
    fail(line, err instanceof ConfigError ? 2 : 1);
  }
  const defaultApp = await platform.core.apps.get('default').catch(() => undefined);
  process.stdout.write(formatBanner({
    httpUrl: platform.httpUrl, wsUrl: platform.wsUrl, opsUrl: platform.opsUrl ?? platform.httpUrl,
    tcpAddress: `${platform.options.host}:${platform.tcpPort}`, dataDir: platform.options.data_dir,
    credentialsFile: platform.defaultApp?.file ?? `${platform.options.data_dir}/default-app.json`,
    defaultRegistration: defaultApp?.settings.allow_registration,
    ...(platform.defaultApp ? { newDefaultApp: platform.defaultApp } : {}),
  }) + '\n');
  onSignals(platform.log, () => platform.stop());
}

/** `parley start --role link|dispatch|api`: one line per address, then run until SIGINT/SIGTERM. */
async function runRole(options: Options): Promise<void> {
  let role;
  try {
    role = await startRole(options);
  } catch (err) {
    const line = describeStartError(err);
    if (line === undefined) throw err;
    fail(line, err instanceof ConfigError ? 2 : 1);
  }
  const lines = [`parley ${role.role} ${role.id} (boot ${role.bootId}) is running`];
  for (const [label, address] of Object.entries(role.addresses)) lines.push(`  ${label.padEnd(9)} ${address}`);
  if (role.defaultApp) lines.push(`  default app ${role.defaultApp.app_id}, API key ${role.defaultApp.api_key} (shown once; also in ${role.defaultApp.file})`);
  process.stdout.write(lines.join('\n') + '\n');
  onSignals(role.log, () => role.stop());
}

/** SIGINT/SIGTERM: drain and flush once, exit 0; a stop that hangs is cut off after 15 s with exit 1. */
function onSignals(log: { info(o: object, m: string): void }, stopAll: () => Promise<void>): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: draining connections and flushing the pending batch');
    const force = setTimeout(() => process.exit(1), 15000);
    force.unref();
    await stopAll();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

function configure(argv: string[]): Options {
  try {
    return loadOptions({ argv, env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2);
    throw err;
  }
}

function fail(line: string, code: number): never {
  process.stderr.write(`parley: ${line}\n`);
  process.exit(code);
}

main().catch((err) => {
  process.stderr.write(`parley: failed to start (unexpected error, please report): ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
