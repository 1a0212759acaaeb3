// A case file (issue 16 §2): pin two events with notes and tags, write a case note,
// export the case (a download), Clear, drop the case file: the same pins and notes come
// back (from the events embedded in the file, the log not loaded), the expected file is
// named; loading the log lets a pin open its event; the Markdown summary holds the pinned
// events; pins survive a reload (local storage); an unpin can be undone. Expectations come
// from a plain scan of the log (JSON.parse per line) and node:crypto, not from the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { forTestFile, corpusSkip, strictPage, summaryCounts, screenshot, dropFiles, CORPUS } from './harness.mjs';

const LOG = join(CORPUS, 'logs', 'openshift-clo-apiaudit-filter-audit.log');
const skip = corpusSkip(LOG, 'case files');
const env = forTestFile(skip);

function shortHash(bytes) {
  const M = 1 << 20;
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(bytes.length));
  return createHash('sha256').update(size).update(bytes.subarray(0, M)).update(bytes.subarray(Math.max(M, bytes.length - M))).digest('hex').slice(0, 12);
}

async function openRow(page, index, auditID) {
  await page.locator(`[data-testid=event-row][data-index="${index}"] .time`).click();
  await page.waitForFunction((id) => document.querySelector('[data-testid=event-detail]')?.dataset.auditId === id, auditID);
}

async function pinState(page) {
  return page.$$eval('[data-testid=case-pin]', (lis) => lis.map((li) => ({
    id: li.dataset.auditId, stage: li.dataset.stage,
    note: li.querySelector('[data-testid=pin-note]').value, tags: li.querySelector('[data-testid=pin-tags]').value,
  })));
}

test('a case round-trips: pin, note, export, clear, drop, same pins and notes; summary; reload; undo', { skip }, async () => {
  const bytes = readFileSync(LOG);
  const events = bytes.toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  // Time order of the table: by requestReceivedTimestamp.
  const byTime = [...events].sort((a, b) => a.requestReceivedTimestamp.localeCompare(b.requestReceivedTimestamp));
  const first = byTime[0]; // the forbidden pod create
  const last = byTime[4]; // the multus patch
  assert.equal(first.verb, 'create');
  assert.equal(last.verb, 'patch');
  const dir = await mkdtemp(join(tmpdir(), 'audit-lens-case-'));
  const page = await strictPage(env.context, [env.server.origin]);
  page.on('dialog', (d) => d.accept());
  try {
    await page.goto(env.server.origin + '/');
    await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
    await page.getByTestId('file-input').setInputFiles(LOG);
    assert.equal((await summaryCounts(page)).events, 5);
    await page.getByTestId('event-row').first().waitFor();

    await openRow(page, 0, first.auditID);
    await page.getByTestId('pin-event').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=pin-event]')?.getAttribute('aria-pressed') === 'true');
    const pin1 = page.locator(`[data-testid=case-pin][data-audit-id="${first.auditID}"]`);
    await pin1.getByTestId('pin-note').fill('first denial');
    await pin1.getByTestId('pin-tags').fill('denied, olm');
    await openRow(page, 4, last.auditID);
    await page.getByTestId('pin-event').click();
    const pin2 = page.locator(`[data-testid=case-pin][data-audit-id="${last.auditID}"]`);
    await pin2.getByTestId('pin-note').fill('multus patched');
    await pin2.getByTestId('pin-tags').fill('network');
    await page.getByTestId('case-notes').fill('OLM denied, then patched multus.');
    const want = [
      { id: first.auditID, stage: first.stage, note: 'first denial', tags: 'denied, olm' },
      { id: last.auditID, stage: last.stage, note: 'multus patched', tags: 'network' },
    ];
    assert.deepEqual(await pinState(page), want);

    // The Markdown summary: both pinned events, who, what, code, notes and tags.
    const dl = page.waitForEvent('download');
    await page.getByTestId('case-summary-download').click();
    const md = readFileSync(await (await dl).path(), 'utf8');
    assert.match(md, /^# Incident summary/);
    assert.ok(md.includes(`auditID \`${first.auditID}\``) && md.includes(`auditID \`${last.auditID}\``), md);
    assert.ok(md.includes(`\`${first.user.username}\` **create** \`pods in openshift-marketplace\` — code 403`), md);
    assert.ok(md.includes(`\`${last.user.username}\` **patch** \`deployments.apps openshift-multus/multus-admission-controller\` — code 200`), md);
    assert.ok(md.includes('   - Tags: `denied`, `olm`') && md.includes('   - Note: multus patched'), md);
    assert.ok(md.includes('OLM denied, then patched multus.'), md);

    // Export the case.
    const dl2 = page.waitForEvent('download');
    await page.getByTestId('case-export').click();
    const download = await dl2;
    assert.match(download.suggestedFilename(), /^audit-lens-case-2023-06-12\.json$/);
    const casePath = join(dir, 'case.json');
    await download.saveAs(casePath);
    const caseText = readFileSync(casePath, 'utf8');
    const c = JSON.parse(caseText);
    assert.equal(c.kind, 'AuditLensCase');
    assert.equal(c.version, 1);
    assert.equal(c.notes, 'OLM denied, then patched multus.');
    assert.deepEqual(c.files, [{ name: 'openshift-clo-apiaudit-filter-audit.log', size: bytes.length, hash: shortHash(bytes) }]);
    assert.deepEqual(c.pins.map((p) => [p.auditID, p.stage, p.note, p.tags]), [
      [first.auditID, first.stage, 'first denial', ['denied', 'olm']],
      [last.auditID, last.stage, 'multus patched', ['network']],
    ]);
    assert.deepEqual(c.pins[0].event, first, 'the pinned event itself, as the log has it');
    assert.deepEqual(c.pins[1].event, last);
    assert.equal(c.pins[0].time, first.requestReceivedTimestamp);
    assert.equal(c.view.ev, `${last.auditID}.${last.stage}`, 'the view: the selected event');
    for (const shot of [[1440, 'light'], [1024, 'dark']]) {
      await page.setViewportSize({ width: shot[0], height: 900 });
      await page.emulateMedia({ colorScheme: shot[1] });
      await screenshot(page, `case-pane-${shot[0]}-${shot[1]}`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: 'light' });

    // Clear, then drop the case file on the landing page.
    await page.getByTestId('clear').click();
    await page.getByTestId('clear-confirm').click(); // Clear asks first (issue 16 §6)
    await page.getByTestId('drop-zone').waitFor();
    assert.equal(await page.getByTestId('case-pane').count(), 0);
    await dropFiles(page, '[data-testid=drop-zone]', [{ name: 'case.json', text: caseText, type: 'application/json' }]);
    await page.getByTestId('case-pane').waitFor();
    assert.deepEqual(await pinState(page), want, 'same pins, notes and tags');
    assert.equal(await page.getByTestId('case-notes').inputValue(), 'OLM denied, then patched multus.');
    assert.match(await page.getByTestId('case-message').innerText(), /Opened the case case\.json: 2 pinned events \(2 new\)/);
    assert.equal(await page.getByTestId('load-summary').count(), 0, 'the case is not read as a log');
    const ef = page.getByTestId('expected-file');
    assert.equal(await ef.getAttribute('data-hash'), shortHash(bytes));
    assert.equal(await ef.getAttribute('data-state'), 'missing');
    assert.ok(await page.getByTestId('pin-go').first().isDisabled(), 'no file: a pin cannot open its event');
    for (const shot of [[1440, 'light'], [1440, 'dark'], [1024, 'light'], [1024, 'dark']]) {
      await page.setViewportSize({ width: shot[0], height: 900 });
      await page.emulateMedia({ colorScheme: shot[1] });
      await screenshot(page, `case-dropped-${shot[0]}-${shot[1]}`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: 'light' });

    // The log: the case's view applies (the selected event) and a pin opens its event.
    await page.getByTestId('file-input').setInputFiles(LOG);
    assert.equal((await summaryCounts(page)).events, 5);
    await page.waitForFunction((id) => document.querySelector('[data-testid=event-detail]')?.dataset.auditId === id, last.auditID);
    assert.equal(await page.getByTestId('expected-files').count(), 0);
    await page.getByTestId('event-detail').locator('button[aria-label=Close]').click();
    await pin1.getByTestId('pin-go').click();
    await page.waitForFunction((id) => document.querySelector('[data-testid=event-detail]')?.dataset.auditId === id, first.auditID);
    assert.equal(await page.getByTestId('event-detail').getAttribute('data-stage'), first.stage);
    assert.deepEqual(await pinState(page), want, 'the kept case and the opened one merged: nothing doubled');

    // Unpin, Undo.
    await pin2.getByTestId('pin-remove').click();
    assert.equal(await page.getByTestId('case-pin').count(), 1);
    await page.getByTestId('case-undo-button').click();
    assert.deepEqual(await pinState(page), want);

    // A reload: the case is kept for these files.
    await page.reload();
    await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
    await page.getByTestId('file-input').setInputFiles(LOG);
    assert.equal((await summaryCounts(page)).events, 5);
    await page.getByTestId('case-pane').waitFor();
    assert.deepEqual(await pinState(page), want);
    assert.equal(await page.getByTestId('case-notes').inputValue(), 'OLM denied, then patched multus.');

    // A broken case file is refused with a reason, not read as a log.
    await dropFiles(page, '[data-testid=drop-zone]', [{ name: 'broken.json', text: '{"kind":"AuditLensCase","version":9}' }]);
    await page.waitForFunction(() => /broken\.json was not opened as a case: it is format version 9/.test(document.querySelector('[data-testid=case-message]')?.innerText ?? ''));
    page.check();
  } finally {
    await page.close();
    await rm(dir, { recursive: true, force: true });
  }
});
