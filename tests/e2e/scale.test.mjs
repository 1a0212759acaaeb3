// A gzip-rotated log of some size (about 45 MB of gzip, 500 MB of log): progress shows
// MB/s and the time left, the page keeps painting while the worker inflates and parses,
// cancel works mid-way, and a full load gives the native CLI's counts. (The 300 MB gzip
// figure is measured by scripts/bench.sh, not here: CI time.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { serve, launch, strictPage, summaryCounts, nativeStats, screenshot, DIST, ROOT } from './harness.mjs';

let server, context, dir, gz;
before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run `trunk build --release` first');
  server = await serve(DIST, ['/']);
  context = await launch();
  dir = await mkdtemp(join(tmpdir(), 'audit-lens-scale-'));
  gz = join(dir, 'audit-2026-11-02.log.gz');
  const bin = join(ROOT, 'target', 'release', 'audit-lens');
  assert.ok(existsSync(bin), 'the release CLI is built first (scripts/test-all.sh does)');
  execFileSync('sh', ['-c', `"${bin}" generate --size 500MB --seed 3 -o /dev/stdout | gzip -1 > "${gz}"`]);
});
after(async () => {
  await context?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('a gzip log: progress with MB/s and time left, cancel, then the native counts', async () => {
  const n = nativeStats(gz);
  assert.ok(n.events > 150_000, `${n.events} events`);
  const page = await strictPage(context, [server.origin]);
  await page.goto(server.origin + '/');
  await page.locator('.engine.ready').waitFor();
  // Frames painted on the main thread while loading (the work is in the worker).
  await page.evaluate(() => {
    window.__frames = 0;
    const tick = () => { window.__frames++; if (!window.__stop) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  });

  await page.getByTestId('file-input').setInputFiles(gz);
  const progress = page.getByTestId('progress');
  await progress.waitFor();
  // A measured rate and time left (not the "–" shown before the first measurement).
  await page.waitForFunction(() => /\d MB\/s.*about .+ left/s.test(document.querySelector('[data-testid=progress]')?.innerText ?? ''), null, { timeout: 30_000 });
  const text = (await progress.innerText()).replace(/\s+/g, ' ');
  assert.match(text, /Reading audit-2026-11-02\.log\.gz/);
  assert.match(text, /[\d.]+ MB of [\d.]+ MB gzip · [\d.]+ MB of log/);
  await screenshot(page, 'gzip-progress');
  await page.getByTestId('cancel').click();
  await page.getByTestId('notice').filter({ hasText: 'audit-2026-11-02.log.gz was not loaded' }).waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId('load-summary').count(), 0);

  // The whole file: progress moves several times, frames keep coming, counts match.
  const seen = new Set();
  const f0 = await page.evaluate(() => window.__frames);
  await page.getByTestId('file-input').setInputFiles(gz);
  const poll = setInterval(async () => {
    try { seen.add(await page.evaluate(() => document.querySelector('[data-testid=progress] progress')?.getAttribute('value'))); } catch { /* page busy or closed */ }
  }, 50);
  const c = await summaryCounts(page, 120_000);
  clearInterval(poll);
  const frames = (await page.evaluate(() => { window.__stop = true; return window.__frames; })) - f0;
  seen.delete(null);
  seen.delete(undefined);
  assert.ok(seen.size >= 3, `progress moved ${seen.size} times`);
  assert.ok(frames >= 5, `${frames} frames painted during the load`);
  assert.deepEqual([c.events, c.rejected, c.files], [n.events, n.rejected, 1]);
  const row = page.getByTestId('file-row');
  assert.match(await row.textContent(), /gzip/); // in the collapsed file list
  console.log(`# ${c.events} events from ${n.bytes ?? '?'} bytes of gzip; ${seen.size} progress values, ${frames} frames during the load`);
  page.check();
  await page.close();
});
