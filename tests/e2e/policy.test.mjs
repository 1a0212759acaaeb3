// End-to-end tests of the policy workbench (issue 6) in Debian's Chromium: the sample log
// plus a corpus policy; coverage rows and what-if totals checked against the native CLI
// (`audit-lens coverage --json`, `audit-lens whatif --json`); an error shown at its line,
// jumped to and fixed by typing; download; reload keeps the text. Screenshots go to
// target/screenshots/policy-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, launch, strictPage, dropFiles, summaryCounts, cli, screenshot, corpusSkip, DIST, CORPUS } from './harness.mjs';

const POLICY = join(CORPUS, 'policies', 'kubernetes-website-examples-audit-policy.yaml');
const skipCorpus = corpusSkip(POLICY, 'policy workbench e2e');

let server, context, tmp, sample;

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run `trunk build --release` first');
  server = await serve(DIST);
  context = await launch();
  tmp = await mkdtemp(join(tmpdir(), 'audit-lens-policy-e2e-'));
  sample = join(tmp, 'sample-audit.log');
  cli(['generate', '--sample', '-o', sample]);
});
after(async () => {
  await context?.close();
  await server?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const open = async () => {
  const page = await strictPage(context, [server.origin]);
  await page.goto(server.origin + '/');
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  return page;
};
/** Waits until the workbench shows the answer for the current text. */
const settled = (page) => page.locator('[data-testid=policy-workbench][data-busy=false]').waitFor({ timeout: 30_000 });
const editor = (page) => page.getByTestId('policy-editor');
const rows = (page) => page.getByTestId('coverage-row').evaluateAll((els) => els.map((e) => ({
  rule: Number(e.dataset.rule), events: Number(e.dataset.events), bytes: Number(e.dataset.bytes),
  level: e.dataset.level, line: Number(e.dataset.line),
})));
const volume = async (page) => {
  const v = page.getByTestId('volume-summary');
  const n = async (k) => Number(await v.getAttribute(k));
  return { events: await n('data-events'), bytes: await n('data-bytes'), baseEvents: await n('data-baseline-events'), baseBytes: await n('data-baseline-bytes') };
};
const nativeWhatIf = (policyText, extra = []) => {
  const f = join(tmp, `p-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(f, policyText);
  return JSON.parse(cli(['whatif', '--policy', f, ...extra, '--json', sample])).whatIf;
};

test('policy workbench: coverage, errors at their lines, what-if, download, reload', { skip: skipCorpus }, async () => {
  const page = await open();
  await page.getByTestId('load-sample').click();
  const counts = await summaryCounts(page);
  const text = readFileSync(POLICY, 'utf8');
  await dropFiles(page, '[data-testid=drop-zone]', [{ name: 'kubernetes-website-examples-audit-policy.yaml', text }]);
  await page.getByTestId('tab-policy').click();
  await page.getByTestId('policy-name').filter({ hasText: 'kubernetes-website-examples' }).waitFor();
  await settled(page);
  assert.equal(await editor(page).inputValue(), text, 'the editor holds the dropped file');

  // Coverage rows equal the native engine's, rule by rule.
  const native = JSON.parse(cli(['coverage', '--policy', POLICY, '--json', sample]));
  const got = await rows(page);
  assert.equal(got.length, native.rules.length);
  assert.deepEqual(got.map((r) => [r.rule, r.events, r.bytes]), native.rules.map((r) => [r.rule, r.events, r.bytes]));
  assert.equal(native.events, counts.events);
  assert.equal(Number(await page.getByTestId('coverage-unmatched').getAttribute('data-events')), native.unmatchedEvents);
  assert.ok(got.some((r) => r.events > 0), 'some rule takes events');
  assert.equal(await page.getByTestId('policy-errors').getAttribute('data-errors'), '0');
  // What-if against "as recorded" equals the CLI's.
  const w0 = nativeWhatIf(text);
  let v = await volume(page);
  assert.deepEqual([v.events, v.bytes, v.baseEvents, v.baseBytes], [w0.candidate.events, w0.candidate.bytes, w0.baseline.events, w0.baseline.bytes]);
  await screenshot(page, 'policy-workbench');
  await page.getByTestId('coverage').screenshot({ path: join('target', 'screenshots', 'policy-coverage.png') });
  await page.getByTestId('coverage-map').screenshot({ path: join('target', 'screenshots', 'policy-map.png') });
  await page.getByTestId('what-if').screenshot({ path: join('target', 'screenshots', 'policy-whatif.png') });

  // Clicking a rule highlights it in the editor.
  const busiest = got.filter((r) => r.level !== 'None').sort((a, b) => b.events - a.events)[0];
  await page.locator(`[data-testid=coverage-row][data-rule="${busiest.rule}"]`).click();
  await page.locator(`#policy-line-${busiest.line}.sel`).waitFor();

  // An error: `level: Loud` on the first None rule, shown at its line.
  const lines = text.split('\n');
  const bad = lines.findIndex((l) => /^- level: None/.test(l));
  assert.ok(bad > 0);
  const broken = lines.map((l, i) => (i === bad ? l.replace('None', 'Loud') : l)).join('\n');
  await editor(page).fill(broken);
  await settled(page);
  const errors = page.getByTestId('policy-errors');
  assert.ok(Number(await errors.getAttribute('data-errors')) >= 1);
  const first = errors.locator('li[data-severity=error]').first();
  assert.equal(await first.getAttribute('data-line'), String(bad + 1));
  assert.match(await first.innerText(), /Loud/);
  await page.locator(`#policy-line-${bad + 1}.err`).waitFor();
  await screenshot(page, 'policy-error');
  // Clicking the finding puts the caret at the start of that line.
  await first.locator('button.diag-at').click();
  const caret = await editor(page).evaluate((el) => [el.selectionStart, document.activeElement === el]);
  assert.deepEqual(caret, [broken.split('\n').slice(0, bad).join('\n').length + 1, true]);
  // Fix it by typing: End, erase "Loud", type "None".
  await page.keyboard.press('End');
  for (let i = 0; i < 4; i++) await page.keyboard.press('Backspace');
  await page.keyboard.type('None');
  await settled(page);
  assert.equal(await editor(page).inputValue(), text);
  assert.equal(await page.getByTestId('policy-errors').getAttribute('data-errors'), '0');
  // Tab indents inside the editor; Esc leaves it (the keyboard is never trapped).
  await page.keyboard.press('Tab');
  assert.equal(await editor(page).evaluate((el) => document.activeElement === el), true);
  assert.equal(await editor(page).inputValue(), text.split('\n').map((l, i) => (i === bad ? `${l}  ` : l)).join('\n'), 'two spaces typed by Tab');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Escape');
  assert.equal(await editor(page).evaluate((el) => document.activeElement === el), false);
  await settled(page);
  assert.equal(await editor(page).inputValue(), text);

  // The busiest rule at level None: the what-if totals drop, as the CLI says.
  const lvl = busiest.line - 1;
  assert.match(lines[lvl], /level: /);
  const quieter = lines.map((l, i) => (i === lvl ? l.replace(/level: \w+/, 'level: None') : l)).join('\n');
  await editor(page).fill(quieter);
  await settled(page);
  const w1 = nativeWhatIf(quieter);
  v = await volume(page);
  assert.deepEqual([v.events, v.bytes], [w1.candidate.events, w1.candidate.bytes]);
  assert.ok(v.events < w0.candidate.events && v.bytes < w0.candidate.bytes, 'totals drop');
  // A/B: the original as baseline.
  await page.getByTestId('slot-baseline').click();
  await editor(page).fill(text);
  await page.getByTestId('slot-edited').click();
  await page.getByTestId('compare-with').selectOption('baseline');
  await settled(page);
  const origFile = join(tmp, 'orig.yaml');
  writeFileSync(origFile, text);
  const w2 = nativeWhatIf(quieter, ['--baseline', origFile]);
  v = await volume(page);
  assert.deepEqual([v.events, v.bytes, v.baseEvents, v.baseBytes], [w2.candidate.events, w2.candidate.bytes, w2.baseline.events, w2.baseline.bytes]);
  await page.getByTestId('what-if').screenshot({ path: join('target', 'screenshots', 'policy-whatif-ab.png') });

  // Download equals the editor's text.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('policy-download').click()]);
  const saved = readFileSync(await dl.path(), 'utf8');
  assert.equal(saved, await editor(page).inputValue());
  assert.equal(saved, quieter);

  // Reload: the text is still there (local storage), and evaluated again.
  await page.reload();
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  await page.getByTestId('tab-policy').click();
  await settled(page);
  assert.equal(await editor(page).inputValue(), quieter);
  page.check();
  await page.close();
});

test('policy workbench: template without a log, version selector, checklist', async () => {
  const page = await open();
  await page.evaluate(() => localStorage.clear());
  await page.getByTestId('policy-input').setInputFiles({ name: 'star.yaml', mimeType: 'text/yaml', buffer: Buffer.from('apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n    resources:\n      - group: "*"\n') });
  await settled(page);
  // group "*" is accepted from 1.36 only; the default is the newest version (1.37).
  assert.equal(await page.getByTestId('policy-errors').getAttribute('data-errors'), '0', 'accepted at 1.37 (the default)');
  await page.getByTestId('kube-version').selectOption('35');
  await settled(page);
  assert.ok(Number(await page.getByTestId('policy-errors').getAttribute('data-errors')) >= 1, 'refused at 1.35');
  assert.match(await page.getByTestId('policy-errors').innerText(), /1\.36 or newer/);
  assert.match(page.url(), /k8s=1\.35/, 'the version is kept in the URL');
  await page.getByTestId('kube-version').selectOption('36');
  await settled(page);
  assert.equal(await page.getByTestId('policy-errors').getAttribute('data-errors'), '0', 'accepted at 1.36');
  await page.getByTestId('policy-template').click();
  await settled(page);
  assert.equal(await page.getByTestId('policy-errors').getAttribute('data-errors'), '0');
  const checks = page.getByTestId('security-checklist');
  assert.ok(await checks.locator('li').count() >= 4);
  await screenshot(page, 'policy-template-no-log');
  page.check();
  await page.close();
});
