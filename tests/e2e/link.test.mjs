// The whole view in the URL (issue 16 §1): a link made in one browser, opened in a FRESH
// browser profile, first says which file it expects (name, size, short content hash),
// then, once that file is loaded, restores the view: the selected event (the event
// detail's data-audit-id / data-stage), the filter, the columns, the time zone, the tab
// and the Kubernetes version. The expected hash is computed here with node:crypto
// (SHA-256 over the size as 8 little-endian bytes + the first and last MiB), not read
// from the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { forTestFile, corpusSkip, strictPage, summaryCounts, screenshot, launch, CORPUS } from './harness.mjs';

const LOG = join(CORPUS, 'logs', 'openshift-clo-apiaudit-filter-audit.log');
const skip = corpusSkip(LOG, 'view links');
const env = forTestFile(skip);

function shortHash(bytes) {
  const M = 1 << 20;
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(bytes.length));
  const head = bytes.subarray(0, Math.min(M, bytes.length));
  const tail = bytes.subarray(Math.max(M, bytes.length - M));
  return createHash('sha256').update(size).update(head).update(tail).digest('hex').slice(0, 12);
}

// The event to select, from a plain scan of the log: the forbidden pod create.
function denied() {
  const evs = readFileSync(LOG, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return evs.find((e) => e.verb === 'create' && e.responseStatus?.code === 403);
}

async function loadLog(page) {
  await page.getByTestId('file-input').setInputFiles(LOG);
  return summaryCounts(page);
}

test('a link with a selected event restores it in a fresh browser once its file is loaded', { skip }, async () => {
  const bytes = readFileSync(LOG);
  const hash = shortHash(bytes);
  const ev = denied();
  // ---- the author: builds the view by hand in the page ----
  const page = await strictPage(env.context, [env.server.origin]);
  await page.goto(env.server.origin + '/');
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  assert.equal((await loadLog(page)).events, 5);
  const filter = page.getByTestId('filter-input');
  await filter.fill('ns:openshift-marketplace');
  await filter.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=event-row]').length === 3);
  await page.getByTestId('column-picker').click();
  await page.getByTestId('col-source-ip').check();
  await page.getByTestId('column-picker').click();
  await page.getByTestId('time-zone').click();
  // Time order: the denied create (…25.754378Z) is the first of the three.
  await page.locator(`[data-testid=event-row]`).first().locator('.time').click();
  const detail = page.getByTestId('event-detail');
  await page.waitForFunction((id) => document.querySelector('[data-testid=event-detail]')?.dataset.auditId === id, ev.auditID);
  await page.waitForFunction(() => location.hash.includes('ev='));
  const link = await page.evaluate(() => location.href);
  const hashParams = new URLSearchParams(new URL(link).hash.slice(1));
  assert.equal(hashParams.get('ev'), `${ev.auditID}.${ev.stage}`);
  assert.equal(hashParams.get('f'), 'ns:openshift-marketplace');
  assert.equal(hashParams.get('tz'), 'local');
  assert.equal(hashParams.get('cols'), 'reason,source-ip');
  assert.deepEqual(hashParams.getAll('file'), [`${hash}.${bytes.length}.openshift-clo-apiaudit-filter-audit.log`]);
  page.check();
  await page.close();

  // ---- the colleague: a fresh profile (no local storage), the link opened first ----
  const fresh = await launch();
  try {
    for (const [scheme, width] of [['light', 1440], ['dark', 1024]]) {
      const p = await strictPage(fresh, [env.server.origin], { colorScheme: scheme });
      await p.setViewportSize({ width, height: 900 });
      await p.goto(link);
      await p.locator('.engine.ready').waitFor({ timeout: 20_000 });
      const notice = p.getByTestId('expected-files');
      await notice.waitFor();
      const row = p.getByTestId('expected-file');
      assert.equal(await row.count(), 1);
      assert.equal(await row.getAttribute('data-hash'), hash);
      assert.equal(await row.getAttribute('data-state'), 'missing');
      assert.match(await notice.innerText(), /openshift-clo-apiaudit-filter-audit\.log/);
      assert.match(await notice.innerText(), /14\.3 kB|13\.9 KiB|14 kB|14257/);
      await screenshot(p, `link-expected-${width}-${scheme}`);
      assert.equal((await loadLog(p)).events, 5);
      // The event, opened and in view; the filter, the columns, the time zone.
      await p.waitForFunction((id) => document.querySelector('[data-testid=event-detail]')?.dataset.auditId === id, ev.auditID, { timeout: 20_000 });
      const d = p.getByTestId('event-detail');
      assert.equal(await d.getAttribute('data-audit-id'), ev.auditID);
      assert.equal(await d.getAttribute('data-stage'), ev.stage);
      assert.equal(await p.getByTestId('filter-input').inputValue(), 'ns:openshift-marketplace');
      assert.equal(await p.getByTestId('event-row').count(), 3);
      assert.equal(await p.locator('[data-testid=event-row].selected').getAttribute('data-index'), '0');
      assert.equal(await p.locator('.cell.th[data-col=source-ip]').count(), 1, 'the link\'s column is shown');
      assert.equal((await p.getByTestId('time-zone').innerText()).trim(), 'Local');
      assert.equal(await p.getByTestId('tab-explore').getAttribute('aria-selected'), 'true');
      assert.equal(await p.getByTestId('expected-files').count(), 0, 'the expected file is loaded: no notice');
      await screenshot(p, `link-restored-${width}-${scheme}`);
      p.check();
      await p.close();
    }

    // The tab and the Kubernetes version; a different file with the same name "differs".
    const p = await strictPage(fresh, [env.server.origin]);
    await p.goto(`${env.server.origin}/#tab=policy&k8s=1.30&file=${hash}.${bytes.length}.openshift-clo-apiaudit-filter-audit.log`);
    await p.locator('.engine.ready').waitFor({ timeout: 20_000 });
    await p.getByTestId('expected-files').waitFor();
    const other = Buffer.from(readFileSync(LOG, 'utf8').split('\n').slice(0, 2).join('\n') + '\n');
    await p.getByTestId('file-input').setInputFiles({ name: 'openshift-clo-apiaudit-filter-audit.log', mimeType: 'text/plain', buffer: other });
    assert.equal((await summaryCounts(p)).events, 2);
    await p.waitForFunction(() => document.querySelector('[data-testid=expected-file]')?.dataset.state === 'differs');
    assert.match(await p.getByTestId('expected-files').innerText(), new RegExp(`differs \\(${other.length} bytes, hash ${shortHash(other)}\\)`));
    assert.equal(await p.getByTestId('tab-policy').getAttribute('aria-selected'), 'true');
    assert.equal(await p.getByTestId('kube-version').inputValue(), '30');
    await screenshot(p, 'link-differs-1280-light');
    p.check();
    await p.close();
  } finally {
    await fresh.close();
  }
});
