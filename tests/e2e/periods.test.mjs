// Compare two periods (issue 16 §5) in Chromium: a log made from the corpus' 100 OpenShift
// events with rewritten times — hour A holds all of them, hour B drops one agent's events,
// repeats the reads three times and adds a new user — compared by the page and by a plain
// JS scan of the same lines (new / gone / ≥2× by events per hour); the presets; clicking a
// row shows exactly its events; two files compared as file sets. Screenshots of the view
// at 1440 and 1024 px, light and dark, go to target/screenshots/periods-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { strictPage, summaryCounts, screenshot, forTestFile, corpusSkip, CORPUS } from './harness.mjs';

const SRC = join(CORPUS, 'logs', 'openshift-clo-apiaudit-audit_in.log');
const skip = corpusSkip(SRC, 'compare periods');
const env = forTestFile(skip);

const T0 = Date.parse('2026-03-01T10:00:00Z'); // ms
const HOUR = 3_600_000;
const GONE_AGENT = 'cluster-version-operator';
let seq = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;

/** The corpus events re-timed: `n` events spread evenly over the hour from `start`. */
function spread(events, start) {
  return events.map((e, i) => {
    const t = start + Math.floor((i * HOUR) / events.length);
    return { ...e, auditID: uuid(), requestReceivedTimestamp: new Date(t).toISOString(), stageTimestamp: new Date(t + 7).toISOString() };
  });
}

function build() {
  const base = readFileSync(SRC, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  const a = spread(base, T0);
  const bEvents = [];
  for (const e of base) {
    if ((e.userAgent ?? '').toLowerCase().startsWith(GONE_AGENT + '/')) continue; // gone in B
    const n = e.verb === 'get' ? 3 : 1; // reads ×3 in B
    for (let k = 0; k < n; k++) bEvents.push(e);
  }
  for (let k = 0; k < 5; k++) bEvents.push({ ...base[k], user: { username: 'mallory', groups: ['system:authenticated'] }, userAgent: 'curl/8.5.0' });
  const b = spread(bEvents, T0 + HOUR);
  return { a, b };
}

/** What a scan of the events says (the page's dimensions, as a person would count them). */
function dims(e) {
  const o = e.objectRef ?? {};
  let res = o.resource ?? '';
  if (!res) res = '(non-resource)';
  else {
    if (o.apiGroup) res += '.' + o.apiGroup;
    if (o.subresource) res += '/' + o.subresource;
  }
  const ua = e.userAgent ?? '';
  return [
    ['user', e.user?.username || '(none)'],
    ['agent', ua ? ua.split('/')[0].toLowerCase() : '(none)'],
    ['verb', e.verb],
    ['resource', res],
    ['code', e.responseStatus?.code != null ? String(e.responseStatus.code) : '(none)'],
  ];
}

/** kind|value -> [a, b, change] for values new, gone or changed ≥2× per hour. */
function expected(aEvents, bEvents, aHours, bHours) {
  const m = new Map();
  const add = (evs, i) => evs.forEach((e) => dims(e).forEach(([k, v]) => {
    const key = `${k}|${v}`;
    const c = m.get(key) ?? [0, 0];
    c[i] += 1;
    m.set(key, c);
  }));
  add(aEvents, 0);
  add(bEvents, 1);
  const out = new Map();
  for (const [key, [x, y]] of m) {
    let ch;
    if (x === 0) ch = 'new';
    else if (y === 0) ch = 'gone';
    else {
      const f = (y / bHours) / (x / aHours);
      if (f >= 2) ch = 'up';
      else if (f <= 0.5) ch = 'down';
      else continue;
    }
    out.set(key, [x, y, ch]);
  }
  return out;
}

async function shownRows(page) {
  return page.$$eval('[data-testid=compare-row]', (rows) => rows.map((r) => ({
    kind: r.dataset.kind, value: r.dataset.value, a: Number(r.dataset.a), b: Number(r.dataset.b), change: r.dataset.change, term: r.dataset.term,
  })));
}

const asMap = (rows) => new Map(rows.map((r) => [`${r.kind}|${r.kind === 'agent' ? r.value.toLowerCase() : r.value}`, [r.a, r.b, r.change]]));

async function waitReady(page) {
  await page.waitForFunction(() => document.querySelector('[data-testid=compare-view]')?.dataset.state === 'ready', null, { timeout: 20_000 });
}

async function settledCount(page, filter) {
  await page.waitForFunction((f) => {
    const el = document.querySelector('[data-testid=result-count]');
    return el && !el.classList.contains('pending') && el.getAttribute('data-filter') === f;
  }, filter, { timeout: 15_000 });
  return Number(await page.getByTestId('result-count').getAttribute('data-events'));
}

async function open(url, files, { width = 1440, colorScheme = 'light' } = {}) {
  const page = await strictPage(env.context, [env.server.origin], { colorScheme });
  await page.setViewportSize({ width, height: 900 });
  await page.goto(env.server.origin + url);
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  await page.getByTestId('file-input').setInputFiles(files);
  await summaryCounts(page);
  await page.getByTestId('tab-explore').click();
  await page.getByTestId('event-row').first().waitFor();
  return page;
}

const file = (name, events) => ({ name, mimeType: 'application/json', buffer: Buffer.from(events.map((e) => JSON.stringify(e)).join('\n') + '\n') });

test('compare: preceding hour and a day earlier equal a scan; a row click shows its events', { skip }, async () => {
  const { a, b } = build();
  const us = (ms) => String(ms * 1000);
  // B = the second hour, chosen as the time range (through the URL, as a link would).
  const page = await open(`/#from=${us(T0 + HOUR)}&to=${us(T0 + 2 * HOUR)}`, [file('two-hours.log', [...a, ...b])]);
  await page.getByTestId('compare-open').click();
  await waitReady(page);
  const per = page.getByTestId('compare-periods');
  assert.equal(Number(await per.getAttribute('data-a-events')), a.length);
  assert.equal(Number(await per.getAttribute('data-b-events')), b.length);
  assert.equal(Number(await per.getAttribute('data-a-from')), T0 * 1000, 'A is the hour before B');
  const want = expected(a, b, 1, 1);
  const got = asMap(await shownRows(page));
  assert.deepEqual(got, want);
  assert.equal(want.get(`agent|${GONE_AGENT}`)?.[2], 'gone');
  assert.equal(want.get('user|mallory')?.[2], 'new');
  // Its reads ×3: 14 gets + 3 other requests in A, 42 + 3 in B.
  assert.deepEqual(want.get('agent|cluster-kube-apiserver-operator'), [17, 45, 'up']);
  for (const [w, scheme] of [[1440, 'light'], [1024, 'light'], [1024, 'dark'], [1440, 'dark']]) {
    await page.setViewportSize({ width: w, height: 900 });
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(250);
    await screenshot(page, `periods-compare-${w}-${scheme}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });

  // Click rows: each shows exactly its events in the period holding them.
  for (const [kind, value, side] of [['agent', GONE_AGENT, 'a'], ['agent', 'cluster-kube-apiserver-operator', 'b'], ['user', 'mallory', 'b']]) {
    const input = page.getByTestId('filter-input');
    await input.fill('');
    await input.press('Enter');
    await settledCount(page, '');
    const row = page.locator(`[data-testid=compare-row][data-kind="${kind}"][data-value="${value}"]`);
    const term = await row.getAttribute('data-term');
    const n = Number(await row.getAttribute(`data-${side}`));
    await row.locator('button.val').click();
    assert.equal(await settledCount(page, term), n, `${kind} ${value}: ${term}`);
  }
  // The filter changed since: the view offers to compare again.
  await page.getByTestId('compare-again').waitFor();

  // "The same time a day earlier": nothing then, so every value of B is new.
  await page.getByTestId('filter-input').fill('');
  await page.getByTestId('filter-input').press('Enter');
  await settledCount(page, '');
  // Reopened, the view compares afresh (filter "", the range B of the last click).
  await page.getByTestId('compare-close').click();
  await page.getByTestId('compare-open').click();
  await waitReady(page);
  await page.getByTestId('compare-preset').selectOption('day');
  await page.waitForFunction(() => document.querySelector('[data-testid=compare-periods]')?.dataset.aEvents === '0', null, { timeout: 20_000 });
  const day = await shownRows(page);
  assert.ok(day.length > 10);
  assert.ok(day.every((r) => r.change === 'new' && r.a === 0), 'everything is new');
  const onlyB = expected([], b, 1, 1);
  assert.deepEqual(asMap(day), onlyB);
  page.check();
  await page.close();
});

test('compare: two files as the periods', { skip }, async () => {
  const { a, b } = build();
  const page = await open('/', [file('hour-a.log', a), file('hour-b.log', b)], { width: 1024 });
  await page.getByTestId('compare-open').click();
  await page.getByTestId('compare-preset').selectOption('files');
  await page.waitForFunction(() => document.querySelector('[data-testid=compare-view]')?.dataset.state === 'ready'
    && document.querySelector('[data-testid=compare-periods]')?.dataset.aEvents === '100', null, { timeout: 20_000 });
  // Rates over each file's own span (first to last event).
  const span = (evs) => (Date.parse(evs.at(-1).requestReceivedTimestamp) - Date.parse(evs[0].requestReceivedTimestamp)) / HOUR;
  assert.deepEqual(asMap(await shownRows(page)), expected(a, b, span(a), span(b)));
  await screenshot(page, 'periods-files-1024-light');
  page.check();
  await page.close();
});
