// The single-file build (dist-single/audit-lens.html) opened from disk (file://):
// it starts, loads the sample, and makes no request at all besides the page itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launch, strictPage, summaryCounts, screenshot, ROOT, DIST } from './harness.mjs';

const OUT = join(ROOT, 'dist-single', 'audit-lens.html');
let context;

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run `trunk build --release` first');
  execFileSync('node', [join(ROOT, 'scripts', 'single-file.mjs')], { stdio: 'inherit' });
  context = await launch();
});
after(async () => { await context?.close(); });

test('single file from file:// loads the sample', async () => {
  const page = await strictPage(context, ['file://']);
  await page.goto(pathToFileURL(OUT).href);
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  await page.getByTestId('load-sample').click();
  const c = await summaryCounts(page);
  assert.ok(c.events > 1000, `sample events: ${c.events}`);
  assert.equal(c.rejected, 0);
  await page.getByTestId('file-input').setInputFiles({ name: 'one.log', mimeType: 'text/plain', buffer: Buffer.from('{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"6c1d4bb7-0b5a-4f0c-9f62-3f3b1a2f0e01","stage":"ResponseComplete","requestURI":"/healthz","verb":"get","user":{"username":"bob"},"requestReceivedTimestamp":"2024-05-01T10:00:00Z","stageTimestamp":"2024-05-01T10:00:00Z"}\n') });
  await page.locator('[data-testid=load-summary][data-files="2"]').waitFor();
  assert.equal((await summaryCounts(page)).events, c.events + 1);
  await screenshot(page, 'single-file');
  page.check();
  await page.close();
});
