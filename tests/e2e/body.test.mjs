// Inside the events (issue 12 §1–3) in the page: body predicates (`req.`/`resp.`),
// `resource:` with a policy's meaning, `user:`/`as:` over impersonation. Each count is
// compared with an independent count made here (JSON.parse over the corpus files, the
// duplicate rule applied) and with the CLI's `audit-lens query --json` on the same files.
// Completion proposes paths seen in the loaded bodies; a long body search shows progress
// and stops on Stop. Screenshots: target/screenshots/body-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, launch, strictPage, summaryCounts, screenshot, cli, corpusSkip, DIST, CORPUS } from './harness.mjs';

const LOGS = join(CORPUS, 'logs');
const skip = corpusSkip(LOGS, 'body predicate e2e');
let server, context, dir, files;

before(async () => {
  if (skip) return;
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run `trunk build --release` first');
  server = await serve(DIST, ['/']);
  context = await launch();
  dir = await mkdtemp(join(tmpdir(), 'audit-lens-body-'));
  const falco = join(LOGS, 'falco-k8s-audit-traces');
  files = [
    ...readdirSync(falco).sort().map((f) => join(falco, f)),
    join(LOGS, 'openshift-clo-apiaudit-audit_in.log'),
    join(LOGS, 'audit2rbac-demo-original-v1beta1.log'),
  ];
});
after(async () => {
  await context?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Every event of the files as the page keeps them: records with an audit ID and a time,
 *  an event already seen in an earlier file (same audit ID, stage and time) once. */
function events() {
  const out = [];
  const seenBefore = new Set();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    let docs;
    try { docs = [JSON.parse(text)]; } catch { docs = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)); }
    const mine = new Set();
    for (const e of docs) {
      const t = e?.requestReceivedTimestamp ?? e?.timestamp ?? e?.metadata?.creationTimestamp;
      if (!e || typeof e !== 'object' || e.auditID == null || typeof t !== 'string') continue;
      const k = `${e.auditID}|${e.stage}|${t}`;
      if (seenBefore.has(k)) continue;
      mine.add(k);
      out.push(e);
    }
    for (const k of mine) seenBefore.add(k);
  }
  return out;
}

async function setFilter(page, f) {
  await page.getByTestId('filter-input').fill(f);
  await page.getByTestId('filter-input').press('Enter');
  await page.waitForFunction((f) => document.querySelector('[data-testid=result-count]')?.getAttribute('data-filter') === f, f, { timeout: 30_000 });
  return Number(await page.getByTestId('result-count').getAttribute('data-events'));
}

test('body predicates, resource: and impersonation equal a plain count and the CLI', { skip }, async () => {
  const evs = events();
  const sub = (e) => e.objectRef?.subresource ?? '';
  const cases = [
    ['req.spec.containers[*].securityContext.privileged:true', (e) => (e.requestObject?.spec?.containers ?? []).some((c) => c?.securityContext?.privileged === true)],
    ['req.roleRef.name:cluster-admin', (e) => e.requestObject?.roleRef?.name === 'cluster-admin'],
    ['req.rules[*].verbs:"*"', (e) => (e.requestObject?.rules ?? []).some((r) => (r?.verbs ?? []).includes('*'))],
    ['req.spec.hostNetwork:true', (e) => e.requestObject?.spec?.hostNetwork === true],
    ['resp.spec.renewTime:* resource:leases', (e) => e.responseObject?.spec?.renewTime != null && e.objectRef?.resource === 'leases' && sub(e) === ''],
    ['verb:create -req.spec.hostNetwork:true', (e) => e.verb === 'create' && e.requestObject?.spec?.hostNetwork !== true],
    ['resource:pods', (e) => e.objectRef?.resource === 'pods' && sub(e) === ''],
    ['resource:pods/*', (e) => e.objectRef?.resource === 'pods'],
    ['resource:pods/exec,pods/attach', (e) => e.objectRef?.resource === 'pods' && ['exec', 'attach'].includes(sub(e))],
    ['fact:privileged resource:pods', (e) => ['create', 'update', 'patch'].includes(e.verb) && e.objectRef?.resource === 'pods' && sub(e) === ''
      && [...(e.requestObject?.spec?.containers ?? []), ...(e.requestObject?.spec?.initContainers ?? [])].some((c) => c?.securityContext?.privileged === true)],
    ['roleref:cluster-admin', (e) => ['create', 'update', 'patch'].includes(e.verb) && ['rolebindings', 'clusterrolebindings'].includes(e.objectRef?.resource) && e.requestObject?.roleRef?.name === 'cluster-admin'],
    ['as:*', (e) => e.impersonatedUser?.username != null],
    ['user:bob', (e) => e.user?.username === 'bob' || e.impersonatedUser?.username === 'bob'],
  ];
  const page = await strictPage(context, [server.origin], { colorScheme: 'light' });
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(server.origin + '/');
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  await page.getByTestId('file-input').setInputFiles(files);
  const s = await summaryCounts(page);
  assert.equal(s.events, evs.length, 'the plain count keeps what the page keeps');
  await page.getByTestId('tab-explore').click();
  await page.getByTestId('event-row').first().waitFor();
  for (const [f, pred] of cases) {
    const want = evs.filter(pred).length;
    const got = await setFilter(page, f);
    assert.equal(got, want, `${f}: page ${got}, plain count ${want}`);
    const native = JSON.parse(cli(['query', '--json', '--filter', f, ...files])).count;
    assert.equal(got, native, `${f}: page ${got}, CLI ${native}`);
    if (['resource:pods', 'as:*', 'req.spec.containers[*].securityContext.privileged:true'].includes(f)) assert.ok(want > 0, `${f}: the corpus has such events`);
  }
  // `resource:pods` no longer includes exec and attach; `as:*` is only impersonated events.
  assert.ok(evs.filter(cases[7][1]).length > evs.filter(cases[6][1]).length);
  assert.equal(evs.filter(cases[11][1]).length, 37, 'audit2rbac: 37 impersonated events');

  // A body term with an error names its place.
  await page.getByTestId('filter-input').fill('req.spec.hostNetwork');
  await page.getByTestId('filter-input').press('Enter');
  await page.getByTestId('filter-error').waitFor();
  assert.match(await page.getByTestId('filter-error').innerText(), /needs a value/);

  // Completion: the paths of the loaded bodies.
  await page.getByTestId('filter-input').fill('');
  await page.getByTestId('filter-input').pressSequentially('req.spec.containers[*].sec');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=completion][data-fresh=true] .c-label')].some((l) => l.textContent === 'req.spec.containers[*].securityContext.privileged'), null, { timeout: 10_000 });
  const labels = await page.locator('[data-testid=completion] .c-label').allInnerTexts();
  assert.ok(labels.every((l) => l.startsWith('req.spec.containers[*].sec')), labels.join(' '));
  await page.getByTestId('filter-input').press('Tab');
  const v = await page.getByTestId('filter-input').inputValue();
  assert.ok(v.startsWith('req.spec.containers[*].securityContext.'), v);
  const priv = 'req.spec.containers[*].securityContext.privileged:true';
  await setFilter(page, priv);
  await screenshot(page, 'body-privileged-1440-light');
  // The export of a body search holds exactly those events, byte for byte the CLI's, and
  // each one parsed back is one of the plain count's privileged events.
  const dl = page.waitForEvent('download');
  await page.getByTestId('export-events').click();
  const exported = readFileSync(await (await dl).path(), 'utf8');
  const lines = exported.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const want = evs.filter(cases[0][1]).map((e) => `${e.auditID}|${e.stage}`).sort();
  assert.deepEqual(lines.map((e) => `${e.auditID}|${e.stage}`).sort(), want, 'the exported events are the privileged ones');
  assert.ok(lines.every(cases[0][1]), 'each exported event is privileged');
  assert.equal(exported, cli(['query', '--filter', priv, '--events', ...files]), 'the page exports what the CLI prints');
  page.check();
  await page.close();
});

test('a long body search shows progress and stops on Stop', { skip }, async () => {
  const big = join(dir, 'big-audit.log');
  cli(['generate', '--size', '400MB', '-o', big]);
  const page = await strictPage(context, [server.origin], { colorScheme: 'dark' });
  await page.setViewportSize({ width: 1024, height: 800 });
  await page.goto(server.origin + '/');
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  await page.getByTestId('file-input').setInputFiles([big]);
  await summaryCounts(page, 120_000);
  await page.getByTestId('tab-explore').click();
  await page.getByTestId('event-row').first().waitFor();
  const f = 'resp.metadata.name:*';
  await page.getByTestId('filter-input').fill(f);
  await page.getByTestId('filter-input').press('Enter');
  await page.getByTestId('body-search').waitFor({ timeout: 10_000 });
  await screenshot(page, 'body-search-1024-dark');
  await page.getByTestId('body-search-stop').click();
  await page.getByTestId('filter-error').waitFor({ timeout: 10_000 });
  assert.match(await page.getByTestId('filter-error').innerText(), /Body search stopped after .* of .* — press Enter to search again/);
  assert.equal(await page.getByTestId('body-search').count(), 0);
  // Enter searches again, to the end: the CLI's count.
  await page.getByTestId('filter-input').press('Enter');
  await page.waitForFunction((f) => document.querySelector('[data-testid=result-count]')?.getAttribute('data-filter') === f, f, { timeout: 120_000 });
  const got = Number(await page.getByTestId('result-count').getAttribute('data-events'));
  assert.equal(got, JSON.parse(cli(['query', '--json', '--filter', f, big])).count);
  page.check();
  await page.close();
});
