// The top-N panels ordered by events or by bytes (issue 14 §1): on the sample, every row
// of the Users panel carries its events and bytes (`data-count`, `data-bytes`), equal to
// an independent sum over the sample's raw lines (an event's size is its line's length) and,
// under a filter, over the exported events; the `panel-sort` toggle orders the panels by
// bytes, draws the bars by bytes and is kept in the URL hash. Screenshots at 1440 and
// 1024 px, light and dark: target/screenshots/panels-bytes-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, launch, strictPage, summaryCounts, screenshot, cli, DIST } from './harness.mjs';

let server, context, dir, sampleLines;

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run `trunk build --release` first');
  server = await serve(DIST, ['/']);
  context = await launch();
  dir = await mkdtemp(join(tmpdir(), 'audit-lens-panels-'));
  const file = join(dir, 'sample-audit.log');
  cli(['generate', '--sample', '-o', file]);
  sampleLines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
});
after(async () => {
  await context?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Per authenticated user: { events, bytes } over JSON lines (bytes = the line's UTF-8 length). */
function perUser(lines) {
  const m = new Map();
  for (const l of lines) {
    const ev = JSON.parse(l);
    const u = ev.user?.username || '(none)';
    const v = m.get(u) ?? { events: 0, bytes: 0 };
    v.events += 1;
    v.bytes += Buffer.byteLength(l, 'utf8');
    m.set(u, v);
  }
  return m;
}

async function settled(page, filter) {
  await page.waitForFunction((f) => {
    const el = document.querySelector('[data-testid=result-count]');
    if (!el || el.classList.contains('pending')) return false;
    if (document.querySelector('[data-testid=top-panels][data-stale=true]')) return false;
    return el.getAttribute('data-filter') === f && document.querySelector('[data-testid=top-user] [data-testid=top-row]');
  }, filter, { timeout: 20_000 });
}

async function userRows(page) {
  return page.getByTestId('top-user').getByTestId('top-row').evaluateAll((rows) => rows.map((r) => ({
    value: r.getAttribute('data-value'),
    events: Number(r.getAttribute('data-count')),
    bytes: Number(r.getAttribute('data-bytes')),
    bar: Number(r.querySelector('meter')?.getAttribute('value')),
  })));
}

async function open(width, colorScheme, hash = '') {
  const page = await strictPage(context, [server.origin], { colorScheme });
  await page.setViewportSize({ width, height: 1000 });
  await page.goto(server.origin + '/' + hash);
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  await page.getByTestId('load-sample').click();
  await summaryCounts(page);
  await page.getByTestId('tab-explore').click();
  await settled(page, '');
  return page;
}

test('panels: bytes per row equal the raw lines; the bytes order is by bytes; kept in the hash', async (t) => {
  const page = await open(1440, 'light');
  t.after(() => page.close().catch(() => {}));
  const want = perUser(sampleLines);
  const sort = page.getByTestId('panel-sort');
  assert.equal(await sort.getAttribute('data-sort'), 'events');
  // Events order: every row's counts and bytes equal the independent sums.
  const byEvents = await userRows(page);
  assert.ok(byEvents.length >= 5, `${byEvents.length} user rows`);
  for (const r of byEvents) assert.deepEqual({ events: r.events, bytes: r.bytes }, want.get(r.value), r.value);
  for (let i = 1; i < byEvents.length; i++) assert.ok(byEvents[i - 1].events >= byEvents[i].events, 'events order');
  await screenshot(page, 'panels-bytes-1440-light-events');

  // Bytes order: the top values by bytes of the raw lines, largest first, bars by bytes.
  await sort.getByRole('button', { name: 'bytes' }).click();
  await page.waitForFunction(() => document.querySelector('[data-testid=panel-sort]')?.getAttribute('data-sort') === 'bytes');
  const byBytes = await userRows(page);
  const expected = [...want.entries()]
    .sort((a, b) => b[1].bytes - a[1].bytes || b[1].events - a[1].events || (a[0] < b[0] ? -1 : 1))
    .slice(0, byBytes.length);
  assert.deepEqual(byBytes.map((r) => [r.value, r.bytes, r.events]), expected.map(([u, v]) => [u, v.bytes, v.events]));
  const total = sampleLines.reduce((n, l) => n + Buffer.byteLength(l, 'utf8'), 0);
  for (const r of byBytes) assert.ok(Math.abs(r.bar - r.bytes / total) < 1e-4, `${r.value}: bar ${r.bar} is its share of the bytes`);
  // The orders differ on the sample (else this test could not tell them apart).
  assert.notDeepEqual(byBytes.map((r) => r.value), byEvents.map((r) => r.value));
  // Every panel follows, not only Users.
  const verbs = await page.getByTestId('top-verb').getByTestId('top-row').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('data-bytes'))));
  assert.deepEqual(verbs, [...verbs].sort((a, b) => b - a));
  assert.match(new URL(page.url()).hash, /tops=bytes/);
  await screenshot(page, 'panels-bytes-1440-light');

  // Under a filter: the bytes per user equal the exported events' lengths.
  const input = page.getByTestId('filter-input');
  await input.fill('code:>=400');
  await input.press('Enter');
  await settled(page, 'code:>=400');
  const dl = page.waitForEvent('download');
  await page.getByTestId('export-events').click();
  const exported = readFileSync(await (await dl).path(), 'utf8').split('\n').filter((l) => l !== '');
  const wantF = perUser(exported);
  const rowsF = await userRows(page);
  assert.ok(rowsF.length > 0);
  for (const r of rowsF) assert.deepEqual({ events: r.events, bytes: r.bytes }, wantF.get(r.value), r.value);
  for (let i = 1; i < rowsF.length; i++) assert.ok(rowsF[i - 1].bytes >= rowsF[i].bytes, 'bytes order under the filter');
  // The CSV export has both metrics.
  const dlCsv = page.waitForEvent('download');
  await page.getByTestId('top-user').getByRole('button', { name: 'CSV' }).click();
  const csv = readFileSync(await (await dlCsv).path(), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'value,events,share,bytes');
  for (const line of csv.slice(1)) {
    const [value, events, , bytes] = line.split(',');
    assert.deepEqual({ events: Number(events), bytes: Number(bytes) }, wantF.get(value), value);
  }
  page.check();
});

test('panels: the bytes order restored from the URL hash; screenshots 1440/1024, light/dark', async () => {
  for (const [width, scheme] of [[1440, 'dark'], [1024, 'light'], [1024, 'dark']]) {
    const page = await open(width, scheme, '#tops=bytes');
    assert.equal(await page.getByTestId('panel-sort').getAttribute('data-sort'), 'bytes');
    const rows = await userRows(page);
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1].bytes >= rows[i].bytes);
    await screenshot(page, `panels-bytes-${width}-${scheme}`);
    page.check();
    await page.close();
  }
});
