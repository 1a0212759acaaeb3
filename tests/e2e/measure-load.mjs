#!/usr/bin/env node
// Measures drop-to-summary for a log file on disk (a real `File`, as a user's pick):
//   node tests/e2e/measure-load.mjs FILE [runs]
// Prints the time, the exact counts, the worker's wasm memory and the page's JS heap.
// Not a test: prints numbers.
import { serve, launch, DIST } from './harness.mjs';

const file = process.argv[2];
const runs = Number(process.argv[3] ?? 2);
if (!file) throw new Error('usage: measure-load.mjs FILE [runs]');
const server = await serve(DIST, ['/']);
const context = await launch();
try {
  for (let run = 0; run < runs; run++) {
    const page = await context.newPage();
    page.on('console', (m) => { if (process.env.VERBOSE) console.log(`  [console] ${m.text()}`); });
    await page.goto(server.origin + '/');
    await page.locator('.engine.ready').waitFor();
    const t0 = Date.now();
    await page.getByTestId('file-input').setInputFiles(file);
    const s = page.getByTestId('load-summary');
    await s.waitFor({ timeout: 600_000 });
    const ms = Date.now() - t0;
    const events = Number(await s.getAttribute('data-events'));
    const rejected = Number(await s.getAttribute('data-rejected'));
    const heap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? null);
    const wasm = Number(await s.getAttribute('data-heap-bytes'));
    const store = Number(await s.getAttribute('data-memory-bytes'));
    console.log(`run ${run}: ${events} events, ${rejected} rejected, ${ms} ms from pick to summary; store ${(store / 1e6).toFixed(1)} MB (${(store / events).toFixed(0)} B/event); engine wasm heap ${(wasm / 1e6).toFixed(0)} MB (${(wasm / events).toFixed(0)} B/event); page JS heap ${heap && (heap / 1e6).toFixed(0)} MB`);
    await page.close();
  }
} finally {
  await context.close();
  await server.close();
}
