// Large plain JSON-lines files are read by several workers (the engine worker reads the
// first piece, helper workers the others, the pieces are merged in file order). The page
// must give exactly the counts of the native CLI (itself tested equal to one reader),
// including rejected lines and their line numbers across piece boundaries.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, launch, strictPage, summaryCounts, nativeStats, nativeSampleStats, cli, DIST } from './harness.mjs';

let server, context, dir;

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run `trunk build --release` first');
  server = await serve(DIST, ['/']);
  context = await launch();
  dir = await mkdtemp(join(tmpdir(), 'audit-lens-parallel-'));
});
after(async () => {
  await context?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function open(ctx = context) {
  const page = await strictPage(ctx, [server.origin]);
  await page.goto(server.origin + '/');
  await page.locator('.engine.ready').waitFor();
  return page;
}

test('the sample gives the native counts', async () => {
  const page = await open();
  await page.getByTestId('load-sample').click();
  const c = await summaryCounts(page);
  const n = await nativeSampleStats();
  assert.deepEqual([c.events, c.rejected], [n.events, n.rejected]);
  page.check();
  await page.close();
});

test('a ~100 MB log read in pieces gives the native counts, rejections included', async () => {
  const gen = join(dir, 'gen.log');
  cli(['generate', '--size', '100MB', '-o', gen]);
  // Malformed lines spread over the file (some land in each piece).
  const lines = readFileSync(gen, 'utf8').split('\n');
  const out = [];
  const every = Math.floor(lines.length / 9);
  lines.forEach((l, i) => {
    if (i > 0 && i % every === 0) out.push(`{"kind":"Event","broken": ${i}`);
    out.push(l);
  });
  const file = join(dir, 'pieces-audit.log');
  writeFileSync(file, out.join('\n'));
  await rm(gen);
  const n = nativeStats(file);
  assert.ok(n.rejected >= 8, `native rejected ${n.rejected}`);

  // A fresh profile: nothing restored from the sample test (policy, view).
  const own = await launch();
  const page = await open(own);
  const merged = [];
  page.on('console', (m) => { const k = /merged (\d+) pieces/.exec(m.text()); if (k) merged.push(Number(k[1])); });
  const t0 = Date.now();
  await page.getByTestId('file-input').setInputFiles(file);
  const c = await summaryCounts(page, 120_000);
  const ms = Date.now() - t0;
  assert.deepEqual([c.events, c.rejected, c.files], [n.events, n.rejected, 1]);
  // It was really read by more than one worker (the engine logs each merge).
  assert.equal(merged.length, 1, 'one merge');
  assert.ok(merged[0] >= 1, `${merged[0]} helper pieces`);
  // The rejected lines carry the whole file's line numbers.
  const panel = page.getByTestId('rejections');
  await panel.waitFor({ state: 'attached' });
  const shown = await panel.textContent();
  for (const r of n.rejections.slice(0, 5)) {
    assert.ok(shown.includes(`pieces-audit.log:${r.line}`), `line ${r.line} not shown as rejected in ${shown.slice(0, 400)}`);
  }
  console.log(`# ${c.events} events, ${c.rejected} rejected in ${ms} ms`);
  page.check();
  await own.close();
});
