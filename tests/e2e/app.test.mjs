// End-to-end tests of dist/ in Debian's Chromium: landing, sample, corpus logs by file
// input and by drag-and-drop (counts checked against the native CLI), progress + cancel,
// sub-path hosting, themes. Screenshots go to target/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, openSync, writeSync, closeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, launch, strictPage, dropFiles, summaryCounts, nativeStats, nativeSampleStats, screenshot, corpusSkip, DIST, CORPUS } from './harness.mjs';

const SUB = '/tools/audit/';
let server, context, dir;

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run `trunk build --release` first');
  server = await serve(DIST, [SUB, '/']);
  context = await launch();
  dir = await mkdtemp(join(tmpdir(), 'audit-lens-app-'));
});
after(async () => {
  await context?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A ~`mb` MB log on disk made of `line` repeated: a real, disk-backed `File` when picked
 *  (Chromium refuses to read in-memory blobs of a few hundred MB once its blob memory is
 *  full, which a user's file never hits), large enough to be cancelled mid-way. */
function bigLog(name, line, mb) {
  const path = join(dir, name);
  const chunk = Buffer.from(line.repeat(Math.ceil(8e6 / line.length)));
  const fd = openSync(path, 'w');
  for (let n = 0; n < mb / 8; n++) writeSync(fd, chunk);
  closeSync(fd);
  return path;
}

const open = async (path = '/', opts) => {
  const page = await strictPage(context, [server.origin], opts);
  await page.goto(server.origin + path);
  await page.getByTestId('engine-status').filter({ hasText: 'engine' }).waitFor();
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  return page;
};
const corpusLog = (name) => join(CORPUS, 'logs', name);
const skipCorpus = corpusSkip(join(CORPUS, 'logs'), 'tests that read real logs');

test('landing view: hooks, CSP-clean start, shortcuts, themes', async () => {
  const page = await open('/');
  for (const id of ['drop-zone', 'file-input', 'policy-input', 'load-sample']) {
    assert.equal(await page.getByTestId(id).count(), 1, id);
  }
  assert.equal(await page.getByTestId('file-input').evaluate((el) => el.multiple && el.type === 'file'), true);
  await screenshot(page, 'landing');
  // The Content-Security-Policy is enforced: an injected inline script does not run.
  const ran = await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__injected = 1';
    document.head.append(s);
    return window.__injected === 1;
  });
  assert.equal(ran, false, 'inline script blocked by the CSP');
  assert.ok(page.problems.some((p) => /Content Security Policy/.test(p)), 'the violation was reported');
  page.problems.length = 0;
  await page.keyboard.press('?');
  await page.getByTestId('help').waitFor();
  await screenshot(page, 'help');
  await page.keyboard.press('Escape');
  await page.getByTestId('help').waitFor({ state: 'detached' });
  page.check();
  await page.close();

  const dark = await open('/', { colorScheme: 'dark' });
  await screenshot(dark, 'landing-dark');
  dark.check();
  await dark.close();
});

test('load the sample, see the summary and its policy, then clear', async () => {
  const page = await open('/');
  await page.getByTestId('load-sample').click();
  const c = await summaryCounts(page);
  const native = await nativeSampleStats();
  assert.ok(c.events > 1000, `sample has events (${c.events})`);
  assert.deepEqual([c.events, c.rejected], [native.events, native.rejected], 'same counts as the native engine');
  await screenshot(page, 'sample-loaded');
  await page.getByTestId('tab-policy').click();
  await page.getByTestId('policy-errors').waitFor();
  await screenshot(page, 'sample-policy');
  assert.equal(await page.getByTestId('policy-errors').getAttribute('data-errors'), '0');
  await page.getByTestId('tab-explore').click();
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(300); // let colour transitions finish
  await screenshot(page, 'sample-loaded-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.getByTestId('clear').click();
  await page.getByTestId('clear-confirm').click(); // Clear asks first (issue 16 §6)
  await page.getByTestId('load-summary').waitFor({ state: 'detached' });
  assert.equal(await page.getByTestId('drop-zone').count(), 1);
  page.check();
  await page.close();
});

test('a corpus log by drag-and-drop matches the native counts', { skip: skipCorpus }, async () => {
  const page = await open('/');
  const file = corpusLog('audit2rbac-demo-original-v1beta1.log');
  const native = nativeStats(file);
  await dropFiles(page, '[data-testid=drop-zone]', [{ name: 'audit2rbac-demo-original-v1beta1.log', base64: readFileSync(file).toString('base64') }]);
  const c = await summaryCounts(page);
  assert.equal(c.events, native.events);
  assert.equal(c.rejected, native.rejected);
  assert.equal(c.events, 757);
  page.check();
  await page.close();
});

test('under a sub-path: file input, then more files added to the set', { skip: skipCorpus }, async () => {
  const page = await open(SUB);
  const a = corpusLog('audit2rbac-demo-original-v1beta1.log');
  const b = corpusLog('aks-diagnostic-records-event.json');
  const [na, nb] = [nativeStats(a), nativeStats(b)];
  await page.getByTestId('file-input').setInputFiles(a);
  let c = await summaryCounts(page);
  assert.deepEqual([c.events, c.rejected, c.files], [na.events, na.rejected, 1]);
  // Add a second file by dropping it on the compact drop bar: the set grows.
  await dropFiles(page, '[data-testid=drop-zone]', [{ name: 'aks-diagnostic-records-event.json', base64: readFileSync(b).toString('base64') }]);
  await page.locator('[data-testid=load-summary][data-files="2"]').waitFor();
  c = await summaryCounts(page);
  assert.deepEqual([c.events, c.rejected], [na.events + nb.events, na.rejected + nb.rejected]);
  assert.equal(nb.events, 22);
  assert.ok(server.requests.some((p) => p.startsWith(SUB + 'worker')), 'the worker was loaded from the sub-path');
  await screenshot(page, 'subpath-two-files');
  page.check();
  await page.close();
});

test('rejected lines are reported with file:line and a reason', async () => {
  const page = await open('/');
  const good = '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"6c1d4bb7-0b5a-4f0c-9f62-3f3b1a2f0e01","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"list","user":{"username":"alice"},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":"pods","namespace":"default","apiVersion":"v1"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2024-05-01T10:00:00.000000Z","stageTimestamp":"2024-05-01T10:00:00.010000Z"}';
  await page.getByTestId('file-input').setInputFiles({ name: 'mixed.log', mimeType: 'text/plain', buffer: Buffer.from(`${good}\nthis is not json\n${good}\n`) });
  const c = await summaryCounts(page);
  assert.deepEqual([c.events, c.rejected], [2, 1]);
  const text = await page.getByTestId('rejections').innerText();
  assert.match(text, /mixed\.log:2: /);
  page.check();
  await page.close();
});

test('a large file shows progress and can be cancelled', async () => {
  const page = await open('/');
  const line = '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"6c1d4bb7-0b5a-4f0c-9f62-3f3b1a2f0e01","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/kube-system/configmaps/x","verb":"get","user":{"username":"system:kube-controller-manager","groups":["system:authenticated"]},"sourceIPs":["10.0.0.1"],"userAgent":"kube-controller-manager/v1.30.0","objectRef":{"resource":"configmaps","namespace":"kube-system","name":"x","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2024-05-01T10:00:00.000000Z","stageTimestamp":"2024-05-01T10:00:00.010000Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}\n';
  // ~720 MB: several workers read it, and it is still loading when cancelled.
  await page.getByTestId('file-input').setInputFiles(bigLog('big-audit.log', line, 720));
  const progress = page.getByTestId('progress');
  await progress.waitFor();
  await page.waitForFunction(() => {
    const b = document.querySelector('[data-testid=progress] progress');
    return b && Number(b.getAttribute('value')) > 30e6;
  }, null, { timeout: 30_000 });
  await screenshot(page, 'progress');
  await page.getByTestId('cancel').click();
  await progress.waitFor({ state: 'detached', timeout: 30_000 });
  await screenshot(page, 'cancelled');
  // Nothing was loaded before: back to the landing view, saying what happened.
  await page.getByTestId('notice').filter({ hasText: /Loading cancelled: big-audit\.log was not loaded/ }).waitFor();
  assert.equal(await page.getByTestId('load-summary').count(), 0);
  await screenshot(page, 'cancelled');
  page.check();
  await page.close();
});

test('a broken policy shows its errors at their lines', async () => {
  const page = await open('/');
  const policy = 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n    resources:\n      - group: ""\n        resources: ["secrets"]\n  - level: Everything\n';
  await dropFiles(page, '[data-testid=drop-zone]', [{ name: 'broken-policy.yaml', text: policy }]);
  const errors = page.getByTestId('policy-errors');
  await errors.waitFor();
  assert.ok(Number(await errors.getAttribute('data-errors')) >= 1);
  const first = errors.locator('li[data-severity=error]').first();
  assert.equal(await first.getAttribute('data-line'), '8');
  await screenshot(page, 'policy-errors');
  page.check();
  await page.close();
});

test('cancelling an added file keeps the files loaded before it', async () => {
  const page = await open('/');
  const ev = (t) => `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"6c1d4bb7-0b5a-4f0c-9f62-3f3b1a2f0e0${t}","stage":"ResponseComplete","requestURI":"/healthz","verb":"get","user":{"username":"bob"},"requestReceivedTimestamp":"2024-05-01T10:00:0${t}Z","stageTimestamp":"2024-05-01T10:00:0${t}Z"}\n`;
  await page.getByTestId('file-input').setInputFiles({ name: 'kept.log', mimeType: 'text/plain', buffer: Buffer.from(ev(1) + ev(2)) });
  assert.equal((await summaryCounts(page)).events, 2);
  await page.getByTestId('file-input').setInputFiles(bigLog('too-big.log', ev(3), 720));
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=progress] progress')?.getAttribute('value')) > 20e6, null, { timeout: 30_000 });
  await page.keyboard.press('Escape'); // harmless; the cancel is a click
  await page.getByTestId('cancel').click();
  await page.getByTestId('notice').filter({ hasText: 'too-big.log was not loaded' }).waitFor({ timeout: 30_000 });
  const c = await summaryCounts(page);
  assert.deepEqual([c.events, c.rejected, c.files], [2, 0, 1]);
  page.check();
  await page.close();
});

test('"Load policy…" reads a file as a policy and opens the Policy tab', { skip: skipCorpus }, async () => {
  const page = await open('/');
  const dir = join(CORPUS, 'policies');
  const name = existsSync(dir) ? readdirSync(dir).find((n) => /\.ya?ml$/.test(n)) : undefined;
  assert.ok(name, 'a corpus policy');
  await page.getByTestId('policy-input').setInputFiles(join(dir, name));
  await page.getByTestId('policy-errors').waitFor();
  assert.equal(await page.getByRole('tab', { selected: true }).innerText(), 'Policy');
  assert.match(await page.locator('.policy h2').first().innerText(), new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  await screenshot(page, 'corpus-policy');
  page.check();
  await page.close();
});
