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
import { serve, launch, strictPage, dropFiles, summaryCounts, cli, screenshot, corpusSkip, DIST, CORPUS, SHOTS as ROOT_SHOTS } from './harness.mjs';

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

// Issue 13 §4: the checklist per kind of identity. Verdicts as tests/identity_checks.rs works
// them out by hand: GCE's policy fails only "anonymous requests recorded" (rule 8 drops
// /healthz*, /version, /swagger*; rule 9 all events); the probe policy (drops service
// accounts, then every secret read) fails secret access for every kind and exec/pod writes
// for service accounts only.
const GCE = join(CORPUS, 'policies', 'kubernetes-gce-configure-helper-audit-policy.yaml');
/** The whole checklist as one image (its side panel scrolls). */
const shootList = async (page, name) => {
  await page.evaluate(() => { const s = document.querySelector('.wb-side'); s.style.maxHeight = 'none'; s.style.overflow = 'visible'; });
  await page.getByTestId('security-checklist').screenshot({ path: join(ROOT_SHOTS, `${name}.png`) });
};
const checkRows = (page) => page.getByTestId('check-row').evaluateAll((els) => Object.fromEntries(els.map((e) => [e.dataset.id, e.dataset.failingKinds])));

test('policy workbench: security checklist per kind of identity', { skip: corpusSkip(GCE, 'per-identity checklist e2e') }, async () => {
  for (const width of [1440, 1024]) {
    for (const scheme of ['light', 'dark']) {
      const page = await strictPage(context, [server.origin], { colorScheme: scheme });
      await page.setViewportSize({ width, height: 900 });
      await page.goto(server.origin + '/');
      await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
      await page.evaluate(() => localStorage.clear());
      await page.reload();
      await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
      await page.getByTestId('policy-input').setInputFiles(GCE);
      await page.locator('[data-testid=check-row][data-id=anonymous-recorded]').waitFor({ timeout: 30_000 });
      await settled(page);
      const rowsGce = await checkRows(page);
      assert.deepEqual(rowsGce, {
        'exec-attach-visible': '', 'secret-access': '', 'pod-writes-with-body': '', 'rbac-changes': '',
        'anonymous-recorded': 'anonymous', 'webhook-changes': '', 'token-bodies': '',
        'request-received-omitted': '', 'catch-all': '', 'no-dropped-keys': '',
      });
      const anon = page.locator('[data-testid=check-row][data-id=anonymous-recorded]');
      assert.equal(await anon.locator('.kind-chip.fail').count(), 1);
      assert.equal(await anon.locator('.kind-chip.na').count(), 4, 'the other kinds are not concerned');
      // One line per deciding rule: rule 8 (a URL) and rule 9 (events).
      const anonLines = await anon.locator('.kind-fail').allInnerTexts();
      assert.equal(anonLines.length, 2, anonLines.join('\n'));
      assert.ok(anonLines.some((l) => /by system:anonymous is not recorded — rule 8 \(level None\)/.test(l)), anonLines.join('\n'));
      assert.ok(anonLines.some((l) => /`?get events`? .*rule 9 \(level None\)/.test(l) || /events.*rule 9/.test(l)), anonLines.join('\n'));
      await screenshot(page, `policy-checklist-gce-${width}-${scheme}`);
      await shootList(page, `policy-checklist-gce-list-${width}-${scheme}`);

      if (width === 1440 && scheme === 'light') {
        const probe = 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n'
          + '- level: None\n  userGroups: ["system:serviceaccounts"]\n'
          + '- level: None\n  verbs: [get, list, watch]\n  resources: [{group: "", resources: [secrets]}]\n'
          + '- level: Metadata\n  resources: [{group: "", resources: [secrets, configmaps]}]\n'
          + '- level: Request\n  resources: [{group: ""}, {group: rbac.authorization.k8s.io}, {group: admissionregistration.k8s.io}]\n'
          + '- level: Metadata\n';
        await page.getByTestId('policy-input').setInputFiles({ name: 'probe.yaml', mimeType: 'text/yaml', buffer: Buffer.from(probe) });
        await settled(page);
        const r = await checkRows(page);
        assert.equal(r['secret-access'], 'human,service-account,node,system,anonymous');
        assert.equal(r['exec-attach-visible'], 'service-account');
        assert.equal(r['pod-writes-with-body'], 'service-account');
        // Kinds failing the same way share a line: four kinds lose their secret reads to rule 1.
        const secretLines = await page.locator('[data-testid=check-row][data-id=secret-access] .kind-fail').evaluateAll((els) => els.map((e) => e.dataset.kind));
        assert.deepEqual(secretLines, ['human,node,system,anonymous', 'service-account']);
        const sa = page.locator('[data-testid=check-row][data-id=exec-attach-visible] .kind-fail[data-kind=service-account]');
        assert.match(await sa.innerText(), /by any service account is not recorded — rule 0 \(level None\)/);
        await shootList(page, 'policy-checklist-probe');
      }
      page.check();
      await page.close();
    }
  }
});
