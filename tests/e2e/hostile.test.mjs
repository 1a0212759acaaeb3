// Hostile log content in a real browser: an audit log is untrusted input. Events whose
// users, names, agents, URIs and bodies hold HTML, <script>, event-handler attributes,
// `javascript:` URLs and control characters are loaded, listed, filtered and opened; the
// page must show them as text, never execute anything (no dialog, no injected element),
// and make no network request after it has loaded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serve, launch, strictPage, summaryCounts, screenshot, dropFiles, DIST } from './harness.mjs';

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

const PAYLOADS = [
  '<script>window.__pwned=1;alert(1)</script>',
  '<img src=x onerror="window.__pwned=2;alert(2)">',
  '"><svg onload=alert(3)>',
  'javascript:alert(4)',
  '<a href="javascript:alert(5)">click</a>',
  '\u0007\u001b[31mred\u001b[0m\u202Eevil',
];

function event(i, p) {
  const ev = {
    kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'RequestResponse',
    auditID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/default/configmaps/x?q=${encodeURIComponent(p)}`, verb: 'create',
    user: { username: p, groups: [p, 'system:authenticated'] }, sourceIPs: ['10.0.0.1'], userAgent: p,
    objectRef: { resource: 'configmaps', namespace: 'default', name: p, apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 201, reason: p },
    requestObject: { kind: 'ConfigMap', metadata: { name: p, annotations: { note: p } }, data: { html: p } },
    responseObject: { kind: 'ConfigMap', data: { html: p } },
    requestReceivedTimestamp: `2026-01-01T00:00:0${i}.000000Z`, stageTimestamp: `2026-01-01T00:00:0${i}.100000Z`,
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': p },
  };
  return JSON.stringify(ev);
}

test('HTML, scripts and javascript: URLs in a log are shown as text and never run', async () => {
  const page = await strictPage(context, [server.origin]);
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  await page.goto(server.origin + '/');
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  // From here on, no request may be made at all (everything is local).
  const after = [];
  page.on('request', (r) => { if (!r.url().startsWith('blob:') && !r.url().startsWith('data:')) after.push(r.url()); });
  const text = PAYLOADS.map((p, i) => event(i, p)).join('\n') + '\n';
  await dropFiles(page, '[data-testid=drop-zone]', [{ name: '<b>evil</b>.log', text }]);
  const c = await summaryCounts(page);
  assert.deepEqual([c.events, c.rejected], [PAYLOADS.length, 0]);
  await page.getByTestId('tab-explore').click();
  await page.getByTestId('event-row').first().waitFor();
  // Filter by one payload (the filter box is also untrusted text).
  await page.getByTestId('filter-input').fill('name:"<img*"');
  await page.waitForFunction(() => document.querySelector('[data-testid=result-count]')?.getAttribute('data-events') === '1');
  await page.getByTestId('filter-input').fill('');
  await page.waitForFunction((n) => document.querySelector('[data-testid=result-count]')?.getAttribute('data-events') === String(n), PAYLOADS.length);
  // Open every event's detail.
  const rows = page.getByTestId('event-row');
  for (let i = 0; i < PAYLOADS.length; i++) {
    await rows.nth(i).locator('.time').click();
    await page.getByTestId('event-json').waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=event-json]')?.textContent.includes('"auditID"'));
  }
  await screenshot(page, 'hostile-log');
  // Nothing ran, nothing was injected.
  assert.deepEqual(dialogs, []);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  const injected = await page.evaluate(() => ({
    scripts: [...document.querySelectorAll('script')].filter((s) => s.textContent.includes('__pwned')).length,
    imgs: document.querySelectorAll('img[src="x"], img[onerror]').length,
    svgs: [...document.querySelectorAll('svg')].filter((s) => s.getAttribute('onload')).length,
    links: [...document.querySelectorAll('a[href]')].filter((a) => a.getAttribute('href').toLowerCase().startsWith('javascript:')).length,
    handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
  }));
  assert.deepEqual(injected, { scripts: 0, imgs: 0, svgs: 0, links: 0, handlers: 0 });
  // The payloads are there, as text.
  const body = await page.locator('body').innerText();
  assert.ok(body.includes('<img src=x onerror='), 'payload shown as text');
  assert.ok(body.includes('<b>evil</b>.log') || (await page.content()).includes('&lt;b&gt;evil&lt;/b&gt;.log'), 'file name shown as text');
  // A right-to-left override cannot disguise text: it is shown as an escape.
  assert.ok(!body.includes('\u202E'), 'no raw bidi override on screen');
  assert.ok(body.includes('\\u{202e}'), 'bidi override shown as \\u{202e}');
  assert.deepEqual(after, [], 'no request after load');
  page.check();
  await page.close();
});
