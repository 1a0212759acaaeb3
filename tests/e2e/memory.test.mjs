// A load that would not fit in the tab stops before memory runs out and offers what can
// be loaded instead: a time window or some of the files. The page's limit is lowered
// with `?max-events=N` (the default, ~17.9 M events, would need tens of GB of logs).
// Every count is checked against the native CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, appendFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, launch, strictPage, summaryCounts, nativeStats, cli, screenshot, DIST } from './harness.mjs';

let server, context, dir, big, a, b;

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run `trunk build --release` first');
  server = await serve(DIST, ['/']);
  context = await launch();
  dir = await mkdtemp(join(tmpdir(), 'audit-lens-memory-'));
  big = join(dir, 'week-audit.log');
  cli(['generate', '--size', '100MB', '--seed', '7', '-o', big]); // read by several workers (64 MB and up)
  a = join(dir, 'audit-a.log');
  b = join(dir, 'audit-b.log');
  cli(['generate', '--size', '20MB', '--seed', '1', '-o', a]);
  cli(['generate', '--size', '20MB', '--seed', '2', '-o', b]);
});
after(async () => {
  await context?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function open(maxEvents) {
  const page = await strictPage(context, [server.origin]);
  await page.goto(`${server.origin}/?max-events=${maxEvents}`);
  await page.locator('.engine.ready').waitFor();
  return page;
}

test('a log too large for the tab: stopped early, then a time window is loaded', async () => {
  const n = nativeStats(big);
  const max = Math.floor(n.events / 3);
  const page = await open(max);
  await page.getByTestId('file-input').setInputFiles(big);
  const fit = page.getByTestId('wont-fit');
  await fit.waitFor({ timeout: 60_000 });
  await screenshot(page, 'wont-fit-window');
  // The estimate is close to the real count (it is made from the first slice read).
  const est = Number(await fit.getAttribute('data-estimated-events'));
  assert.ok(Math.abs(est - n.events) / n.events < 0.2, `estimated ${est} for ${n.events}`);
  assert.equal(Number(await fit.getAttribute('data-max-events')), max);
  // Nothing of it was kept, and the page says why.
  await page.getByTestId('notice').filter({ hasText: /Stopped before running out of memory: week-audit\.log was not loaded/ }).waitFor();
  assert.equal(await page.getByTestId('load-summary').count(), 0);
  // One file: no file list, only the window.
  assert.equal(await page.getByTestId('load-subset').count(), 0);
  const from = await page.getByTestId('window-from').inputValue();
  const to = await page.getByTestId('window-to').inputValue();
  assert.match(from, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  // A wrong time is refused in place.
  await page.getByTestId('window-from').fill('yesterday');
  assert.ok(await page.getByTestId('load-window').isDisabled());
  await page.getByTestId('window-from').fill(from);
  const merged = [];
  page.on('console', (m) => { if (/merged \d+ pieces/.test(m.text())) merged.push(m.text()); });
  await page.getByTestId('load-window').click();
  const c = await summaryCounts(page);
  const s = page.getByTestId('load-summary');
  const skipped = Number(await s.getAttribute('data-skipped'));
  // Exactly the events of [from, to), as the CLI counts them; the rest counted as outside.
  const want = JSON.parse(cli(['query', '--filter', '', '--after', from, '--before', to, '--json', big])).count;
  assert.equal(c.events, want);
  assert.ok(c.events > 0 && c.events <= max, `${c.events} events loaded, limit ${max}`);
  assert.equal(c.events + skipped + c.rejected, n.events + n.rejected);
  // Read by several workers, each keeping only the window.
  assert.equal(merged.length, 1, 'the file was read in pieces');
  assert.equal(await page.getByTestId('wont-fit').count(), 0);
  await screenshot(page, 'wont-fit-window-loaded');
  page.check();
  await page.close();
});

test('several files too large together: some of them are loaded', async () => {
  const [na, nb] = [nativeStats(a), nativeStats(b)];
  const max = Math.floor((na.events + nb.events) * 0.6);
  const page = await open(max);
  await page.getByTestId('file-input').setInputFiles([a, b]);
  const fit = page.getByTestId('wont-fit');
  await fit.waitFor({ timeout: 60_000 });
  const boxes = page.getByTestId('fit-file');
  assert.equal(await boxes.count(), 2);
  // The first file that fits is chosen, the second is not.
  assert.deepEqual([await boxes.nth(0).isChecked(), await boxes.nth(1).isChecked()], [true, false]);
  await screenshot(page, 'wont-fit-files');
  // Take the second instead.
  await boxes.nth(0).uncheck();
  assert.ok(await page.getByTestId('load-subset').isDisabled(), 'nothing chosen');
  await boxes.nth(1).check();
  await page.getByTestId('load-subset').click();
  const c = await summaryCounts(page);
  assert.deepEqual([c.events, c.rejected, c.files], [nb.events, nb.rejected, 1]);
  assert.match(await page.getByTestId('load-summary').innerText(), /Files\s*1/i);
  page.check();
  await page.close();
});

test('declining loads nothing and says so', async () => {
  const n = nativeStats(big);
  const page = await open(Math.floor(n.events / 4));
  await page.getByTestId('file-input').setInputFiles(big);
  await page.getByTestId('wont-fit').waitFor({ timeout: 60_000 });
  await page.getByTestId('fit-dismiss').click();
  await page.getByTestId('notice').filter({ hasText: 'The held-back files were not loaded.' }).waitFor();
  assert.equal(await page.getByTestId('wont-fit').count(), 0);
  assert.equal(await page.getByTestId('load-summary').count(), 0);
  page.check();
  await page.close();
});

test('helpers\' pieces denser than the first: the merge checks the limit too', async () => {
  // 40 MB of generated events (~2.6 kB each), then 40 MB of small ones (~300 B): the
  // first piece promises far fewer events than the second brings.
  const dense = join(dir, 'dense-audit.log');
  cli(['generate', '--size', '40MB', '--seed', '5', '-o', dense]);
  const small = '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"00000000-0000-4000-8000-000000000001","stage":"ResponseComplete","requestURI":"/healthz","verb":"get","user":{"username":"probe"},"requestReceivedTimestamp":"2026-11-02T09:00:00Z","stageTimestamp":"2026-11-02T09:00:00Z"}\n';
  appendFileSync(dense, small.repeat(Math.ceil(40e6 / small.length)));
  const n = nativeStats(dense);
  const max = Math.floor(n.events / 2);
  const page = await open(max);
  await page.getByTestId('file-input').setInputFiles(dense);
  await page.getByTestId('wont-fit').waitFor({ timeout: 60_000 });
  await page.getByTestId('notice').filter({ hasText: /dense-audit\.log was not loaded/ }).waitFor();
  assert.equal(await page.getByTestId('load-summary').count(), 0);
  page.check();
  await page.close();
});
