import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CLIENT_OPS, ERROR_CODES, ERRORS, SERVER_OPS } from '../src/index.js';

const doc = readFileSync(fileURLToPath(new URL('../../../docs/protocol.md', import.meta.url)), 'utf8');

/** Each row of the error table: | `code` | status | yes/no | ... */
function documentedErrors(): Map<string, { status: number; retryable: boolean }> {
  const rows = new Map<string, { status: number; retryable: boolean }>();
  for (const m of doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| (yes|no) \|/gm)) {
    rows.set(m[1]!, { status: Number(m[2]), retryable: m[3] === 'yes' });
  }
  return rows;
}

describe('docs/protocol.md matches the protocol package', () => {
  it('documents every error code with its status and retry flag', () => {
    const rows = documentedErrors();
    for (const code of ERROR_CODES) {
      const row = rows.get(code);
      assert.ok(row, `error code ${code} is not in the table of docs/protocol.md`);
      assert.equal(row.status, ERRORS[code].status, `${code}: documented status`);
      assert.equal(row.retryable, ERRORS[code].retryable, `${code}: documented retryable`);
    }
    for (const code of rows.keys()) assert.ok(ERROR_CODES.includes(code as never), `docs list ${code}, which the catalogue does not have`);
  });

  it('documents every client op and server push', () => {
    for (const op of [...CLIENT_OPS, ...SERVER_OPS]) assert.match(doc, new RegExp(`\\| \`${op}\` \\|`), `op ${op} is not documented`);
  });
});
