// The Activity feed in the page (issue 12 §7), driven as a user: load the audit2rbac and
// OpenShift logs, open Activity (humans only by default), compare the lines with the CLI's
// `audit-lens feed --json`, turn a rule off, expand a burst, open a sentence's event.
// Independent figure: the humans in the logs, counted here from the raw JSON (one per
// auditID, the impersonated user when there is one, names not starting with `system:`).
// Screenshots: target/screenshots/feed-*.png (1440 and 1024 px, light and dark).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { serve, launch, strictPage, summaryCounts, screenshot, cli, corpusSkip, DIST, CORPUS, ROOT, forTestFile } from './harness.mjs';

/** The native CLI: a built binary of this checkout when there is one. */
function audit(args) {
  const t = process.env.CARGO_TARGET_DIR;
  const bins = [t && join(t, 'release', 'audit-lens'), t && join(t, 'debug', 'audit-lens'),
    join(ROOT, 'target', 'release', 'audit-lens'), join(ROOT, 'target', 'debug', 'audit-lens')].filter(Boolean);
  const bin = bins.find((b) => existsSync(b));
  return bin ? execFileSync(bin, args, { encoding: 'utf8', maxBuffer: 1 << 26 }) : cli(args);
}

const LOGS = join(CORPUS, 'logs');
const skip = corpusSkip(LOGS, 'feed e2e');
const FILES = [join(LOGS, 'audit2rbac-demo-original-v1beta1.log'), join(LOGS, 'openshift-clo-apiaudit-audit_in.log')];
const env = forTestFile(skip);


const shown = (page) => page.getByTestId('feed-counts').getAttribute('data-shown').then(Number);
const waitShown = (page, n) => page.waitForFunction((n) => Number(document.querySelector('[data-testid=feed-counts]')?.dataset.shown) === n, n);

test('activity feed: humans only, rules, bursts, paging, events', { skip }, async () => {
  // Independent: human requests of the two logs.
  const humans = new Set();
  const requests = new Set();
  for (const f of FILES) {
    for (const e of readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))) {
      requests.add(e.auditID);
      const who = e.impersonatedUser?.username || e.user?.username || '';
      const groups = e.impersonatedUser ? [] : (e.user?.groups ?? []);
      if (who && !who.startsWith('system:') && !groups.includes('system:nodes') && !groups.includes('system:serviceaccounts')) humans.add(e.auditID);
    }
  }
  const want = JSON.parse(audit(['feed', '--json', '--limit', '100', ...FILES]));
  assert.equal(want.counts.shown, humans.size, 'the CLI keeps the humans of the scan');
  const everyone = JSON.parse(audit(['feed', '--json', '--all', '--limit', '100', ...FILES]));

  for (const [width, scheme] of [[1440, 'light'], [1024, 'dark'], [1440, 'dark'], [1024, 'light']]) {
    const page = await strictPage(env.context, [env.server.origin], { colorScheme: scheme });
    await page.setViewportSize({ width, height: 900 });
    await page.goto(env.server.origin + '/');
    await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
    await page.getByTestId('file-input').setInputFiles(FILES);
    await summaryCounts(page);
    await page.getByTestId('tab-activity').click();
    await waitShown(page, humans.size);
    assert.equal(Number(await page.getByTestId('feed-counts').getAttribute('data-requests')), requests.size);
    // The lines, newest first, as the CLI words them.
    const texts = await page.locator('[data-testid=feed-list] > li .feed-sentence').allInnerTexts();
    assert.deepEqual(texts, want.lines.map((l) => l.text));
    // The rules are shown; humans only is on.
    for (const k of ['node', 'serviceaccount', 'controlplane', 'othersystem']) assert.ok(await page.getByTestId(`feed-hide-${k}`).isChecked(), k);
    assert.match(await page.getByTestId('feed-rules').innerText(), /system:serviceaccount:\*/);
    await screenshot(page, `feed-humans-${width}-${scheme}`);

    // Turn "other system: users" off: system:admin's own requests (400) come in, folded.
    await page.getByTestId('feed-hide-othersystem').click();
    const other = everyone.counts.by_category[4];
    await waitShown(page, humans.size + other);
    await page.getByTestId('feed-burst').first().waitFor();
    // Expand the first burst: its requests, as many as it says.
    const burst = page.getByTestId('feed-burst').first();
    const n = Number(await burst.getAttribute('data-count'));
    assert.ok(n >= 3);
    const head = await burst.locator('.feed-burst-head .feed-sentence').innerText();
    // "system:admin → bob read 23 API paths in 0 s" (kubectl's discovery), "system:admin
    // patched 23 clusterrolebindings in 49 s": who, a verb, the count.
    const m = head.match(new RegExp(`^(.+?) ([a-z]+) ${n} `));
    assert.ok(m, head);
    const who = m[1];
    await burst.getByTestId('feed-expand').click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=feed-members] > li.feed-line').length === Math.min(n, 100), n);
    const members = await burst.locator('[data-testid=feed-members] .feed-sentence').allInnerTexts();
    assert.equal(members.length, Math.min(n, 100));
    assert.ok(members.every((t) => t.startsWith(`${who} (::1) `)), `members are ${who}'s`);
    await screenshot(page, `feed-burst-${width}-${scheme}`);
    // Keyboard: the toggle collapses it again.
    await burst.getByTestId('feed-expand').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !document.querySelector('[data-testid=feed-members]'));

    // Show everyone: every request; then "Show older" pages on.
    await page.getByTestId('feed-humans').click();
    await page.getByTestId('feed-humans').click();
    await waitShown(page, requests.size);
    const lines = Number(await page.getByTestId('feed-counts').getAttribute('data-lines'));
    assert.equal(lines, everyone.counts.lines);
    if (lines > 100) {
      await page.getByTestId('feed-older').click();
      await page.waitForFunction((k) => document.querySelectorAll('[data-testid=feed-list] > li').length === k, Math.min(lines, 200));
    }

    // A sentence opens its event, with what happened next.
    const first = page.locator('[data-testid=feed-list] > li[data-count="1"] [data-testid=feed-open]').first();
    const row = await first.getAttribute('data-row');
    await first.click();
    await page.waitForFunction((r) => document.querySelector('[data-testid=event-detail]')?.dataset.row === r, row);
    await page.getByTestId('next-block').waitFor();
    if (width === 1440) await screenshot(page, `feed-detail-${width}-${scheme}`);
    await page.keyboard.press('Escape');
    await page.getByTestId('event-detail').waitFor({ state: 'detached' });
    assert.ok((await shown(page)) > 0);
    page.check();
    await page.close();
  }
});
