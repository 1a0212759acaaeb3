// No edit lost (issue "Trust" §3): "Start from template" and "Load policy…" over an edited
// policy keep the edited text for an Undo; "Load policy…" given an audit log reads it as a
// log (and says so), given a PDF refuses it with what it looks like; nothing binary ever
// reaches the editor.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, launch, strictPage, summaryCounts, screenshot, DIST } from './harness.mjs';

let server, context, dir;
before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run `trunk build --release` first');
  server = await serve(DIST, ['/']);
  context = await launch();
  dir = await mkdtemp(join(tmpdir(), 'audit-lens-undo-'));
});
after(async () => {
  await context?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const MINE = 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata # my own rule\n';

test('a replaced policy can be put back; logs and PDFs given as a policy are routed or refused', async () => {
  const page = await strictPage(context, [server.origin]);
  await page.goto(server.origin + '/');
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  // Open a policy, then edit it by hand: the edit is what must not be lost.
  const first = join(dir, 'mine.yaml');
  writeFileSync(first, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n');
  await page.getByTestId('policy-input').setInputFiles(first);
  const editor = page.getByTestId('policy-editor');
  await editor.waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=policy-editor]')?.value.includes('level: None'));
  await editor.fill(MINE);
  await page.getByTestId('policy-template').click();
  await page.getByTestId('policy-undo').waitFor();
  assert.notEqual(await editor.inputValue(), MINE, 'the template replaced the text');
  assert.match(await page.getByTestId('policy-undo').innerText(), /The template replaced your text \(4 lines\)/);
  await screenshot(page, 'policy-undo');
  await page.getByTestId('policy-undo-button').click();
  await page.waitForFunction((t) => document.querySelector('[data-testid=policy-editor]').value === t, MINE);
  assert.equal(await page.getByTestId('policy-undo').count(), 0);

  // A policy file over the edited text: Undo too.
  const other = join(dir, 'other-policy.yaml');
  writeFileSync(other, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n');
  await page.getByTestId('policy-input').setInputFiles(other);
  await page.getByTestId('policy-undo').waitFor();
  assert.match(await page.getByTestId('policy-undo').innerText(), /other-policy\.yaml replaced your text/);
  await page.getByTestId('policy-undo-button').click();
  await page.waitForFunction((t) => document.querySelector('[data-testid=policy-editor]').value === t, MINE);

  // A PDF given as a policy: refused, named, and the editor keeps the text.
  const pdf = join(dir, 'report.pdf');
  writeFileSync(pdf, Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'), Buffer.alloc(2000, 7)]));
  await page.getByTestId('policy-input').setInputFiles(pdf);
  await page.waitForFunction(() => /report\.pdf: this looks like a PDF document, not an audit policy/.test(document.body.innerText));
  assert.equal(await editor.inputValue(), MINE, 'nothing binary in the editor');

  // An audit log given as a policy: read as a log, and the page says so.
  const log = join(dir, 'audit.log');
  writeFileSync(log, JSON.stringify({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: '00000000-0000-4000-8000-000000000001', stage: 'ResponseComplete', requestURI: '/api/v1/pods', verb: 'list', user: { username: 'u' }, requestReceivedTimestamp: '2026-01-01T00:00:00Z', stageTimestamp: '2026-01-01T00:00:01Z' }) + '\n');
  await page.getByTestId('policy-input').setInputFiles(log);
  const s = await summaryCounts(page);
  assert.equal(s.events, 1);
  await page.waitForFunction(() => document.body.innerText.includes('audit.log is an audit log, not a policy: it was read as a log.'));
  assert.equal(await editor.inputValue(), MINE);
  page.check();
  await page.close();
});

test('keystrokes typed into the --audit-log-max* fields right after tabbing are kept', async () => {
  const page = await strictPage(context, [server.origin]);
  await page.goto(server.origin + '/');
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  await page.getByTestId('load-sample').click();
  await summaryCounts(page);
  await page.getByTestId('tab-policy').click();
  const size = page.getByTestId('flag-maxsize');
  await size.waitFor({ timeout: 20_000 });
  await size.click();
  await size.fill('');
  // Type, Tab, type at once: each Tab commits a value and starts a worker round trip
  // while the next field is being typed into.
  // Digits 1 and 2 are also page shortcuts (Explore / Policy): typed into a field they
  // must stay digits.
  await page.keyboard.type('12');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('2');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('21');
  await page.keyboard.press('Tab');
  await page.waitForTimeout(1500);
  assert.deepEqual(
    [await size.inputValue(), await page.getByTestId('flag-maxbackup').inputValue(), await page.getByTestId('flag-maxage').inputValue()],
    ['12', '2', '21'],
  );
  page.check();
  await page.close();
});
