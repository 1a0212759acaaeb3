// The volume advisor (issue 14) in Debian's Chromium, on the sample log and its policy:
// a suggestion's saving is what the policy then writes (the native CLI's `whatif`, run
// here on the same sample and the editor's text, is the independent measure); Apply shows
// the diff and Undo puts the text back; "Reach −N%" builds a plan whose result the CLI
// measures too, and no guard-rail that held fails on it; bad guard-rails are named with
// their line. Screenshots at 1440 and 1024 px, light and dark: target/screenshots/advisor-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { strictPage, summaryCounts, forTestFile, SHOTS, cli } from './harness.mjs';

const env = forTestFile(false);

const open = async (opts) => {
  const page = await strictPage(env.context, [env.server.origin], opts);
  await page.goto(env.server.origin + '/');
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  return page;
};
const ready = async (page) => {
  await page.locator('[data-testid=policy-workbench][data-busy=false]').waitFor({ timeout: 30_000 });
  await page.locator('[data-testid=advisor][data-busy=false] [data-testid=advisor-summary]').waitFor({ timeout: 30_000 });
};
const editorText = (page) => page.evaluate(() => document.querySelector('[data-testid=policy-editor]').value);
/** What the native CLI says `text` writes of the sample log. */
const measure = async (dir, sample, text, name) => {
  const p = join(dir, name);
  await writeFile(p, text);
  const w = JSON.parse(cli(['whatif', '--policy', p, '--json', sample]));
  return w.whatIf.candidate.bytes;
};

test('advisor: a suggestion saves what it says, Apply shows the diff, Undo, a plan within the guard-rails', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'audit-lens-advisor-'));
  const sample = join(dir, 'sample.log');
  cli(['generate', '--sample', '-o', sample]);
  const page = await open();
  try {
    await page.setViewportSize({ width: 1440, height: 1000 });
    await page.getByTestId('load-sample').click();
    await summaryCounts(page);
    await page.getByTestId('tab-policy').click();
    await ready(page);
    const original = await editorText(page);
    const before = Number(await page.getByTestId('advisor-summary').getAttribute('data-bytes'));
    assert.equal(before, await measure(dir, sample, original, 'orig.yaml'), 'what the advisor says the policy writes');
    const rows = page.getByTestId('suggestion');
    assert.ok(await rows.count() >= 3, 'suggestions');
    const first = rows.first();
    const saved = Number(await first.getAttribute('data-saved-bytes'));
    assert.ok(saved > 0);
    assert.match(await first.getByTestId('suggestion-money').innerText(), /\$[\d,.]+\/month|< \$0\.01\/month/);
    // Details show the diff before applying.
    await first.getByTestId('suggestion-details').click();
    assert.ok(await first.locator('[data-testid=advisor-diff] [data-kind=added]').count() >= 1);
    await page.getByTestId('advisor').screenshot({ path: join(SHOTS, 'advisor-1440-light.png') });

    await first.getByTestId('suggestion-apply').click();
    await page.waitForFunction((t) => document.querySelector('[data-testid=policy-editor]').value !== t, original);
    await ready(page);
    const applied = await editorText(page);
    assert.equal(await measure(dir, sample, applied, 'applied.yaml'), before - saved, 'the saving, measured by the CLI');
    assert.equal(Number(await page.getByTestId('advisor-summary').getAttribute('data-bytes')), before - saved);
    const diff = page.getByTestId('advisor-applied');
    assert.ok(await diff.locator('[data-kind=added]').count() >= 1, 'the diff of the applied change');
    await page.getByTestId('advisor-undo').click();
    await page.waitForFunction((t) => document.querySelector('[data-testid=policy-editor]').value === t, original);
    await ready(page);

    // Guard-rails before the plan.
    const okBefore = await page.$$eval('[data-testid=guard-row]', (r) => r.filter((x) => x.dataset.ok === 'true').map((x) => x.dataset.id));
    assert.ok(okBefore.includes('exec-attach-visible') && okBefore.includes('secret-access'), okBefore.join());
    await page.getByTestId('advisor-target').fill('50');
    await page.getByTestId('advisor-target').dispatchEvent('change');
    await page.getByTestId('advisor-plan').click();
    const plan = page.getByTestId('plan');
    await plan.waitFor({ timeout: 30_000 });
    await ready(page);
    const after = Number(await plan.getAttribute('data-after-bytes'));
    const pct = Number(await plan.getAttribute('data-reached-pct'));
    assert.ok(Number(await plan.getAttribute('data-steps')) >= 1);
    near(pct, (before - after) * 100 / before);
    await page.getByTestId('advisor').screenshot({ path: join(SHOTS, 'advisor-plan-1440-light.png') });
    await page.getByTestId('plan-apply').click();
    await page.waitForFunction((t) => document.querySelector('[data-testid=policy-editor]').value !== t, original);
    await ready(page);
    const planned = await editorText(page);
    assert.equal(await measure(dir, sample, planned, 'plan.yaml'), after, 'the plan, measured by the CLI');
    // The CLI's validate accepts it (our loader = kube-apiserver's reader).
    cli(['validate', join(dir, 'plan.yaml')]);
    const okAfter = await page.$$eval('[data-testid=guard-row]', (r) => r.filter((x) => x.dataset.ok === 'true').map((x) => x.dataset.id));
    for (const id of okBefore) assert.ok(okAfter.includes(id), `guard-rail ${id} held before the plan`);

    // Guard-rails that do not load: named with their line, the defaults used.
    await page.getByTestId('guards-edit').click();
    await page.getByTestId('guards-input').fill('guards:\n  - id: mine\n    resources: [pods]\n    level: Loud\n');
    await page.getByTestId('guards-save').click();
    await page.getByTestId('guards-error').waitFor({ timeout: 30_000 });
    assert.match(await page.getByTestId('guards-error').innerText(), /guard-rails:2: guard mine: level "Loud"/);
    await page.getByTestId('guards-edit').click();
    await page.getByTestId('guards-reset').click();
    await page.locator('[data-testid=guards-error]').waitFor({ state: 'detached', timeout: 30_000 });

    await page.setViewportSize({ width: 1024, height: 900 });
    await page.getByTestId('advisor').screenshot({ path: join(SHOTS, 'advisor-1024-light.png') });
  } finally {
    await page.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('advisor: dark at 1440 and 1024', async () => {
  const page = await open({ colorScheme: 'dark' });
  try {
    await page.setViewportSize({ width: 1440, height: 1000 });
    await page.getByTestId('load-sample').click();
    await summaryCounts(page);
    await page.getByTestId('tab-policy').click();
    await ready(page);
    await page.getByTestId('suggestion').first().getByTestId('suggestion-details').click();
    await page.getByTestId('advisor').screenshot({ path: join(SHOTS, 'advisor-1440-dark.png') });
    await page.setViewportSize({ width: 1024, height: 900 });
    await page.getByTestId('advisor').screenshot({ path: join(SHOTS, 'advisor-1024-dark.png') });
  } finally {
    await page.close();
  }
});

function near(a, b) {
  assert.ok(Math.abs(a - b) < 1e-6, `${a} vs ${b}`);
}
