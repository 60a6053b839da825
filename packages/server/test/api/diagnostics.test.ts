import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, type ApiHarness } from './helpers.js';

describe('admin diagnostics routes (what the bench reads instead of the database)', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApi();
  });
  after(async () => h?.close());

  it('need the API key', async () => {
    for (const [method, url] of [['GET', '/v1/admin/diagnostics/runtime'], ['POST', '/v1/admin/diagnostics/search-index/flush']] as const) {
      const r = await h.req(method, url, { body: method === 'POST' ? {} : undefined });
      assert.equal(r.status, 401, url);
      assert.equal(r.body.error.code, 'api_key_invalid');
    }
  });

  it('runtime: cumulative event-loop and CPU counters that only grow', async () => {
    const a = await h.admin('GET', '/v1/admin/diagnostics/runtime');
    assert.equal(a.pid, process.pid);
    assert.ok(a.event_loop.active_ms >= 0 && a.event_loop.idle_ms >= 0);
    assert.ok(a.event_loop.utilization >= 0 && a.event_loop.utilization <= 1);
    await new Promise((r) => setTimeout(r, 20));
    const b = await h.admin('GET', '/v1/admin/diagnostics/runtime');
    assert.ok(b.event_loop.active_ms + b.event_loop.idle_ms > a.event_loop.active_ms + a.event_loop.idle_ms);
    assert.ok(b.cpu_user_ms + b.cpu_system_ms >= a.cpu_user_ms + a.cpu_system_ms);
  });

  it('import stores texts at the next seqs, skips a reused cmid, and stored lists them in seq order, a page at a time', async () => {
    const tokens = await h.users('d1', 'd2');
    const items = Array.from({ length: 25 }, (_, i) => ({
      from: i % 2 ? 'd2' : 'd1', to: i % 2 ? 'd1' : 'd2', cmid: `imp.${i}`, text: `imported budget line ${i}`, created_at: 1_000 + i,
    }));
    assert.deepEqual(await h.admin('POST', '/v1/admin/diagnostics/import', { messages: items }), { stored: 25, duplicates: 0 });
    assert.deepEqual(await h.admin('POST', '/v1/admin/diagnostics/import', { messages: [items[3]] }), { stored: 0, duplicates: 1 });

    const seen: { seq: number; sender: string; cmid: string; type: string }[] = [];
    let after = 0;
    for (let page = 0; page < 10; page++) {
      const r = await h.admin('GET', `/v1/admin/diagnostics/conversations/s:d1:d2/stored?user_id=d1&after=${after}&limit=10`);
      seen.push(...r.messages);
      if (r.next_after === null) break;
      after = r.next_after;
    }
    assert.deepEqual(seen.map((m) => m.seq), Array.from({ length: 25 }, (_, i) => i + 1));
    assert.deepEqual(seen.map((m) => m.cmid), items.map((m) => m.cmid));
    assert.equal(seen[1].sender, 'd2');
    assert.ok(seen.every((m) => m.type === 'text'));
    const filtered = await h.admin('GET', '/v1/admin/diagnostics/conversations/s:d1:d2/stored?user_id=d1&cmid_prefix=imp.2');
    assert.deepEqual(filtered.messages.map((m: { cmid: string }) => m.cmid), ['imp.2', 'imp.20', 'imp.21', 'imp.22', 'imp.23', 'imp.24']);

    // a user outside the conversation reads nothing
    await h.users('d3');
    const outsider = await h.admin('GET', '/v1/admin/diagnostics/conversations/s:d1:d2/stored?user_id=d3');
    assert.deepEqual(outsider, { messages: [], next_after: null });

    // imported history is what clients read and search
    assert.deepEqual(await h.admin('POST', '/v1/admin/diagnostics/search-index/flush', {}), { flushed: true });
    const tok = tokens.d1;
    const hist = await h.as(tok, 'GET', '/v1/conversations/s:d1:d2/messages?limit=3');
    assert.deepEqual(hist.body.messages.map((m: { seq: number }) => m.seq), [25, 24, 23]);
    const found = await h.as(tok, 'GET', '/v1/search?q=budget%20line%2017');
    assert.deepEqual(found.body.hits.map((m: { seq: number }) => m.seq), [18]);
  });

  it('import leaves no event behind: nothing in the outbox for a sweep to publish', async () => {
    await h.users('d5', 'd6');
    const items = Array.from({ length: 30 }, (_, i) => ({ from: i % 2 ? 'd6' : 'd5', to: i % 2 ? 'd5' : 'd6', cmid: `ev.${i}`, text: `quiet ${i}`, created_at: 2_000 + i }));
    assert.deepEqual(await h.admin('POST', '/v1/admin/diagnostics/import', { messages: items }), { stored: 30, duplicates: 0 });
    const pending = await h.core.backends.store.pendingEvents({ olderThan: Number.MAX_SAFE_INTEGER, limit: 1000 });
    assert.deepEqual(pending.filter((m) => m.conv_id === 's:d5:d6').map((m) => m.seq), []);
    const events: string[] = [];
    const off = await h.core.backends.bus.subscribe(h.appId, async (e) => {
      const conv = (e.data as { message?: { conv_id?: string } }).message?.conv_id;
      if (conv === 's:d5:d6') events.push(e.type);
    });
    h.advance(60_000);
    assert.equal(await h.core.outbox.sweep(), 0, 'the sweep finds nothing to re-publish');
    await h.core.publisher.flush();
    await off();
    assert.deepEqual(events, [], 'no message event for an imported message');
  });

  it('import refuses bad input with catalogued codes', async () => {
    const self = await h.req('POST', '/v1/admin/diagnostics/import', { apiKey: h.apiKey, body: { messages: [{ from: 'd1', to: 'd1', cmid: 'x', text: 'hi', created_at: 1 }] } });
    assert.equal(self.status, 400);
    assert.equal(self.body.error.code, 'invalid_field');
    const unknown = await h.req('POST', '/v1/admin/diagnostics/import', { apiKey: h.apiKey, body: { messages: [{ from: 'd1', to: 'nobody', cmid: 'x', text: 'hi', created_at: 1 }] } });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
    const empty = await h.req('POST', '/v1/admin/diagnostics/import', { apiKey: h.apiKey, body: { messages: [] } });
    assert.equal(empty.status, 400);
  });
});

