import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, helpText, loadOptions } from '../../src/config/load-options.js';
import { OptionsSchema } from '../../src/config/options.js';

describe('options', () => {
  it('defaults start everything embedded', () => {
    const o = loadOptions({ argv: [], env: {} });
    assert.equal(o.role, 'all');
    assert.equal(o.store, 'sqlite');
    assert.equal(o.http_port, 8080);
    assert.equal(o.tcp_port, 8081);
  });

  it('flags beat environment, which beats the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-cfg-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ http_port: 9001, tcp_port: 9002, heartbeat_ms: 5000 }));
    const o = loadOptions({ argv: ['--config', file, '--http-port', '9100'], env: { PARLEY_HTTP_PORT: '9050', PARLEY_TCP_PORT: '9051' } });
    assert.equal(o.http_port, 9100);
    assert.equal(o.tcp_port, 9051);
    assert.equal(o.heartbeat_ms, 5000);
    assert.equal(loadOptions({ argv: ['--log-level=debug'], env: {} }).log_level, 'debug');
  });

  it('rejects unknown and invalid options with a message naming them', () => {
    assert.throws(() => loadOptions({ argv: ['--htp-port', '1'], env: {} }), (e: Error) => e instanceof ConfigError && /htp-port/.test(e.message));
    assert.throws(() => loadOptions({ argv: [], env: { PARLEY_NOPE: '1' } }), /PARLEY_NOPE/);
    assert.throws(() => loadOptions({ argv: ['--http-port', 'abc'], env: {} }), /expected a number/);
    assert.throws(() => loadOptions({ argv: ['--http-port', '70000'], env: {} }), /http_port/);
    assert.throws(() => loadOptions({ argv: ['--store', 'oracle'], env: {} }), /store/);
    assert.throws(() => loadOptions({ argv: ['--http-port'], env: {} }), /needs a value/);
    const dir = mkdtempSync(join(tmpdir(), 'parley-cfg-'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ colour: 'blue' }));
    assert.throws(() => loadOptions({ argv: ['--config', join(dir, 'bad.json')], env: {} }), /unknown option "colour"/);
  });

  it('--help and the errors describe every option\'s allowed values in words', () => {
    assert.doesNotMatch(helpText(), /undefined/);
    const dir = mkdtempSync(join(tmpdir(), 'parley-cfg-'));
    writeFileSync(join(dir, 'r.json'), JSON.stringify({ mysql_replica: 5 }));
    assert.throws(() => loadOptions({ argv: ['--config', join(dir, 'r.json')], env: {} }), /mysql_replica.*allowed: text or a list of text$/);
  });

  it('every option is in --help and in docs/configuration.md', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../../../docs/configuration.md', import.meta.url)), 'utf8');
    const help = helpText();
    for (const name of Object.keys(OptionsSchema.properties)) {
      assert.match(doc, new RegExp(`\\| \`${name}\` \\|`), `${name} missing from docs/configuration.md`);
      assert.ok(help.includes(`--${name.replace(/_/g, '-')}`), `${name} missing from --help`);
    }
  });
});
