#!/usr/bin/env node
// Measures opening an object's history in the page (issue 12 §5, budget 100 ms at 1 M
// events, painting included): loads FILE, filters to the object's events, clicks its name
// and times click → the view drawn (data-ready, then the next animation frame). Prints the
// worker's own time too. Not a test: prints numbers.
//   node tests/e2e/measure-history.mjs FILE FILTER [runs]
// e.g. FILE from `audit-lens generate --size 1450MB --body-scale 0.05` (about 1 M events),
// FILTER 'resource:leases name:kube-scheduler'.
import { serve, launch, DIST } from './harness.mjs';

const [file, filter = 'resource:leases name:kube-scheduler', runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 5);
if (!file) throw new Error('usage: measure-history.mjs FILE [FILTER] [runs]');
const server = await serve(DIST, ['/']);
const context = await launch();
try {
  const page = await context.newPage();
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(server.origin + '/');
  await page.locator('.engine.ready').waitFor();
  const t0 = Date.now();
  await page.getByTestId('file-input').setInputFiles(file);
  const s = page.getByTestId('load-summary');
  await s.waitFor({ timeout: 900_000 });
  console.log(`${await s.getAttribute('data-events')} events loaded in ${Date.now() - t0} ms`);
  await page.getByTestId('tab-explore').click();
  await page.getByTestId('filter-input').fill(filter);
  await page.getByTestId('filter-input').press('Enter');
  await page.waitForFunction((f) => document.querySelector('[data-testid=result-count]')?.getAttribute('data-filter') === f, filter);
  await page.getByTestId('object-link').first().waitFor();
  for (let run = 0; run < runs; run++) {
    const ms = await page.evaluate(() => new Promise((done) => {
      const t = performance.now();
      document.querySelector('[data-testid=object-link]').click();
      const poll = () => {
        if (document.querySelector('[data-testid=history-view][data-ready=true]')) {
          requestAnimationFrame(() => done(performance.now() - t));
        } else requestAnimationFrame(poll);
      };
      poll();
    }));
    const info = await page.locator('.history-body > p.muted.small').last().innerText();
    const n = await page.getByTestId('history-request').count();
    console.log(`run ${run}: click → drawn ${ms.toFixed(1)} ms; ${n} requests shown; ${info}`);
    await page.keyboard.press('Escape');
    await page.getByTestId('history-view').waitFor({ state: 'detached' });
  }
} finally {
  await context.close();
  await server.close();
}
