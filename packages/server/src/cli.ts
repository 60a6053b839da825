#!/usr/bin/env node
import { ConfigError, helpText, loadOptions } from './config/load-options.js';
import { startPlatform } from './platform.js';
import { appCommand } from './app-admin.js';

/**
 * `parley start [options]` — the composition root's front door. Exits non-zero
 * with a one-line message on bad configuration; drains and flushes on
 * SIGINT/SIGTERM.
 */
async function main(): Promise<void> {
  const [command = 'start', ...rest] = process.argv.slice(2);
  if (command === '--help' || command === '-h' || command === 'help' || rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(helpText() + '\n');
    return;
  }
  if (command !== 'start' && command !== 'app') {
    process.stderr.write(`parley: unknown command "${command}" (try: parley start --help)\n`);
    process.exit(2);
  }
  let options;
  try {
    if (command === 'app') {
      // positional words first (create <id> [name...]), then options
      const firstFlag = rest.findIndex((a) => a.startsWith('--'));
      const words = firstFlag < 0 ? rest : rest.slice(0, firstFlag);
      await appCommand(words, loadOptions({ argv: firstFlag < 0 ? [] : rest.slice(firstFlag), env: process.env }), process.stdout);
      return;
    }
    options = loadOptions({ argv: rest, env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`parley: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const platform = await startPlatform(options);
  process.stdout.write(
    `Parley is running: web client and HTTP API ${platform.httpUrl}/  (API docs ${platform.httpUrl}/docs)\n` +
    `  WebSocket ${platform.wsUrl}   TCP ${options.host}:${platform.tcpPort}   data ${options.data_dir}\n`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    platform.log.info({ signal }, 'shutting down: draining connections and flushing the pending batch');
    const force = setTimeout(() => process.exit(1), 15000);
    force.unref();
    await platform.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`parley: failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
