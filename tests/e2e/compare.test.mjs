// Issue 14 §5: the edited policy (A) against a baseline (B) with a different number of
// rules, rule by rule (compare-rules / compare-pair) and line by line (policy-diff /
// diff-line). B is the template with one rule inserted at the front and the leases rule
// raised from None to Metadata, so the expected pairs and diff lines are known by hand:
// one rule only in B, one changed (level Metadata → None, from B to A), the rest the same;
// the diff from B to A removes 3 lines (the 2 inserted, B's level line) and adds 1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serve, launch, strictPage, summaryCounts, screenshot, DIST } from './harness.mjs';

let server, context;
before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run `trunk build --release` first');
  server = await serve(DIST, ['/']);
  context = await launch();
});
after(async () => {
  await context?.close();
  await server?.close();
});

const settled = (page) => page.locator('[data-testid=policy-workbench][data-busy=false]').waitFor({ timeout: 30_000 });
const editor = (page) => page.getByTestId('policy-editor');
const LEASES = 'level: None\n    resources:\n      - group: "coordination.k8s.io"';

async function setUp(colorScheme) {
  const page = await strictPage(context, [server.origin], { colorScheme });
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.goto(server.origin + '/');
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  await page.evaluate(() => localStorage.clear());
  await page.getByTestId('load-sample').click();
  await summaryCounts(page);
  await page.getByTestId('tab-policy').click();
  await page.getByTestId('policy-template').click();
  await settled(page);
  const a = await editor(page).inputValue();
  assert.ok(a.includes(LEASES), 'the template has the leases rule');
  assert.equal(a.split('\nrules:\n').length, 2);
  const b = a
    .replace('\nrules:\n', '\nrules:\n  - level: Metadata\n    users: ["e2e-inserted"]\n')
    .replace(LEASES, LEASES.replace('None', 'Metadata'));
  await page.getByTestId('slot-baseline').click();
  await editor(page).fill(b);
  await page.getByTestId('slot-edited').click();
  await page.getByTestId('compare-with').selectOption('baseline');
  await settled(page);
  await page.getByTestId('compare-rules').waitFor();
  return { page, a, b };
}

const pairs = (page) => page.getByTestId('compare-pair').evaluateAll((els) => els.map((e) => ({
  a: e.dataset.a, b: e.dataset.b, change: e.dataset.change,
  aBytes: Number(e.dataset.aBytes), bBytes: Number(e.dataset.bBytes),
})));

test('A against a baseline with one more rule: aligned pairs and the text diff', async () => {
  const { page, a } = await setUp('light');
  const rulesA = Number((await page.getByTestId('policy-status').innerText()).match(/(\d+) rules/)[1]);
  const got = await pairs(page);
  assert.equal(got.length, rulesA + 1, 'one pair per rule of A plus the rule only in B');
  const by = (c) => got.filter((p) => p.change === c);
  assert.equal(by('removed').length, 1);
  assert.deepEqual([by('removed')[0].a, by('removed')[0].b], ['', '0'], 'B\'s inserted rule #0, only in B');
  assert.equal(by('changed').length, 1);
  assert.equal(by('same').length, rulesA - 1);
  assert.equal(by('added').length + by('moved').length, 0);
  // Same rules pair A#i with B#(i+1): the insertion shifts B's numbers by one.
  for (const p of by('same')) assert.equal(Number(p.b), Number(p.a) + 1);
  // The leases rule: None in A (writes nothing), Metadata in B.
  const leasesRule = a.split('\n  - level:').findIndex((chunk) => chunk.startsWith(' None\n    resources:\n      - group: "coordination.k8s.io"')) - 1;
  const ch = by('changed')[0];
  assert.equal(Number(ch.a), leasesRule);
  assert.equal(ch.aBytes, 0);
  assert.ok(ch.bBytes > 0, 'the sample has lease requests, which B writes');
  const row = page.locator('[data-testid=compare-pair][data-change=changed]');
  assert.match(await row.innerText(), /level Metadata → None/);
  // The per-pair bytes add up to the what-if's totals.
  const vs = page.getByTestId('volume-summary');
  const sum = (k) => got.reduce((s, p) => s + p[k], 0);
  assert.equal(sum('aBytes'), Number(await vs.getAttribute('data-bytes')));
  assert.equal(sum('bBytes'), Number(await vs.getAttribute('data-baseline-bytes')));

  // The diff: B → A by default.
  assert.equal(await page.getByTestId('policy-diff').count(), 0, 'hidden until asked for');
  await page.getByTestId('policy-diff-toggle').click();
  const diff = page.getByTestId('policy-diff');
  await diff.waitFor();
  const kinds = async () => diff.getByTestId('diff-line').evaluateAll((els) => els.map((e) => [e.dataset.kind, e.dataset.aLine, e.dataset.bLine, e.textContent]));
  let lines = await kinds();
  const count = (k) => lines.filter((l) => l[0] === k).length;
  assert.deepEqual([count('removed'), count('added')], [3, 1]);
  assert.ok(lines.filter((l) => l[0] === 'removed').some((l) => l[3].includes('e2e-inserted')));
  const added = lines.find((l) => l[0] === 'added');
  assert.match(added[3], /level: None/);
  // Its line number on the right is A's line of the leases rule's level.
  const aLine = a.split('\n').findIndex((l, i, all) => l === '  - level: None' && all[i + 2]?.includes('coordination.k8s.io')) + 1;
  assert.equal(Number(added[2]), aLine);
  assert.equal(await diff.getAttribute('data-direction'), 'BA');
  await page.getByTestId('what-if').screenshot({ path: join('target', 'screenshots', 'compare-1440-light.png') });
  await page.getByTestId('policy-diff-direction').click();
  await page.locator('[data-testid=policy-diff][data-direction=AB]').waitFor();
  lines = await kinds();
  assert.deepEqual([count('removed'), count('added')], [1, 3]);
  await page.setViewportSize({ width: 1024, height: 900 });
  await page.getByTestId('what-if').screenshot({ path: join('target', 'screenshots', 'compare-1024-light.png') });
  page.check();
  await page.close();
});

test('the comparison in dark mode at 1440 and 1024 px', async () => {
  const { page } = await setUp('dark');
  await page.getByTestId('policy-diff-toggle').click();
  await page.getByTestId('policy-diff').waitFor();
  await page.getByTestId('what-if').screenshot({ path: join('target', 'screenshots', 'compare-1440-dark.png') });
  await page.setViewportSize({ width: 1024, height: 900 });
  await page.getByTestId('what-if').screenshot({ path: join('target', 'screenshots', 'compare-1024-dark.png') });
  await screenshot(page, 'compare-page-1024-dark');
  page.check();
  await page.close();
});
