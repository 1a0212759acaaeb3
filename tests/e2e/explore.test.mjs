// End-to-end tests of the Explore view in Debian's Chromium: load the sample, brush the
// timeline, type filters (counts checked against `audit-lens query`, the same engine run
// natively), filter errors, click a top-N value, open an event and read its JSON, keyboard
// navigation, the URL hash, exports (JSON lines compared byte for byte with the sample's
// lines, CSV, PNG). Screenshots go to target/screenshots/explore-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, launch, strictPage, summaryCounts, screenshot, cli, DIST } from './harness.mjs';

let server, context, dir, sampleFile, sampleLines;

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run `trunk build --release` first');
  server = await serve(DIST, ['/']);
  context = await launch();
  dir = await mkdtemp(join(tmpdir(), 'audit-lens-explore-'));
  sampleFile = join(dir, 'sample-audit.log');
  cli(['generate', '--sample', '-o', sampleFile]);
  sampleLines = readFileSync(sampleFile, 'utf8').split('\n');
});
after(async () => {
  await context?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The native answer: { count, matches: [[file, line], ...] } in time order. */
const nativeQuery = (filter, extra = []) => JSON.parse(cli(['query', '--filter', filter, '--json', ...extra, sampleFile]));

/** The event JSON shown in the detail, every folded node unfolded first. */
async function shownJson(page) {
  for (let i = 0; i < 50; i++) {
    const closed = page.getByTestId('event-json').locator('button.jt[aria-expanded=false]');
    if ((await closed.count()) === 0) break;
    await closed.first().click();
  }
  return JSON.parse((await page.getByTestId('event-json').textContent()).replace(/[▾▸]/g, ''));
}

const count = async (page) => Number(await page.getByTestId('result-count').getAttribute('data-events'));

/** Waits until the settled answer is the one for `filter` (whatever its count), then returns it. */
async function countFor(page, filter) {
  await page.waitForFunction((f) => {
    const el = document.querySelector('[data-testid=result-count]');
    if (!el || el.classList.contains('pending')) return false;
    if (document.querySelector('[data-testid=top-panels][data-stale=true]')) return false;
    return el.getAttribute('data-filter') === f;
  }, filter, { timeout: 15_000 });
  return count(page);
}

/** Waits until the result count differs from `old` (or equals `want`) and the query is settled. */
async function waitCount(page, { not, want }) {
  await page.waitForFunction(({ not, want }) => {
    const el = document.querySelector('[data-testid=result-count]');
    if (!el || el.classList.contains('pending')) return false;
    if (document.querySelector('[data-testid=top-panels][data-stale=true]')) return false;
    const n = Number(el.getAttribute('data-events'));
    return want != null ? n === want : n !== not;
  }, { not, want }, { timeout: 15_000 });
  return count(page);
}

async function openWithSample(url = '/') {
  const page = await strictPage(context, [server.origin]);
  await page.goto(server.origin + url);
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  await page.getByTestId('load-sample').click();
  const s = await summaryCounts(page);
  // A policy draft restored from an earlier page of this profile may have opened the Policy tab.
  await page.getByTestId('tab-explore').click();
  await page.getByTestId('result-count').waitFor();
  await page.getByTestId('event-row').first().waitFor();
  return { page, s };
}

async function setFilter(page, text) {
  const input = page.getByTestId('filter-input');
  await input.fill(text);
  await input.press('Enter');
}

test('explore: timeline brush, filters vs native, top-N, event JSON, keyboard, hash, exports', async (t) => {
  const { page, s } = await openWithSample();
  t.after(() => page.close().catch(() => {}));
  const total = await count(page);
  assert.equal(total, s.events, 'no filter: every event counts');
  assert.equal(total, nativeQuery('').count);
  assert.ok(await page.getByTestId('event-row').count() < 120, 'the table renders only what is in view');
  await screenshot(page, 'explore-overview');

  // Brush: drag across the middle of the chart -> fewer events, a range in the hash.
  const box = await page.getByTestId('timeline').boundingBox();
  const y = box.y + 60;
  await page.mouse.move(box.x + box.width * 0.35, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, y, { steps: 5 });
  await page.mouse.move(box.x + box.width * 0.6, y, { steps: 5 });
  await page.mouse.up();
  const brushed = await waitCount(page, { not: total });
  assert.ok(brushed > 0 && brushed < total, `brushed ${brushed} of ${total}`);
  assert.match(page.url(), /from=\d+&to=\d+/);
  const hash = new URLSearchParams(new URL(page.url()).hash.slice(1));
  const after_ = new Date(Number(hash.get('from')) / 1000).toISOString();
  const before_ = new Date(Number(hash.get('to')) / 1000).toISOString();
  // The same range natively (µs precision is kept by the page; ms by this check: allow ±1 edge event).
  const nat = nativeQuery('', ['--after', after_, '--before', before_]).count;
  assert.ok(Math.abs(nat - brushed) <= 2, `native ${nat} vs page ${brushed} for the brushed range`);
  await page.mouse.move(box.x + box.width * 0.45, box.y + 70);
  await page.getByTestId('timeline-tooltip').waitFor();
  await screenshot(page, 'explore-brushed');
  await page.getByTestId('zoom-out').click();
  assert.equal(await waitCount(page, { want: total }), total, 'zoom out shows everything again');

  // Filters, checked against the native engine.
  // Each count is read from the answer for that very filter (the page carries the filter
  // an answer belongs to), so a count equal to the previous filter's is still checked.
  for (const f of ['verb:get,list', 'code:>=400', '-user:system:* verb:delete,create,patch,update', 'resource:pods/exec', 'ns:kube-system latency:>100ms']) {
    await setFilter(page, f);
    assert.equal(await countFor(page, f), nativeQuery(f).count, `filter ${f}`);
  }
  // Typing is debounced and applied without Enter.
  await page.getByTestId('filter-input').fill('');
  await page.getByTestId('filter-input').pressSequentially('verb:watch', { delay: 20 });
  assert.equal(await waitCount(page, { want: nativeQuery('verb:watch').count }), nativeQuery('verb:watch').count);

  // An error underlines its range and keeps the previous answer on screen.
  const kept = await count(page);
  await setFilter(page, 'verb:watch usr:alice');
  await page.getByTestId('filter-error').waitFor();
  assert.match(await page.getByTestId('filter-error').innerText(), /unknown field "usr:"/);
  assert.equal(await count(page), kept, 'the previous result stays');
  assert.ok(await page.getByTestId('event-row').count() > 0, 'never a blank view');
  await page.locator('.filter-mirror .bad').waitFor();
  await screenshot(page, 'explore-filter-error');

  // Completion: field names, then values; keyboard accepts.
  await page.getByTestId('filter-input').fill('');
  await page.getByTestId('filter-input').pressSequentially('verb:li');
  await page.locator('[data-testid=completion][data-fresh=true]').waitFor();
  await page.getByTestId('filter-input').press('Tab');
  assert.match(await page.getByTestId('filter-input').inputValue(), /^verb:list\s*$/);
  assert.equal(await waitCount(page, { want: nativeQuery('verb:list').count }), nativeQuery('verb:list').count);
  // The help popover lists the fields.
  await page.getByTestId('filter-help-button').click();
  assert.match(await page.getByTestId('filter-help').innerText(), /decision:/);
  await screenshot(page, 'explore-help');
  await page.getByTestId('filter-help-button').click();

  // Click a user in the top-N panel: the filter gains user:X and the count is X's count.
  await setFilter(page, 'code:>=400');
  await waitCount(page, { want: nativeQuery('code:>=400').count });
  const topRow = page.getByTestId('top-user').getByTestId('top-row').first();
  const user = await topRow.getAttribute('data-value');
  const userEvents = Number(await topRow.getAttribute('data-events'));
  await topRow.locator('button.val').click();
  assert.equal(await waitCount(page, { want: userEvents }), userEvents);
  const filter = await page.getByTestId('filter-input').inputValue();
  assert.match(filter, new RegExp(`user:"?${user.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?`));
  assert.equal(nativeQuery(filter).count, userEvents, `native count of ${filter}`);
  // Shift-click excludes.
  const verbRow = page.getByTestId('top-verb').getByTestId('top-row').first();
  const verb = await verbRow.getAttribute('data-value');
  await verbRow.locator('button.val').click({ modifiers: ['Shift'] });
  await page.waitForFunction((v) => document.querySelector('[data-testid=filter-input]').value.includes(`-verb:${v}`), verb);
  const excl = await page.getByTestId('filter-input').inputValue();
  assert.equal(await waitCount(page, { want: nativeQuery(excl).count }), nativeQuery(excl).count);

  // Open an event: its JSON equals the sample's line (the first match in time order).
  await setFilter(page, 'verb:create');
  const created = nativeQuery('verb:create');
  await waitCount(page, { want: created.count });
  await page.getByTestId('event-row').first().locator('.time').click();
  await page.getByTestId('event-json').waitFor();
  const line = sampleLines[created.matches[0][1] - 1];
  assert.deepEqual(await shownJson(page), JSON.parse(line), 'the detail shows the event as in the file');
  assert.ok(await page.getByTestId('rule-why').count() === 1, 'the sample policy is loaded: the deciding rule is shown');
  await screenshot(page, 'explore-detail');
  // Keyboard: j moves the selection (and the open detail follows), Esc closes, Enter opens.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Escape');
  await page.getByTestId('event-detail').waitFor({ state: 'detached' });
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  assert.equal(await page.locator('[data-testid=event-row].selected').getAttribute('data-index'), '2');
  await page.keyboard.press('Enter');
  await page.getByTestId('event-json').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=event-json]')?.textContent.includes('"auditID"'));
  assert.deepEqual(await shownJson(page), JSON.parse(sampleLines[created.matches[2][1] - 1]));
  await page.keyboard.press('Escape');

  // Export the filtered events: byte-identical to the source lines.
  const dl = page.waitForEvent('download');
  await page.getByTestId('export-events').click();
  const file = await (await dl).path();
  const exported = readFileSync(file, 'utf8');
  const want = created.matches.map(([, l]) => sampleLines[l - 1] + '\n').join('');
  assert.equal(exported, want, 'exported JSON lines equal the sample lines');
  // CSV of a top-N table, PNG of the timeline.
  const dlCsv = page.waitForEvent('download');
  await page.getByTestId('top-user').getByRole('button', { name: 'CSV' }).click();
  const csv = readFileSync(await (await dlCsv).path(), 'utf8');
  assert.match(csv, /^value,events,share,bytes\n/);
  const dlPng = page.waitForEvent('download');
  await page.getByTestId('export-png').click();
  const png = readFileSync(await (await dlPng).path());
  assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG');

  // Stack by code class: the legend shows classes; one row per request.
  await setFilter(page, '');
  await waitCount(page, { want: total });
  await page.getByTestId('stack-by').selectOption('code');
  await page.locator('.legend .chip', { hasText: '2xx' }).waitFor();
  await page.getByTestId('per-request').check();
  await page.waitForFunction(() => {
    const el = document.querySelector('[data-testid=result-count]');
    return el && !el.classList.contains('pending') && Number(el.dataset.rows) < Number(el.dataset.events);
  });
  await screenshot(page, 'explore-stacked-requests');
  await page.getByTestId('per-request').uncheck();

  // Nothing matches: an empty state that offers to clear the filter.
  await setFilter(page, 'user:nobody-at-all');
  await page.getByTestId('no-match').waitFor();
  await screenshot(page, 'explore-empty');
  await page.getByTestId('no-match').getByRole('button', { name: 'Clear filter' }).click();
  assert.equal(await waitCount(page, { want: total }), total);

  // The hash restores the view once the same files are loaded.
  await setFilter(page, 'verb:delete');
  await waitCount(page, { want: nativeQuery('verb:delete').count });
  const url = new URL(page.url());
  page.check();
  await page.close();
  const { page: again } = await openWithSample('/' + url.hash);
  assert.equal(await again.getByTestId('filter-input').inputValue(), 'verb:delete');
  assert.equal(await waitCount(again, { want: nativeQuery('verb:delete').count }), nativeQuery('verb:delete').count);
  assert.equal(await again.getByTestId('stack-by').inputValue(), 'code');
  again.check();
  await again.close();
});

test('explore: dark theme and local time render', async () => {
  const page = await strictPage(context, [server.origin], { colorScheme: 'dark' });
  await page.goto(server.origin + '/');
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  await page.getByTestId('load-sample').click();
  await summaryCounts(page);
  await page.getByTestId('tab-explore').click();
  await page.getByTestId('event-row').first().waitFor();
  await page.getByTestId('time-zone').click();
  await page.getByTestId('event-row').first().locator('.time').click();
  await page.getByTestId('event-json').waitFor();
  await screenshot(page, 'explore-dark');
  page.check();
  await page.close();
});
