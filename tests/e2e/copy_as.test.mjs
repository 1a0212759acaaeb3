// "Copy filter as…" (issue 15 §2): the page's translation of the applied filter and time
// range. jq is a real engine here: the jq program the page shows, run by the real jq over
// the sample log's own lines, selects exactly as many events as the page counts, for
// several filters (one with a body term, one with a brushed time range). LogQL and KQL
// texts are the ones tests/query_translate.rs parses; here they are checked to appear, and
// an untranslatable term (`rule:`) names itself. Screenshots at 1440 and 1024 px, light
// and dark: target/screenshots/copy-as-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { serve, launch, strictPage, summaryCounts, screenshot, cli, DIST } from './harness.mjs';

let server, context, dir, file;

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run `trunk build --release` first');
  server = await serve(DIST, ['/']);
  context = await launch();
  dir = await mkdtemp(join(tmpdir(), 'audit-lens-copyas-'));
  file = join(dir, 'sample-audit.log');
  cli(['generate', '--sample', '-o', file]);
});
after(async () => {
  await context?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function settled(page, filter) {
  await page.waitForFunction((f) => {
    const el = document.querySelector('[data-testid=result-count]');
    return el && !el.classList.contains('pending') && el.getAttribute('data-filter') === f;
  }, filter, { timeout: 20_000 });
  return Number(await page.getByTestId('result-count').getAttribute('data-events'));
}

async function open(width, colorScheme, hash = '', filter = '') {
  const page = await strictPage(context, [server.origin], { colorScheme });
  await page.setViewportSize({ width, height: 1000 });
  await page.goto(server.origin + '/' + hash);
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  await page.getByTestId('load-sample').click();
  await summaryCounts(page);
  await page.getByTestId('tab-explore').click();
  await settled(page, filter);
  return page;
}

function jqCount(program) {
  const out = execFileSync('jq', ['-c', program, file], { maxBuffer: 1 << 28 }).toString();
  return out.split('\n').filter((l) => l.trim() !== '').length;
}

async function translation(page, lang) {
  if (!(await page.getByTestId('copy-as-panel').isVisible().catch(() => false))) {
    await page.getByTestId('copy-as').click();
  }
  await page.getByTestId('copy-as-lang').selectOption(lang);
  const text = page.getByTestId('copy-as-text');
  await page.waitForFunction((l) => document.querySelector('[data-testid=copy-as-text]')?.getAttribute('data-lang') === l, lang);
  return text.inputValue();
}

test('copy as jq: the real jq over the sample selects what the page counts', async (t) => {
  const page = await open(1440, 'light');
  t.after(() => page.close().catch(() => {}));
  const input = page.getByTestId('filter-input');
  let checked = 0;
  for (const f of ['user:system:serviceaccount:* -verb:get,list,watch', 'code:>=400', 'resource:pods/* ns:prod,kube-system',
    'req.spec.containers.image:*', 'secrets -as:""', 'latency:>100ms stage:ResponseComplete']) {
    await input.fill(f);
    await input.press('Enter');
    const n = await settled(page, f);
    const prog = await translation(page, 'jq');
    assert.equal(jqCount(prog), n, `jq of ${f}`);
    if (n > 0) checked += 1;
  }
  assert.ok(checked >= 4, `${checked} filters select events`);
  await screenshot(page, 'copy-as-1440-light');

  // The other languages are offered and say where they run.
  await input.fill('verb:delete ns:prod');
  await input.press('Enter');
  await settled(page, 'verb:delete ns:prod');
  assert.match(await translation(page, 'logql'), /^\{log_type="audit"\} \| json .*audit_verb=~"\(\?is\)delete"/);
  assert.match(await translation(page, 'kql'), /^AKSAudit\n\| where Verb =~ "delete"/);
  assert.match(await translation(page, 'cloudwatch'), /^fields @timestamp/);
  const notes = await page.locator('.copy-as-notes li').allTextContents();
  assert.ok(notes.some((n) => n.includes('EKS')), notes.join(' | '));

  // The Copy button puts the text on the clipboard.
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
  await page.getByTestId('copy-as-copy').click();
  const clip = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(clip, await page.getByTestId('copy-as-text').inputValue());

  // An engine-only term is refused, naming itself.
  await input.fill('verb:get fact:privileged');
  await input.press('Enter');
  await settled(page, 'verb:get fact:privileged');
  await page.getByTestId('copy-as-lang').selectOption('jq');
  await page.getByTestId('copy-as-error').waitFor();
  assert.match(await page.getByTestId('copy-as-error').textContent(), /^fact:privileged — fact: is read from request bodies/);
  page.check();
});

test('copy as jq with a time range from the URL; screenshots 1024, light/dark', async () => {
  // The sample's first half hour as a range in the hash (µs).
  const first = JSON.parse(execFileSync('jq', ['-c', '-s', '[.[].requestReceivedTimestamp] | sort | [.[0], .[length/2|floor]]', file]).toString());
  const us = (s) => Date.parse(s) * 1000;
  const from = us(first[0]);
  const to = us(first[1]);
  for (const [width, scheme] of [[1024, 'light'], [1024, 'dark'], [1440, 'dark']]) {
    const page = await open(width, scheme, `#f=${encodeURIComponent('verb:update,patch')}&from=${from}&to=${to}`, 'verb:update,patch');
    const n = await settled(page, 'verb:update,patch');
    const prog = await translation(page, 'jq');
    assert.match(prog, /_received >= \d+/);
    assert.equal(jqCount(prog), n, 'jq with the range');
    assert.ok(n > 0);
    await screenshot(page, `copy-as-${width}-${scheme}`);
    page.check();
    await page.close();
  }
});
