// The Cost panel (issue 14 §4) in Debian's Chromium: the sample log and its policy; the
// saving shown equals the one computed here from the numbers on the page (bytes per day
// of the baseline and the edited policy, the prices in the form) and the documented list
// price; another destination (with its free allotment) and an edited price; a reload
// keeps the choice (local storage, `audit-lens.pricing.v1`). Screenshots at 1440 and
// 1024 px, light and dark: target/screenshots/cost-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { strictPage, summaryCounts, forTestFile, SHOTS } from './harness.mjs';

const env = forTestFile(false);
const GIB = 2 ** 30;
const MONTH_DAYS = 365.25 / 12;

const open = async (opts) => {
  const page = await strictPage(env.context, [env.server.origin], opts);
  await page.goto(env.server.origin + '/');
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  return page;
};
const withSample = async (page) => {
  await page.getByTestId('load-sample').click();
  await summaryCounts(page);
  await page.getByTestId('tab-policy').click();
  await page.locator('[data-testid=policy-workbench][data-busy=false]').waitFor({ timeout: 30_000 });
  await page.getByTestId('cost-panel').waitFor({ timeout: 30_000 });
};
/** Everything the panel shows, as numbers. */
const read = (page) => page.evaluate(() => {
  const q = (id) => document.querySelector(`[data-testid=${id}]`);
  const num = (id) => Number(q(id).value);
  return {
    destination: q('cost-panel').dataset.destination,
    listPrice: q('cost-panel').dataset.listPrice === 'true',
    ingest: num('cost-ingest'), storage: num('cost-storage'), included: num('cost-included'),
    free: num('cost-free'), retention: num('cost-retention'),
    baseBpd: Number(q('cost-baseline').dataset.bytesPerDay), editBpd: Number(q('cost-edited').dataset.bytesPerDay),
    base: Number(q('cost-baseline').dataset.amount), edited: Number(q('cost-edited').dataset.amount),
    saving: Number(q('cost-saving').dataset.amount),
    volumeBpd: Number(q('volume-summary').dataset.bytesPerDay),
    savingText: q('cost-saving').innerText,
  };
});
/** The month's cost of `bpd` bytes per day under the form's figures, worked here. */
const cost = (f, bpd) => {
  const gibDay = bpd / GIB;
  const ingest = Math.max(0, gibDay * MONTH_DAYS - f.free) * f.ingest;
  const storage = gibDay * Math.max(0, f.retention - f.included) * f.storage;
  return ingest + storage;
};
const near = (got, want, what) => assert.ok(Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${what}: ${got} vs ${want}`);

test('cost panel: the saving from the page\'s numbers, another destination, kept over a reload', async () => {
  const page = await open();
  await page.setViewportSize({ width: 1440, height: 1000 });
  await withSample(page);
  let f = await read(page);
  // The default is CloudWatch Logs' list price: $0.50 per GB (10^9 bytes) and $0.03 per
  // GB-month, shown per GiB; 30 days kept, no free allotment, nothing included.
  assert.equal(f.destination, 'cloudwatch');
  assert.ok(f.listPrice);
  near(f.ingest, 0.50 * GIB / 1e9, 'ingest per GiB');
  near(f.storage, 0.03 * GIB / 1e9, 'storage per GiB-month');
  assert.deepEqual([f.free, f.included, f.retention], [0, 0, 30]);
  // The edited policy's bytes per day are the what-if's.
  assert.equal(f.editBpd, f.volumeBpd);
  assert.ok(f.baseBpd > f.editBpd, `the sample policy keeps less than the log holds: ${f.baseBpd} → ${f.editBpd}`);
  // No free allotment: the saving is linear in the bytes saved.
  const perByteDay = (MONTH_DAYS * f.ingest + f.retention * f.storage) / GIB;
  near(f.saving, (f.baseBpd - f.editBpd) * perByteDay, 'saving');
  near(f.base, cost(f, f.baseBpd), 'baseline cost');
  near(f.edited, cost(f, f.editBpd), 'edited cost');
  assert.match(f.savingText, /\$[\d,]+\.\d\d a month/);
  assert.match(await page.getByTestId('cost-source').innerText(), /looked up 2026-12-01/i);
  await page.getByTestId('cost-panel').screenshot({ path: join(SHOTS, 'cost-1440-light.png') });

  // Google Cloud Logging: 50 GiB a month free, 30 days included.
  await page.getByTestId('cost-destination').selectOption('gcp-logging');
  await page.locator('[data-testid=cost-panel][data-destination=gcp-logging]').waitFor();
  f = await read(page);
  assert.deepEqual([f.free, f.included, f.ingest, f.storage], [50, 30, 0.5, 0.01]);
  near(f.saving, cost(f, f.baseBpd) - cost(f, f.editBpd), 'saving with the free allotment');
  // No free allotment left (other logs use it): an edited price, not the list price.
  await page.getByTestId('cost-free').fill('0');
  await page.getByTestId('cost-free').dispatchEvent('change');
  await page.locator('[data-testid=cost-panel][data-list-price=false]').waitFor();
  await page.getByTestId('cost-retention').fill('90');
  await page.getByTestId('cost-retention').dispatchEvent('change');
  await page.waitForFunction(() => document.querySelector('[data-testid=cost-retention]').value === '90');
  f = await read(page);
  assert.equal(f.free, 0);
  assert.equal(f.retention, 90);
  near(f.saving, (f.baseBpd - f.editBpd) / GIB * (MONTH_DAYS * 0.5 + 60 * 0.01), 'saving, edited');
  await page.getByTestId('cost-reset').waitFor();

  // A reload keeps the destination and the edits (the log must be loaded again).
  const saved = await page.evaluate(() => JSON.parse(localStorage.getItem('audit-lens.pricing.v1')));
  assert.equal(saved.price.id, 'gcp-logging');
  await page.reload();
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  await withSample(page);
  f = await read(page);
  assert.deepEqual([f.destination, f.free, f.retention, f.listPrice], ['gcp-logging', 0, 90, false]);
  assert.equal(await page.getByTestId('cost-destination').inputValue(), 'gcp-logging');
  await page.getByTestId('cost-reset').click();
  await page.locator('[data-testid=cost-panel][data-list-price=true]').waitFor();
  f = await read(page);
  assert.equal(f.free, 50);
  assert.equal(f.retention, 90, 'the reset puts back the price, not the days kept');
  // Back to CloudWatch and 30 days for the screenshots below.
  await page.getByTestId('cost-destination').selectOption('cloudwatch');
  await page.locator('[data-testid=cost-panel][data-destination=cloudwatch]').waitFor();
  await page.getByTestId('cost-retention').fill('30');
  await page.getByTestId('cost-retention').dispatchEvent('change');
  await page.waitForFunction(() => document.querySelector('[data-testid=cost-retention]').value === '30');
  page.check();
  await page.close();
});

test('cost panel screenshots: 1440 and 1024 px, light and dark', async () => {
  for (const colorScheme of ['light', 'dark']) {
    for (const width of [1440, 1024]) {
      const page = await open({ colorScheme });
      await page.setViewportSize({ width, height: 1000 });
      await withSample(page);
      await page.locator('.cost-prices summary').click();
      await page.getByTestId('what-if').screenshot({ path: join(SHOTS, `cost-${width}-${colorScheme}.png`) });
      page.check();
      await page.close();
    }
  }
});
