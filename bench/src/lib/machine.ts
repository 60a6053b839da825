import os from 'node:os';
import { execFileSync } from 'node:child_process';

export interface MachineFacts {
  date: string;
  cpu_model: string;
  cores: number;
  memory_gb: number;
  node: string;
  platform: string;
  git_commit: string;
  /** uncommitted changes in the checkout: the figures belong to that tree, not to the commit alone */
  git_dirty: boolean;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function machineFacts(): MachineFacts {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cpu_model: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memory_gb: Math.round(os.totalmem() / 2 ** 30 * 10) / 10,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    git_commit: git(['rev-parse', '--short=12', 'HEAD']) || 'unknown',
    git_dirty: git(['status', '--porcelain', '--untracked-files=no']).length > 0,
  };
}
