// The true event for every format, in the page (issue "Trust" §2). Events inside an AKS
// diagnostic export (`records[].properties.log` as text), an Elastic AKS-wrapped line, an
// EventList batch file, pretty-printed single events and plain JSON lines are opened one
// by one and exported; each must be that event alone, compared with an independent
// extraction done here in JavaScript (JSON.parse and the wrapper shapes), and the export
// must equal `audit-lens query --events` (the CLI) byte for byte.
// Review finding §3.1: every AKS row showed the first 951 bytes of the file, and
// "Export JSON lines" of the 22 AKS events wrote 22 lines of which none parsed.
// Screenshots: target/screenshots/wrapped-*.png (1440 and 1024 px, light and dark).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, launch, strictPage, summaryCounts, screenshot, cli, corpusSkip, DIST, CORPUS } from './harness.mjs';

const LOGS = join(CORPUS, 'logs');
const skip = corpusSkip(LOGS, 'wrapped-event e2e');
let server, context, dir, files;

/** Every audit event in a file, unwrapped (independent of the engine). */
function eventsOf(text) {
  text = text.replace(/^\uFEFF/, '');
  const out = [];
  const walk = (v) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return;
    for (const k of ['items', 'records', 'logEvents', 'events']) {
      if (Array.isArray(v[k])) { v[k].forEach(walk); return; }
    }
    // A GKE Cloud Audit Logs entry of k8s.io is mapped to an Event (issue 15): its
    // auditID is operation.id; the page's event is the mapping, checked by identity only.
    if (v.protoPayload) { if (v.protoPayload.serviceName === 'k8s.io' && v.timestamp) out.push({ __gke: true, auditID: v.operation?.id ?? v.insertId, stage: v.operation?.first && !v.operation?.last ? 'ResponseStarted' : 'ResponseComplete' }); return; }
    const emb = v.properties?.log ?? (v.auditID === undefined ? (v.message ?? v['@message']) : undefined);
    if (typeof emb === 'string') { try { walk(JSON.parse(emb)); } catch { /* not JSON */ } return; }
    if (emb && typeof emb === 'object') { walk(emb); return; }
    if (v.auditID !== undefined) out.push(v);
  };
  let docs;
  try { docs = [JSON.parse(text)]; } catch {
    docs = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  }
  for (const d of docs) (Array.isArray(d) ? d : [d]).forEach(walk);
  return out;
}

const key = (e) => `${e.auditID}|${e.stage}`;

before(async () => {
  if (skip) return;
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run `trunk build --release` first');
  server = await serve(DIST, ['/']);
  context = await launch();
  dir = await mkdtemp(join(tmpdir(), 'audit-lens-wrapped-'));
  // An EventList batch file (as the webhook backend's batches are logged), made from the
  // first lines of a plain corpus log.
  const plain = readFileSync(join(LOGS, 'audit2rbac-demo-v1.log'), 'utf8').split('\n').filter(Boolean);
  const batches = [plain.slice(0, 3), plain.slice(3, 5)]
    .map((b) => JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: b.map((l) => JSON.parse(l)) }))
    .join('\n') + '\n';
  writeFileSync(join(dir, 'batches.log'), batches);
  files = [
    join(LOGS, 'aks-diagnostic-records-event.json'),
    join(LOGS, 'elastic-integrations-test-kube-audit-aks-wrapped.log'),
    // Events, an AKS record and a GKE entry (mapped to an Event) mixed line by line.
    join(LOGS, 'elastic-integrations-test-audit-mixed-formats.log'),
    join(LOGS, 'openshift-clo-log5607-sample-pretty.json'),
    join(LOGS, 'aks-single-event-pretty-bom.json'),
    join(dir, 'batches.log'),
  ];
});
after(async () => {
  await context?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The event JSON shown in the detail, every folded node unfolded first. */
async function shownJson(page) {
  for (let i = 0; i < 80; i++) {
    const closed = page.getByTestId('event-json').locator('button.jt[aria-expanded=false]');
    if ((await closed.count()) === 0) break;
    await closed.first().click();
  }
  return JSON.parse((await page.getByTestId('event-json').textContent()).replace(/[▾▸]/g, ''));
}

test('wrapped and pretty events open and export as themselves', { skip }, async () => {
  // auditID + stage → the events with it (hand-edited test logs reuse audit IDs).
  const want = new Map();
  let total = 0;
  for (const f of files) {
    for (const e of eventsOf(readFileSync(f, 'utf8'))) {
      if (!want.has(key(e))) want.set(key(e), []);
      want.get(key(e)).push(e);
      total += 1;
    }
  }
  const same = (a, b) => { try { assert.deepEqual(a, b); return true; } catch { return false; } };
  const isOneOf = (e) => (want.get(key(e)) ?? []).some((w) => (w.__gke ? e.kind === 'Event' && e.apiVersion === 'audit.k8s.io/v1' : same(e, w)));
  assert.ok(total >= 34, `${total} events expected`);

  for (const [width, scheme] of [[1440, 'light'], [1024, 'dark']]) {
    const page = await strictPage(context, [server.origin], { colorScheme: scheme });
    await page.setViewportSize({ width, height: 900 });
    await page.goto(server.origin + '/');
    await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
    await page.getByTestId('file-input').setInputFiles(files);
    const s = await summaryCounts(page);
    assert.equal(s.events, total, 'every event of the files, once');
    assert.equal(s.rejected, 0, 'the GKE Cloud Audit Logs entry of the mixed file is mapped to an Event');
    await page.getByTestId('tab-explore').click();
    await page.getByTestId('event-row').first().waitFor();
    // The files span 2017 to 2025: the table's times carry their year.
    assert.match(await page.locator('[data-testid=event-row] .time').first().innerText(), /^20\d\d-\d\d-\d\d \d\d:/);

    if (width === 1440) {
      // Open every event: the detail shows exactly that event.
      const n = Number(await page.getByTestId('result-count').getAttribute('data-events'));
      assert.equal(n, total);
      // The first row by a click, the others with `j` (the open detail follows).
      await page.locator('[data-testid=event-row][data-index="0"]').locator('.time').click();
      for (let i = 0; i < n; i++) {
        if (i > 0) await page.keyboard.press('j');
        await page.waitForFunction((i) => {
          const sel = document.querySelector('[data-testid=event-row].selected');
          const d = document.querySelector('[data-testid=event-detail]');
          return sel && sel.dataset.index === String(i) && d && d.dataset.row === sel.dataset.row
            && document.querySelector('[data-testid=event-json]');
        }, i);
        const d = page.getByTestId('event-detail');
        const id = await d.getAttribute('data-audit-id');
        const stage = await d.getAttribute('data-stage');
        const shown = await shownJson(page);
        assert.equal(`${shown.auditID}|${shown.stage}`, `${id}|${stage}`, `row ${i}: the detail is the row's event`);
        assert.ok(isOneOf(shown), `row ${i}: the event as in its file`);
      }
    }
    // Open an AKS event (from inside its wrapper) for the screenshot.
    await page.getByTestId('filter-input').fill('user:aksService');
    await page.getByTestId('filter-input').press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid=result-count]')?.getAttribute('data-filter') === 'user:aksService');
    await page.getByTestId('event-row').first().locator('.time').click();
    await page.getByTestId('event-reformatted').waitFor();
    assert.match(await page.getByTestId('event-reformatted').innerText(), /unwrapped from its wrapper/);
    await screenshot(page, `wrapped-detail-${width}-${scheme}`);
    await page.keyboard.press('Escape');

    // Export everything: one valid JSON line per event, each equal to its source event,
    // and the same bytes as the CLI's `query --events`.
    await page.getByTestId('filter-input').fill('');
    await page.getByTestId('filter-input').press('Enter');
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid=result-count]')?.dataset.events) === n
      && document.querySelector('[data-testid=result-count]')?.getAttribute('data-filter') === '', total);
    const dl = page.waitForEvent('download');
    await page.getByTestId('export-events').click();
    const exported = readFileSync(await (await dl).path(), 'utf8');
    const lines = exported.split('\n');
    assert.equal(lines.pop(), '', 'ends with a newline');
    assert.equal(lines.length, total, 'one line per event');
    // Each exported line takes one source event out of the pool: all are used, once.
    const pool = new Map([...want].map(([k, v]) => [k, [...v]]));
    for (const l of lines) {
      const e = JSON.parse(l);
      const cands = pool.get(key(e)) ?? [];
      const i = cands.findIndex((w) => (w.__gke ? e.kind === 'Event' && e.apiVersion === 'audit.k8s.io/v1' : same(e, w)));
      assert.ok(i >= 0, `exported ${key(e)} is one of its source events`);
      cands.splice(i, 1);
    }
    assert.equal([...pool.values()].reduce((n, v) => n + v.length, 0), 0, 'every event exported once');
    const native = cli(['query', '--filter', '', '--events', ...files]);
    assert.equal(exported, native, 'the page exports what the CLI prints');
    page.check();
    await page.close();
  }
});

test('the same file twice is loaded once, and says so', { skip }, async () => {
  const page = await strictPage(context, [server.origin]);
  await page.goto(server.origin + '/');
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  const f = join(LOGS, 'audit2rbac-demo-v1.log');
  await page.getByTestId('file-input').setInputFiles([f]);
  const first = await summaryCounts(page);
  assert.equal(first.events, 37);
  // A copy under another name, dropped again: not loaded again, and the page says why.
  const copy = join(dir, 'copy-of-demo.log');
  writeFileSync(copy, readFileSync(f));
  await page.getByTestId('file-input').setInputFiles([copy]);
  await page.waitForFunction(() => document.body.innerText.includes('not loaded again'));
  const again = await summaryCounts(page);
  assert.deepEqual([again.events, again.files], [37, 1]);
  page.check();
  await page.close();
});
