// A tidier Explore (issue 16 §6) in Chromium: the Policy tab's coverage table fits 1024 px
// without scrolling sideways; "Clear" asks first and Cancel keeps the files; a half-typed
// filter that matches nothing does not flash the empty state; Tab passes the event table
// in one stop. Screenshots of the timeline for a sparse log (most events within 2 s of a
// 10-minute span, and zoomed onto that burst) and a multi-year one, at 1440 and 1024 px,
// light and dark: target/screenshots/tidy-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { strictPage, summaryCounts, forTestFile, corpusSkip, CORPUS, SHOTS } from './harness.mjs';

const SRC = join(CORPUS, 'logs', 'openshift-clo-apiaudit-audit_in.log');
const skip = corpusSkip(SRC, 'tidy explore');
const env = forTestFile(skip);

async function open({ width = 1440, colorScheme = 'light', url = '/' } = {}) {
  const page = await strictPage(env.context, [env.server.origin], { colorScheme });
  await page.setViewportSize({ width, height: 900 });
  await page.goto(env.server.origin + url);
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  return page;
}

async function sample(page) {
  await page.getByTestId('load-sample').click();
  const s = await summaryCounts(page);
  await page.getByTestId('tab-explore').click();
  await page.getByTestId('event-row').first().waitFor();
  return s;
}

/** The corpus events at the times `times(i, n)` (ms), each with its own audit ID. */
function retimed(times) {
  const base = readFileSync(SRC, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  return base.map((e, i) => {
    const t = times(i, base.length);
    return JSON.stringify({ ...e, auditID: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`, requestReceivedTimestamp: new Date(t).toISOString(), stageTimestamp: new Date(t + 3).toISOString() });
  }).join('\n') + '\n';
}

const settled = (page, filter) => page.waitForFunction((f) => {
  const el = document.querySelector('[data-testid=result-count]');
  return el && !el.classList.contains('pending') && el.getAttribute('data-filter') === f;
}, filter, { timeout: 15_000 });

test('coverage table fits 1024 px; Clear asks and Cancel keeps the files', { skip }, async () => {
  const page = await open({ width: 1024 });
  const s = await sample(page);
  await page.getByTestId('tab-policy').click();
  await page.getByTestId('coverage-row').first().waitFor({ timeout: 30_000 });
  const fit = await page.evaluate(() => {
    const t = document.querySelector('[data-testid=coverage-row]').closest('table');
    const over = [];
    for (let el = t; el && el !== document.body; el = el.parentElement) {
      if (el.scrollWidth > el.clientWidth) over.push(`${el.tagName}.${el.className}: ${el.scrollWidth} > ${el.clientWidth}`);
    }
    const doc = document.documentElement;
    return { over, doc: [doc.scrollWidth, doc.clientWidth], table: t.getBoundingClientRect().width };
  });
  assert.deepEqual(fit.over, [], `no box around the coverage table scrolls sideways (${JSON.stringify(fit)})`);
  assert.ok(fit.doc[0] <= fit.doc[1], `the page does not scroll sideways: ${fit.doc}`);
  await mkdir(SHOTS, { recursive: true });
  await page.locator('table.coverage').screenshot({ path: join(SHOTS, 'tidy-coverage-1024-light.png') });

  // Clear: asks first; Cancel (focused, so Enter keeps everything) keeps the files.
  await page.getByTestId('clear').click();
  await page.getByTestId('clear-ask').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'clear-cancel');
  await page.screenshot({ path: join(SHOTS, 'tidy-clear-ask-1024-light.png') });
  await page.getByTestId('clear-cancel').click();
  await page.getByTestId('clear-ask').waitFor({ state: 'detached' });
  assert.equal((await summaryCounts(page)).events, s.events, 'the files stay');
  // Escape cancels too.
  await page.getByTestId('clear').click();
  await page.getByTestId('clear-ask').waitFor();
  await page.keyboard.press('Escape');
  await page.getByTestId('clear-ask').waitFor({ state: 'detached' });
  assert.equal((await summaryCounts(page)).events, s.events);
  // Confirmed: gone.
  await page.getByTestId('clear').click();
  await page.getByTestId('clear-confirm').click();
  await page.getByTestId('load-summary').waitFor({ state: 'detached' });
  assert.equal(await page.getByTestId('drop-zone').count(), 1);
  page.check();
  await page.close();
});

test('a half-typed filter keeps the result; Tab passes the table in one stop', { skip }, async () => {
  const page = await open();
  const s = await sample(page);
  // Count every appearance of the empty state while typing.
  await page.evaluate(() => {
    window.__noMatch = 0;
    window.__held = 0;
    new MutationObserver(() => {
      if (document.querySelector('[data-testid=no-match]')) window.__noMatch += 1;
      if (document.querySelector('[data-testid=held-result]')) window.__held += 1;
    }).observe(document.body, { childList: true, subtree: true });
  });
  const input = page.getByTestId('filter-input');
  await input.click();
  // Slower than the debounce (120 ms), so "verb:d", "verb:de", … are each applied and
  // match nothing on the way to "verb:delete".
  await page.keyboard.type('verb:delete', { delay: 220 });
  await settled(page, 'verb:delete');
  await page.waitForTimeout(300);
  const seen = await page.evaluate(() => [window.__noMatch, window.__held]);
  assert.equal(seen[0], 0, 'the empty state never showed while typing');
  assert.ok(seen[1] > 0, 'the previous result was held while the half-typed term matched nothing');
  assert.ok(Number(await page.getByTestId('result-count').getAttribute('data-events')) > 0);
  // A term that matches nothing, confirmed with Enter: the empty state, at once.
  await input.fill('user:nobody-at-all');
  await input.press('Enter');
  await page.getByTestId('no-match').waitFor({ timeout: 5000 });
  // Typed and left alone: the empty state comes after the pause.
  await input.fill('');
  await input.press('Enter');
  await settled(page, '');
  await input.click();
  await page.keyboard.type('user:zzz', { delay: 30 });
  await page.getByTestId('no-match').waitFor({ timeout: 8000 });
  await input.fill('');
  await input.press('Enter');
  await settled(page, '');
  await page.getByTestId('event-row').first().waitFor();

  // Tab: from the filter to the table, then out of it. Stops inside the events panel:
  // its header controls and the table itself, not each row's buttons.
  await page.getByTestId('event-table').focus();
  const stops = [];
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const where = await page.evaluate(() => {
      const a = document.activeElement;
      return { inTable: !!a?.closest('[data-testid=event-table]'), inPanel: !!a?.closest('.events-panel'), id: a?.dataset?.testid ?? a?.tagName };
    });
    stops.push(where);
    if (!where.inPanel) break;
  }
  assert.ok(!stops.at(-1).inPanel, `Tab left the events panel: ${JSON.stringify(stops)}`);
  assert.equal(stops.filter((x) => x.inTable).length, 0, 'no row button is a Tab stop');
  // Backwards: from past the table, Shift+Tab lands on the table itself.
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset?.testid), 'event-table');
  await page.keyboard.press('ArrowDown');
  await page.locator('[data-testid=event-row].selected').waitFor();
  assert.equal(s.events > 0, true);
  page.check();
  await page.close();
});

async function timelineShots(name, log, { zoom } = {}) {
  for (const [width, colorScheme] of [[1440, 'light'], [1024, 'light'], [1440, 'dark'], [1024, 'dark']]) {
    const page = await open({ width, colorScheme, url: zoom ? `/#from=${zoom[0] * 1000}&to=${zoom[1] * 1000}` : '/' });
    await page.getByTestId('file-input').setInputFiles([{ name: `${name}.log`, mimeType: 'application/json', buffer: Buffer.from(log) }]);
    await summaryCounts(page);
    await page.getByTestId('tab-explore').click();
    await page.getByTestId('timeline').waitFor();
    await page.waitForTimeout(400);
    await mkdir(SHOTS, { recursive: true });
    await page.locator('.explore').screenshot({ path: join(SHOTS, `tidy-timeline-${name}${zoom ? '-zoom' : ''}-${width}-${colorScheme}.png`), clip: undefined });
    page.check();
    await page.close();
  }
}

test('timeline screenshots: sparse burst and multi-year', { skip }, async () => {
  const T = Date.parse('2026-05-04T09:00:00Z');
  // 95 events within 2 s at 09:04:00, 5 spread over the 10 minutes.
  const sparse = retimed((i, n) => (i < n - 5 ? T + 240_000 + Math.floor((i * 2000) / (n - 5)) : T + (i - (n - 5)) * 150_000));
  await timelineShots('sparse', sparse);
  await timelineShots('sparse', sparse, { zoom: [T + 240_000 - 200, T + 242_200] });
  // 100 events over three years.
  const Y = Date.parse('2023-03-10T00:00:00Z');
  const years = retimed((i, n) => Y + Math.floor((i * 3 * 365 * 86_400_000) / n));
  await timelineShots('years', years);
});
