// Measures (does not assert) the time from a keystroke in the policy editor to the updated
// coverage in Chromium with a large log loaded. Usage:
//   node scripts/bench-policy-keystroke.mjs LOG POLICY [N]
// Prints: load time, then per keystroke the total (key -> coverage updated, including the
// 150 ms debounce), the same without the debounce, and the worker's own time.
import { serve, launch, strictPage, summaryCounts, DIST } from '../tests/e2e/harness.mjs';

const [log, policy, n = '8'] = process.argv.slice(2);
if (!log || !policy) { console.error('usage: node scripts/bench-policy-keystroke.mjs LOG POLICY [N]'); process.exit(2); }
const server = await serve(DIST);
const ctx = await launch();
try {
  const page = await strictPage(ctx, [server.origin]);
  page.on('crash', () => console.log('PAGE CRASHED'));
  await page.goto(server.origin + '/');
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  const t0 = Date.now();
  await page.getByTestId('file-input').setInputFiles(log);
  const c = await summaryCounts(page, 600_000);
  console.log(`loaded ${c.events} events in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await page.getByTestId('policy-input').setInputFiles(policy);
  await page.getByTestId('tab-policy').click();
  // The policy arrives through the worker: wait for its name, then for its coverage.
  await page.getByTestId('policy-name').filter({ hasText: policy.split('/').pop() }).waitFor({ timeout: 120_000 });
  await page.locator('[data-testid=policy-workbench][data-busy=false] [data-testid=coverage]').waitFor({ timeout: 120_000 });
  // Caret at the end of line 1; each keystroke adds a space (the policy stays valid).
  await page.getByTestId('policy-editor').evaluate((el) => { el.focus(); const e = el.value.indexOf('\n'); el.setSelectionRange(e, e); });
  const rows = [];
  for (let i = 0; i < Number(n); i++) {
    await page.waitForTimeout(300);
    const done = page.evaluate(() => new Promise((resolve) => {
      const wb = document.querySelector('[data-testid=policy-workbench]');
      const start = { t: 0 };
      document.addEventListener('keydown', () => { start.t = performance.now(); }, { once: true, capture: true });
      let sawBusy = false;
      const obs = new MutationObserver(() => {
        if (wb.dataset.busy === 'true') sawBusy = true;
        if (sawBusy && wb.dataset.busy === 'false') {
          obs.disconnect();
          const cov = document.querySelector('[data-testid=coverage]');
          resolve({ total: performance.now() - start.t, worker: Number(cov?.dataset.evalMs) });
        }
      });
      obs.observe(wb, { attributes: true, subtree: true });
    }));
    await page.keyboard.press('Space');
    rows.push(await done);
  }
  for (const r of rows) console.log(`keystroke -> coverage: ${r.total.toFixed(0)} ms total, ${(r.total - 150).toFixed(0)} ms without the 150 ms debounce (worker ${r.worker.toFixed(0)} ms)`);
  const med = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log(`median: ${med(rows.map((r) => r.total)).toFixed(0)} ms total, ${(med(rows.map((r) => r.total)) - 150).toFixed(0)} ms without debounce, worker ${med(rows.map((r) => r.worker)).toFixed(0)} ms`);
  page.check();
} finally {
  await ctx.close();
  await server.close();
}
