#!/usr/bin/env node
// Measures the Actor view and the Activity feed on a large log in the page (issue 12):
//   node tests/e2e/measure-actor.mjs FILE [ACTOR]
// Actor: from the click on a user's ↗ (the top user of the Users panel unless ACTOR is
// given by its value there) to the sessions painted (the next animation frame), and the
// worker's own time; feed: from the Activity tab's click to the first page painted, a rule
// toggled, and a burst expanded. Not a test: prints numbers.
import { serve, launch, DIST } from './harness.mjs';

const file = process.argv[2];
const want = process.argv[3];
if (!file) throw new Error('usage: measure-actor.mjs FILE [ACTOR]');
const server = await serve(DIST, ['/']);
const context = await launch();
// Clicks `click` inside the page and resolves with the ms until `done` is in the DOM and
// a frame with it has been painted (two animation frames later), so the figure holds no
// automation overhead.
const timed = (page, click, done) => page.evaluate(({ click, done }) => new Promise((res) => {
  const t0 = performance.now();
  document.querySelector(click).click();
  const tick = () => (document.querySelector(done)
    ? requestAnimationFrame(() => requestAnimationFrame(() => res(performance.now() - t0)))
    : requestAnimationFrame(tick));
  tick();
}), { click, done });
try {
  const page = await context.newPage();
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(server.origin + '/');
  await page.locator('.engine.ready').waitFor();
  await page.getByTestId('file-input').setInputFiles(file);
  const s = page.getByTestId('load-summary');
  await s.waitFor({ timeout: 600_000 });
  console.log(`${await s.getAttribute('data-events')} events loaded`);
  await page.getByTestId('tab-explore').click();
  await page.locator('[data-testid=top-user] [data-testid=top-row]').first().waitFor({ timeout: 120_000 });
  const rows = page.locator('[data-testid=top-user] [data-testid=top-row]');
  for (let k = 0; k < Math.min(3, await rows.count()); k++) {
    const row = want ? page.locator(`[data-testid=top-user] [data-testid=top-row][data-value="${want}"]`) : rows.nth(k);
    const who = await row.getAttribute('data-value');
    const events = await row.getAttribute('data-events');
    const ms = await timed(page, `[data-testid=top-user] [data-testid=top-row][data-value="${who}"] [data-testid=open-actor]`, '[data-testid=actor-summary]');
    const sum = page.getByTestId('actor-summary');
    console.log(`actor ${who} (${events} events, ${await sum.getAttribute('data-requests')} requests, ${await sum.getAttribute('data-sessions')} sessions): click to painted ${ms.toFixed(0)} ms (worker ${await sum.getAttribute('data-elapsed-ms')} ms)`);
    await page.keyboard.press('Escape');
    await page.getByTestId('actor-view').waitFor({ state: 'detached' });
    if (want) break;
  }
  let ms = await timed(page, '[data-testid=tab-activity]', '[data-testid=feed-list] li, [data-testid=feed-empty]');
  const c = page.getByTestId('feed-counts');
  console.log(`feed (humans only): click to first page painted ${ms.toFixed(0)} ms (worker ${await c.getAttribute('data-elapsed-ms')} ms; ${await c.getAttribute('data-shown')} of ${await c.getAttribute('data-requests')} requests, ${await c.getAttribute('data-lines')} lines)`);
  const all = await c.getAttribute('data-requests');
  ms = await timed(page, '[data-testid=feed-humans]', `[data-testid=feed-counts][data-shown="${all}"]`);
  console.log(`feed (everyone): click to painted ${ms.toFixed(0)} ms (worker ${await c.getAttribute('data-elapsed-ms')} ms; ${await c.getAttribute('data-lines')} lines, ${await c.getAttribute('data-requests')} requests)`);
  ms = await timed(page, '[data-testid=feed-older]', '[data-testid=feed-list] > li:nth-child(101)');
  console.log(`feed: next page (Show older) painted in ${ms.toFixed(0)} ms`);
  if (await page.getByTestId('feed-burst').count()) {
    ms = await timed(page, '[data-testid=feed-burst] [data-testid=feed-expand]', '[data-testid=feed-members] li');
    console.log(`burst of ${await page.getByTestId('feed-burst').first().getAttribute('data-count')} expanded (first 100): ${ms.toFixed(0)} ms`);
  }
  await page.close();
} finally {
  await context.close();
  await server.close();
}
