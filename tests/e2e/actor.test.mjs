// The Actor view and "what happened next" in the page (issue 12 §6), driven as a user:
// load the audit2rbac log, open the detail of one of bob's impersonated requests, open bob
// from "What happened next", then system:admin from the event table; the sessions and the
// impersonation chain shown must equal the CLI's `audit-lens actor --json` (and the raw
// log's impersonated events, counted here from the JSON).
// Screenshots: target/screenshots/actor-*.png (1440 and 1024 px, light and dark).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { serve, launch, strictPage, summaryCounts, screenshot, cli, corpusSkip, DIST, CORPUS, ROOT, forTestFile } from './harness.mjs';

const LOGS = join(CORPUS, 'logs');
const skip = corpusSkip(LOGS, 'actor e2e');
const LOG = join(LOGS, 'audit2rbac-demo-original-v1beta1.log');
const env = forTestFile(skip);

/** The native CLI: a built binary of this checkout when there is one. */
function audit(args) {
  const t = process.env.CARGO_TARGET_DIR;
  const bins = [t && join(t, 'release', 'audit-lens'), t && join(t, 'debug', 'audit-lens'),
    join(ROOT, 'target', 'release', 'audit-lens'), join(ROOT, 'target', 'debug', 'audit-lens')].filter(Boolean);
  const bin = bins.find((b) => existsSync(b));
  return bin ? execFileSync(bin, args, { encoding: 'utf8', maxBuffer: 1 << 26 }) : cli(args);
}


/** The sessions the dialog shows: [start µs, end µs, requests]. */
async function shownSessions(page) {
  return page.locator('[data-testid=actor-session]').evaluateAll((rows) =>
    rows.map((r) => [Number(r.dataset.start), Number(r.dataset.end), Number(r.dataset.requests)]));
}

async function waitActor(page, actor, gapUs) {
  await page.waitForFunction(({ actor }) => {
    const v = document.querySelector('[data-testid=actor-view]');
    return v && v.dataset.actor === actor && document.querySelector('[data-testid=actor-summary]');
  }, { actor });
  const want = JSON.parse(audit(['actor', '--json', '--gap', `${gapUs / 1e6}s`, actor, LOG]));
  const s = page.getByTestId('actor-summary');
  assert.equal(Number(await s.getAttribute('data-requests')), want.requests, `${actor}: requests`);
  assert.equal(Number(await s.getAttribute('data-events')), want.events, `${actor}: events`);
  assert.equal(Number(await s.getAttribute('data-failures')), want.failures, `${actor}: failures`);
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=actor-session]').length === n, want.sessions.length);
  assert.deepEqual(await shownSessions(page), want.sessions.map((x) => [x.start_us, x.end_us, x.requests]), `${actor}: sessions`);
  return want;
}

test('actor view: sessions and impersonation as the CLI says; what happened next', { skip }, async () => {
  // Independent: bob's impersonated requests, from the raw log.
  const events = readFileSync(LOG, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const bobIds = new Set(events.filter((e) => e.impersonatedUser?.username === 'bob').map((e) => e.auditID));
  assert.equal(bobIds.size, 29);

  for (const [width, scheme] of [[1440, 'light'], [1024, 'dark'], [1440, 'dark'], [1024, 'light']]) {
    const page = await strictPage(env.context, [env.server.origin], { colorScheme: scheme });
    await page.setViewportSize({ width, height: 900 });
    await page.goto(env.server.origin + '/');
    await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
    await page.getByTestId('file-input').setInputFiles([LOG]);
    const s = await summaryCounts(page);
    assert.equal(s.events, events.length);
    await page.getByTestId('tab-explore').click();
    // One of bob's requests: its detail, then "what happened next".
    await page.getByTestId('filter-input').fill('as:bob');
    await page.getByTestId('filter-input').press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid=result-count]')?.getAttribute('data-filter') === 'as:bob');
    await page.locator('[data-testid=event-row][data-index="0"] .time').click();
    const next = page.getByTestId('next-block');
    await next.waitFor();
    const detailRow = await page.getByTestId('event-detail').getAttribute('data-row');
    assert.match(await next.innerText(), /What happened next/i);
    assert.equal(await page.getByTestId('next-actor').innerText(), 'system:admin → bob');
    // The next requests by bob are bob's (impersonated) requests, later in time.
    const byActor = page.getByTestId('next-by-actor').locator('button');
    assert.ok((await byActor.count()) > 0);
    for (const t of await byActor.allInnerTexts()) assert.match(t, /system:admin → bob/);
    if (width === 1440 && scheme === 'light') await screenshot(page, `actor-next-${width}-${scheme}`);
    // Clicking one opens it.
    const target = await byActor.first().getAttribute('data-row');
    await byActor.first().click();
    await page.waitForFunction((r) => document.querySelector('[data-testid=event-detail]')?.dataset.row === r, target);
    assert.notEqual(target, detailRow);

    // bob's Actor view from the detail.
    await page.getByTestId('next-actor').click();
    const bob = await waitActor(page, 'bob', 30 * 60e6);
    assert.equal(bob.requests, bobIds.size);
    const chain = page.getByTestId('actor-chain');
    assert.equal(Number(await chain.getAttribute('data-impersonated-by')), bobIds.size);
    assert.match(await chain.innerText(), /system:admin/);
    await screenshot(page, `actor-bob-${width}-${scheme}`);
    // Escape closes it; the detail stays.
    await page.keyboard.press('Escape');
    await page.getByTestId('actor-view').waitFor({ state: 'detached' });
    await page.keyboard.press('Escape');

    // system:admin from the event table (the ↗ button of a user cell).
    await page.getByTestId('filter-input').fill('');
    await page.getByTestId('filter-input').press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid=result-count]')?.getAttribute('data-filter') === '');
    const row = page.locator('[data-testid=event-row][data-index="0"]');
    await row.hover();
    await row.getByTestId('open-actor').click();
    const admin = await waitActor(page, 'system:admin', 30 * 60e6);
    // Whom system:admin impersonated: as the CLI, and as the raw log (by auditID).
    const imp = new Map();
    for (const e of events) if (e.impersonatedUser) imp.set(e.auditID, e.impersonatedUser.username);
    const byUser = {};
    for (const u of imp.values()) byUser[u] = (byUser[u] ?? 0) + 1;
    assert.deepEqual(Object.fromEntries(admin.impersonated.map((c) => [c.value, c.requests])), byUser);
    assert.equal(Number(await page.getByTestId('actor-chain').getAttribute('data-impersonated')), imp.size);
    // Another gap: the sessions follow, as `--gap 5m` says.
    await page.getByTestId('actor-gap').selectOption(String(5 * 60e6));
    const five = JSON.parse(audit(['actor', '--json', '--gap', '5m', 'system:admin', LOG]));
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=actor-session]').length === n, five.sessions.length);
    assert.deepEqual(await shownSessions(page), five.sessions.map((x) => [x.start_us, x.end_us, x.requests]));
    assert.ok(five.sessions.length > 1, 'a 5 min gap splits the 34 min of the log');
    await screenshot(page, `actor-admin-${width}-${scheme}`);
    // "Events" of a session: Explore filtered to the actor and the session's time.
    await page.locator('[data-testid=actor-session]').first().getByRole('button', { name: 'Events' }).click();
    await page.getByTestId('actor-view').waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.querySelector('[data-testid=result-count]')?.getAttribute('data-filter') === 'user:system:admin');
    page.check();
    await page.close();
  }
});
