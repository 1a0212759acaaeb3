// Formats in (issue 15 §1), in the page: the 25 GKE Cloud Audit Logs entries of the Sysdig
// bridge (Go logging.Entry JSON), a `gcloud logging read --format=json` array holding a
// GKE entry and entries of two other Google Cloud services (skipped, named), and an
// OpenShift OTLP/JSON file. The counts shown must equal an independent count made here
// with JSON.parse; a filter must select the mapped events.
// Screenshots: target/screenshots/formats-summary-{light,dark}.png (1440 px).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, launch, strictPage, summaryCounts, screenshot, corpusSkip, DIST, CORPUS } from './harness.mjs';

const RW = join(CORPUS, 'realworld', 'logs');
const skip = corpusSkip(RW, 'formats e2e');
let server, context, dir, files, want;

before(async () => {
  if (skip) return;
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run `trunk build --release` first');
  server = await serve(DIST, ['/']);
  context = await launch();
  dir = await mkdtemp(join(tmpdir(), 'audit-lens-formats-'));
  const le = join(RW, 'sysdiglabs-stackdriver-webhook-bridge', 'log_entries');
  const gke = readdirSync(le).filter((n) => n.endsWith('.json')).sort().map((n) => join(le, n));
  const methods = gke.map((f) => JSON.parse(JSON.parse(readFileSync(f, 'utf8')).AuditPayload).methodName);
  // The Elastic test line's LogEntry, and two copies of it given other services.
  const mixed = readFileSync(join(CORPUS, 'logs', 'elastic-integrations-test-audit-mixed-formats.log'), 'utf8');
  const entry = mixed.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((v) => v.protoPayload);
  const other = (svc) => ({ ...entry, protoPayload: { ...entry.protoPayload, serviceName: svc } });
  writeFileSync(join(dir, 'gcloud.json'), JSON.stringify([entry, other('compute.googleapis.com'), other('storage.googleapis.com')], null, 2));
  const otlp = join(RW, 'openshift-clo-logsamples-otlp_audit_kube.otlp.json');
  const otlpCount = JSON.parse(readFileSync(otlp, 'utf8')).resourceLogs
    .flatMap((r) => r.scopeLogs).flatMap((s) => s.logRecords).filter((r) => r.body?.stringValue).length;
  files = [...gke, join(dir, 'gcloud.json'), otlp];
  want = {
    events: gke.length + 1 + otlpCount,
    skipped: 2,
    clusterroleCreates: methods.filter((m) => m.endsWith('.clusterroles.create')).length,
  };
});
after(async () => {
  await context?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('GKE and OTLP files load with the independent counts; skipped services are named; a filter works', { skip }, async () => {
  assert.equal(want.events, 29);
  for (const scheme of ['light', 'dark']) {
    const page = await strictPage(context, [server.origin], { colorScheme: scheme });
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(server.origin + '/');
    await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
    await page.getByTestId('file-input').setInputFiles(files);
    const s = await summaryCounts(page);
    assert.equal(s.events, want.events);
    assert.equal(s.rejected, 0);
    const sk = page.getByTestId('skipped-kinds');
    assert.equal(Number(await sk.getAttribute('data-skipped-other')), want.skipped);
    const text = await sk.innerText();
    assert.match(text, /compute\.googleapis\.com/);
    assert.match(text, /storage\.googleapis\.com/);
    await screenshot(page, `formats-summary-${scheme}`);
    if (scheme === 'light') {
      await page.getByTestId('tab-explore').click();
      await page.getByTestId('event-row').first().waitFor();
      await page.getByTestId('filter-input').fill('resource:clusterroles verb:create');
      await page.getByTestId('filter-input').press('Enter');
      await page.waitForFunction(() => document.querySelector('[data-testid=result-count]')?.getAttribute('data-filter') === 'resource:clusterroles verb:create');
      const n = Number(await page.getByTestId('result-count').getAttribute('data-events'));
      assert.equal(n, want.clusterroleCreates);
    }
    await page.close();
  }
});
