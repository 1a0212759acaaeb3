// Broken and hostile input in the page (the engine's own tests cover each case natively,
// tests/hostile.rs and tests/ingest_formats.rs; here the page must say the same thing to a
// person): each file loads what it can, the rest is named with file and line, counts add
// up (events + rejected = records), and nothing hangs or crashes the tab.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { serve, launch, strictPage, summaryCounts, screenshot, DIST } from './harness.mjs';

let server, context, dir;
before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run `trunk build --release` first');
  server = await serve(DIST, ['/']);
  context = await launch();
  dir = await mkdtemp(join(tmpdir(), 'audit-lens-broken-'));
});
after(async () => {
  await context?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const good = (i) => JSON.stringify({
  kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  stage: 'ResponseComplete', requestURI: '/api/v1/namespaces/default/pods', verb: 'list', user: { username: 'alice' },
  objectRef: { resource: 'pods', namespace: 'default', apiVersion: 'v1' }, responseStatus: { code: 200 },
  requestReceivedTimestamp: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.000000Z`, stageTimestamp: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.100000Z`,
});
const lines = (n) => Array.from({ length: n }, (_, i) => good(i)).join('\n') + '\n';

function file(name, bytes) {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

async function open() {
  const page = await strictPage(context, [server.origin]);
  await page.goto(server.origin + '/');
  await page.locator('.engine.ready').waitFor();
  return page;
}

// name, bytes, [events, rejected], what the page must say (regexes over the page's text)
const CASES = [
  ['mixed.log', Buffer.concat([
    Buffer.from(`${good(1)}\n{"kind":"Event","verb":\n${good(2)}\n`),
    Buffer.from([0xff, 0xfe, 0x7b, 0x22, 0xc3, 0x28, 0x0a]), // invalid UTF-8
    Buffer.from(`${good(3)}\nnot json at all\n${good(4)}\n${good(5).slice(0, 80)}`), // truncated last line
  ]), [4, 4], [/mixed\.log:2: /, /mixed\.log:4: .*UTF-8/, /mixed\.log:6: /, /mixed\.log:8: .*truncated/i]],
  ['report.pdf', Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n'), Buffer.alloc(2000, 0x9c), Buffer.from('\n%%EOF\n')]), null, [/report\.pdf: .*PDF/]],
  ['photo.png', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 251))]), [0, null], [/photo\.png: .*image/]],
  ['empty.log', Buffer.alloc(0), [0, 0], [/empty\.log: .*empty/i]],
  ['cut.log.gz', (() => { const z = gzipSync(Buffer.from(lines(3000))); return z.subarray(0, Math.floor(z.length / 2)); })(), null, [/cut\.log\.gz: .*truncated/i]],
  ['bomb.log.gz', gzipSync(Buffer.alloc(300 << 20, 0x0a), { level: 9 }), [0, 0], [/bomb\.log\.gz: .*gzip bomb/i]],
  ['deep.log', Buffer.from(`${'['.repeat(100000)}${']'.repeat(100000)}\n${good(1)}\n`), [1, 1], [/deep\.log:1: /]],
];

for (const [name, bytes, counts, says] of CASES) {
  test(`${name}: loads what it can and says what it could not`, async () => {
    const page = await open();
    await page.getByTestId('file-input').setInputFiles(file(name, bytes));
    const c = await summaryCounts(page, 120_000);
    if (counts) {
      if (counts[0] != null) assert.equal(c.events, counts[0], 'events');
      if (counts[1] != null) assert.equal(c.rejected, counts[1], 'rejected');
    }
    // The file is listed with its counts, and they add up.
    const row = page.getByTestId('file-row');
    assert.equal(await row.count(), 1);
    assert.equal(Number(await row.getAttribute('data-events')), c.events);
    const text = await page.locator('main').innerText();
    for (const re of says) assert.match(text, re);
    await screenshot(page, `broken-${name}`);
    page.check();
    await page.close();
  });
}

test('a filter of megabytes is answered, and the page stays usable', async () => {
  const page = await open();
  await page.getByTestId('file-input').setInputFiles(file('some.log', lines(50)));
  await summaryCounts(page);
  const input = page.getByTestId('filter-input');
  await input.waitFor();
  const huge = 'user:alice '.repeat(100_000); // 1.1 MB
  await input.evaluate((el, v) => {
    el.value = v;
    el.dispatchEvent(new InputEvent('input', { bubbles: true }));
    el.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
  }, huge);
  // Every term is alice: all 50 events match.
  await page.waitForFunction(() => {
    const el = document.querySelector('[data-testid=result-count]');
    return el && !el.classList.contains('pending') && el.dataset.events === '50';
  }, null, { timeout: 60_000 });
  // Still usable: a short filter after it.
  await input.fill('user:bob');
  await input.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid=result-count]')?.dataset.events === '0', null, { timeout: 30_000 });
  page.check();
  await page.close();
});

test('a 10 000-rule policy and a YAML alias bomb', async () => {
  const page = await open();
  const rules = Array.from({ length: 10_000 }, (_, i) => `  - level: Metadata\n    users: ["user-${i}"]\n`).join('');
  await page.getByTestId('policy-input').setInputFiles(file('many-rules.yaml', `apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n${rules}`));
  const errors = page.getByTestId('policy-errors');
  await errors.waitFor({ timeout: 60_000 });
  assert.equal(Number(await errors.getAttribute('data-errors')), 0);
  assert.match(await page.locator('main').innerText(), /10[,  ]?000 rules/);
  // Findings about many rules name them as ranges, not ten thousand numbers.
  assert.match(await page.locator('main').innerText(), /rule\(s\) 0–9999:/);
  await screenshot(page, 'broken-many-rules');
  // The alias bomb: refused with a reason, quickly, without freezing the page.
  const bomb = ['apiVersion: audit.k8s.io/v1', 'kind: Policy', `a0: &a0 [${Array(10).fill('x').join(', ')}]`];
  for (let i = 1; i < 10; i++) bomb.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
  bomb.push('rules: *a9'); // 10^10 nodes if expanded
  await page.getByTestId('policy-input').setInputFiles(file('bomb.yaml', bomb.join('\n') + '\n'));
  await page.getByTestId('policy-name').filter({ hasText: 'bomb.yaml' }).waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=policy-errors]')?.dataset.errors) >= 1, null, { timeout: 60_000 });
  assert.match(await errors.innerText(), /alias bomb/);
  await screenshot(page, 'broken-alias-bomb');
  page.check();
  await page.close();
});
