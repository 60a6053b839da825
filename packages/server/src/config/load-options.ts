import { readFileSync } from 'node:fs';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { OptionsSchema, type Options, type OptionName } from './options.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const check = TypeCompiler.Compile(OptionsSchema);
const NAMES = Object.keys(OptionsSchema.properties) as OptionName[];

const flagName = (name: string) => `--${name.replace(/_/g, '-')}`;
const envName = (name: string) => `PARLEY_${name.toUpperCase()}`;

/** Convert a string from a flag or the environment to the option's type. */
function coerce(name: OptionName, raw: string, source: string): unknown {
  const schema = OptionsSchema.properties[name] as { type?: string };
  if (schema.type === 'integer' || schema.type === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`${source}: expected a number, got "${raw}"`);
    return n;
  }
  return raw;
}

export interface LoadInput {
  argv: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * Merge defaults, config file (--config or PARLEY_CONFIG), environment and
 * flags, then validate. Unknown flags, unknown PARLEY_* variables and unknown
 * config-file keys are rejected, so a typo never silently falls back to a default.
 */
export function loadOptions({ argv, env }: LoadInput): Options {
  const merged: Record<string, unknown> = Value.Default(OptionsSchema, {}) as Record<string, unknown>;

  const flags = parseFlags(argv);
  const configPath = flags.config ?? env.PARLEY_CONFIG;
  delete flags.config;
  if (configPath) {
    let file: unknown;
    try {
      file = JSON.parse(readFileSync(configPath, 'utf8'));
    } catch (err) {
      throw new ConfigError(`config file ${configPath}: ${(err as Error).message}`);
    }
    if (!file || typeof file !== 'object' || Array.isArray(file)) throw new ConfigError(`config file ${configPath}: expected a JSON object`);
    for (const [k, v] of Object.entries(file)) {
      if (!NAMES.includes(k as OptionName)) throw new ConfigError(`config file ${configPath}: unknown option "${k}"`);
      merged[k] = v;
    }
  }

  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('PARLEY_') || k === 'PARLEY_CONFIG' || v === undefined) continue;
    const name = k.slice('PARLEY_'.length).toLowerCase() as OptionName;
    if (!NAMES.includes(name)) throw new ConfigError(`environment: unknown variable ${k}`);
    merged[name] = coerce(name, v, k);
  }

  for (const [k, v] of Object.entries(flags)) {
    const name = k.replace(/-/g, '_') as OptionName;
    if (!NAMES.includes(name)) throw new ConfigError(`unknown option --${k} (see --help)`);
    merged[name] = coerce(name, v, `--${k}`);
  }

  if (!check.Check(merged)) {
    const e = check.Errors(merged).First();
    const name = (e?.path.slice(1).split('/')[0] ?? '') as OptionName;
    if (NAMES.includes(name)) {
      throw new ConfigError(`invalid ${flagName(name)} (${name}, ${envName(name)}): got ${JSON.stringify(merged[name])}; allowed: ${allowedValues(name)}`);
    }
    throw new ConfigError(`invalid option ${e?.path.slice(1) ?? ''}: ${e?.message ?? 'invalid'} (got ${JSON.stringify(e?.value)})`);
  }
  return merged as Options;
}

/** A list option (a string or an array: `--mysql-replica`) may be given several times; each adds to the list. */
function isList(key: string): boolean {
  const s = (OptionsSchema.properties as Record<string, { anyOf?: Array<{ type?: string }> }>)[key.replace(/-/g, '_')];
  return s?.anyOf?.some((v) => v.type === 'array') ?? false;
}

function parseFlags(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const set = (key: string, value: string) => {
    out[key] = key in out && isList(key) ? `${out[key]},${value}` : value;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new ConfigError(`unexpected argument "${a}" (see --help)`);
    const eq = a.indexOf('=');
    if (eq > 0) {
      set(a.slice(2, eq), a.slice(eq + 1));
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new ConfigError(`option ${a} needs a value`);
      set(a.slice(2), next);
      i++;
    }
  }
  return out;
}

/** What an option accepts, in words: the literals of a choice, or the type and range of a number. */
export function allowedValues(name: OptionName): string {
  const s = OptionsSchema.properties[name] as { type?: string; anyOf?: Array<{ const?: unknown; type?: string }>; minimum?: number; maximum?: number };
  if (s.anyOf?.every((v) => v.const !== undefined)) return `one of ${s.anyOf.map((v) => String(v.const)).join(', ')}`;
  // A union of types (mysql_replica: one URL or a list of them).
  if (s.anyOf) return s.anyOf.map((v) => (v.type === 'array' ? 'a list of text' : v.type === 'string' ? 'text' : String(v.type))).join(' or ');
  if (s.type === 'integer' || s.type === 'number') {
    const kind = s.type === 'integer' ? 'an integer' : 'a number';
    if (s.minimum !== undefined && s.maximum !== undefined) return `${kind} from ${s.minimum} to ${s.maximum}`;
    if (s.minimum !== undefined) return `${kind} of at least ${s.minimum}`;
    return kind;
  }
  return 'text';
}

export function helpText(): string {
  const lines = [
    'Usage: parley start [options]                       run the platform (`parley` alone prints this help)',
    '       parley app create <app_id> [name] [--json] [options]   add a business line; prints its API key once',
    '       parley app list [--json] [options]',
    '',
    'Starts the Parley platform. With no options: every role in one process on embedded',
    'backends (SQLite file, in-memory location, in-process bus), web client at http://127.0.0.1:8080/.',
    '',
    'Options (flag / environment variable / default), then what it does and the values allowed:',
  ];
  for (const name of NAMES) {
    const s = OptionsSchema.properties[name] as { default?: unknown; description?: string };
    lines.push(`  ${flagName(name).padEnd(22)} ${envName(name).padEnd(26)} default: ${JSON.stringify(s.default)}`);
    const allowed = allowedValues(name);
    lines.push(`      ${s.description ?? ''}${allowed === 'text' ? '' : `; allowed: ${allowed}`}`);
  }
  lines.push('  --config <file>        PARLEY_CONFIG              JSON file with any of the options above (snake_case keys)');
  lines.push('  --help                                            print this text');
  return lines.join('\n');
}
